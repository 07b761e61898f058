/**
 * Per-object memoization of derived values (a transaction's id and canonical text, a parsed
 * payload) for objects that are never mutated once built or parsed.
 *
 * The value is attached to the object itself under a module-private symbol, as a
 * non-enumerable, non-writable property (replaced only through `memoize`): invisible to
 * `Object.keys` (so to canonical JSON), to `JSON.stringify`, to spreads and to structured
 * clone, so a copy never inherits a stale value. A `WeakMap` per value did the same, but
 * every entry is an ephemeron the garbage collector must process; with several maps per
 * transaction that showed in the node's profiles (`ClearOldEphemerons`).
 */

/** The value memoized on `o` under `key`, if any. */
export function memoOf<V>(o: object, key: symbol): V | undefined {
  return (o as Record<symbol, V | undefined>)[key];
}

/**
 * Memoizes `value` on `o` under `key`, replacing an earlier value (a parser that re-derives a
 * value from an untrusted object must not trust one memoized before); a no-op on a frozen or
 * sealed object. Returns `value`.
 */
export function memoize<V>(o: object, key: symbol, value: V): V {
  if (Object.isExtensible(o)) Object.defineProperty(o, key, { value, configurable: true });
  return value;
}

// A transaction body gets three derived values: one record per body, filled as they are asked
// for, because defining a property costs more than writing one (the node's profile). Internal
// to core (index.ts exports memoOf and memoize only).
const BODY = Symbol('body');

/** What is derived from a body; `payload` is a contract's parse of the payload object `of`. */
export interface BodyMemo {
  text?: string;
  id?: string;
  payload?: { of: object; type: string; value: unknown };
}

/** The memo record of a body (created empty on first use). */
export function bodyMemo(body: object): BodyMemo {
  return memoOf<BodyMemo>(body, BODY) ?? memoize<BodyMemo>(body, BODY, {});
}

/** Replaces a body's record with one holding only its canonical text (a parser re-derived it). */
export function freshBodyMemo(body: object, text: string): void {
  memoize<BodyMemo>(body, BODY, { text });
}
