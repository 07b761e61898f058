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

/** A value that cannot be canonicalized; `keys` (innermost first) fill in on the way out. */
class Fault {
  readonly keys: (string | number)[] = [];
  constructor(readonly reason: string) {}
}

function serializeString(s: string): string {
  if (PLAIN.test(s)) return `"${s}"`;
  if (LONE_SURROGATE.test(s)) throw new Fault('lone surrogate in string');
  return JSON.stringify(s);
}

/**
 * Member names in the order of RFC 8785 §3.2.3: by UTF-16 code units, which is what `<` on
 * strings and the default `Array.prototype.sort` compare. Objects here have a few members;
 * insertion sort in place avoids the work arrays `sort` allocates on every call (a large
 * share of the bytes canonicalizing allocated on the node's hot path).
 */
function sortedKeys(v: object): string[] {
  const keys = Object.keys(v);
  if (keys.length > 16) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i]!;
    let j = i - 1;
    while (j >= 0 && keys[j]! > k) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = k;
  }
  return keys;
}

// `"name":` of member names seen before: the objects on the node's hot paths repeat a handful
// of names, and a lookup allocates nothing. Bounded in entries and name length, since names
// in payloads come from whoever sent them.
const memberPrefixes = new Map<string, string>();
function memberPrefix(k: string): string {
  let p = memberPrefixes.get(k);
  if (p === undefined) {
    p = `${serializeString(k)}:`;
    if (k.length <= 64 && memberPrefixes.size < 4096) memberPrefixes.set(k, p);
  }
  return p;
}

// Paths are built only when something fails (each level adds its key as the fault passes):
// building `$.a.b[3]` for every value was a measurable share of canonicalizing on hot paths.
function serialize(v: unknown, depth: number): string {
  if (depth > 64) throw new Fault('nesting deeper than 64');
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(v)) throw new Fault('non-finite number');
      return JSON.stringify(v); // ES6 Number serialization, as RFC 8785 §3.2.2.3 requires
    case 'string':
      return serializeString(v);
    case 'object': {
      if (Array.isArray(v)) {
        const parts: string[] = new Array(v.length);
        for (let i = 0; i < v.length; i++) {
          try {
            parts[i] = serialize(v[i], depth + 1);
          } catch (e) {
            if (e instanceof Fault) e.keys.push(i);
            throw e;
          }
        }
        return `[${parts.join(',')}]`;
      }
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) throw new Fault('unsupported object type');
      const keys = sortedKeys(v);
      const parts: string[] = new Array(keys.length);
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        try {
          const x = (v as Record<string, unknown>)[k];
          if (x === undefined) throw new Fault('undefined value');
          parts[i] = memberPrefix(k) + serialize(x, depth + 1);
        } catch (e) {
          if (e instanceof Fault) e.keys.push(k);
          throw e;
        }
      }
      return `{${parts.join(',')}}`;
    }
    default:
      throw new Fault(`unsupported ${typeof v}`);
  }
}

/**
 * Canonical JSON text of `value` (RFC 8785).
 * @throws TypeError if the value holds something JSON cannot represent canonically.
 * @example canonicalize({ b: 1, a: [true, null] }) // '{"a":[true,null],"b":1}'
 */
export function canonicalize(value: unknown): string {
  try {
    return serialize(value, 0);
  } catch (e) {
    if (!(e instanceof Fault)) throw e;
    const path = e.keys.reduceRight<string>(
      (p, k) => (typeof k === 'number' ? `${p}[${k}]` : `${p}.${k}`),
      '$',
    );
    throw new TypeError(`canonical JSON: ${e.reason} at ${path}`);
  }
}

/** UTF-8 bytes of {@link canonicalize}. */
export function canonicalBytes(value: unknown): Uint8Array {
  return utf8(canonicalize(value));
}
