/**
 * Boundary assertions for the crypto package. Messages are short and never contain the
 * checked value: inputs here are often secret.
 */

/** Throws `TypeError` unless `value` is a `Uint8Array` (optionally of exactly `length` bytes). */
export function assertBytes(value: unknown, name: string, length?: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  if (length !== undefined && value.length !== length) {
    throw new RangeError(`${name} must be ${length} bytes, got ${value.length}`);
  }
}

/** Throws `TypeError` unless `value` is a string (optionally non-empty). */
export function assertString(value: unknown, name: string, nonEmpty = false): asserts value is string {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string`);
  if (nonEmpty && value.length === 0) throw new RangeError(`${name} must not be empty`);
}

/** Throws unless `value` is a safe integer within [min, max]. */
export function assertInt(
  value: unknown,
  name: string,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value))
    throw new TypeError(`${name} must be an integer`);
  if (value < min || value > max) throw new RangeError(`${name} must be in [${min}, ${max}]`);
}

/** Throws `TypeError` unless `value` is a function. */
export function assertFunction(value: unknown, name: string): asserts value is (...a: never[]) => unknown {
  if (typeof value !== 'function') throw new TypeError(`${name} must be a function`);
}
