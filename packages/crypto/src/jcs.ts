/**
 * JSON Canonicalization Scheme, RFC 8785 (Rundgren, Jordan, Erdtman, 2020).
 *
 * Everything medledger hashes or signs is first turned into these bytes: object members
 * sorted by the UTF-16 code units of their names, no whitespace, numbers in the shortest
 * round-trip form of ECMAScript `Number.prototype.toString`, strings escaped as
 * `JSON.stringify` does. The same value always yields the same bytes, on every node.
 *
 * Stricter than the RFC on purpose: only plain objects, arrays, strings, finite numbers,
 * booleans and null are accepted; lone surrogates, `undefined`, `-0`-vs-`0` ambiguity (both
 * print `0`, as the RFC says), `NaN`, `Infinity`, BigInt, class instances and byte arrays
 * (encode them as base64url strings) are rejected with `TypeError`.
 */
import { utf8 } from './bytes.js';

/** A JSON value that can be canonicalized. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

// Printable ASCII other than `"` and `\\` serializes as itself: the common case, no escaping.
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

function serializeString(s: string, path: string): string {
  if (PLAIN.test(s)) return `"${s}"`;
  if (LONE_SURROGATE.test(s)) throw new TypeError(`canonical JSON: lone surrogate in string at ${path}`);
  return JSON.stringify(s);
}

function serialize(v: unknown, path: string, depth: number): string {
  if (depth > 64) throw new TypeError(`canonical JSON: nesting deeper than 64 at ${path}`);
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(v)) throw new TypeError(`canonical JSON: non-finite number at ${path}`);
      return JSON.stringify(v); // ES6 Number serialization, as RFC 8785 §3.2.2.3 requires
    case 'string':
      return serializeString(v, path);
    case 'object': {
      if (Array.isArray(v)) {
        return `[${v.map((x, i) => serialize(x, `${path}[${i}]`, depth + 1)).join(',')}]`;
      }
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) {
        throw new TypeError(`canonical JSON: unsupported object type at ${path}`);
      }
      // Default sort compares UTF-16 code units, exactly RFC 8785 §3.2.3.
      const keys = Object.keys(v).sort();
      const parts: string[] = [];
      for (const k of keys) {
        const x = (v as Record<string, unknown>)[k];
        if (x === undefined) throw new TypeError(`canonical JSON: undefined value at ${path}.${k}`);
        parts.push(`${serializeString(k, path)}:${serialize(x, `${path}.${k}`, depth + 1)}`);
      }
      return `{${parts.join(',')}}`;
    }
    default:
      throw new TypeError(`canonical JSON: unsupported ${typeof v} at ${path}`);
  }
}

/**
 * Canonical JSON text of `value` (RFC 8785).
 * @throws TypeError if the value holds something JSON cannot represent canonically.
 * @example canonicalize({ b: 1, a: [true, null] }) // '{"a":[true,null],"b":1}'
 */
export function canonicalize(value: unknown): string {
  return serialize(value, '$', 0);
}

/** UTF-8 bytes of {@link canonicalize}. */
export function canonicalBytes(value: unknown): Uint8Array {
  return utf8(canonicalize(value));
}
