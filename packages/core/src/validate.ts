/**
 * Small structural validators for untrusted JSON (transactions, blocks, payloads). Each
 * throws a {@link LedgerError} whose message names the path of the first offending field.
 */
import { malformed, type InputErrorCode } from './errors.js';

export type Obj = Record<string, unknown>;

export function obj(v: unknown, path: string, code: InputErrorCode): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) malformed(code, path, 'must be an object');
  return v as Obj;
}

export function onlyKeys(o: Obj, allowed: readonly string[], path: string, code: InputErrorCode): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) malformed(code, `${path}.${k}`, 'unknown field');
}

export function str(v: unknown, path: string, code: InputErrorCode, max = 1024, pattern?: RegExp): string {
  if (typeof v !== 'string') malformed(code, path, 'must be a string');
  if (v.length === 0) malformed(code, path, 'must not be empty');
  if (v.length > max) malformed(code, path, `must be at most ${max} characters`);
  if (pattern && !pattern.test(v)) malformed(code, path, `must match ${pattern.source}`);
  return v;
}

export function int(
  v: unknown,
  path: string,
  code: InputErrorCode,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) malformed(code, path, 'must be an integer');
  if (v < min || v > max) malformed(code, path, `must be in [${min}, ${max}]`);
  return v;
}

export function arr(v: unknown, path: string, code: InputErrorCode, min = 0, max = 10_000): unknown[] {
  if (!Array.isArray(v)) malformed(code, path, 'must be an array');
  if (v.length < min || v.length > max) malformed(code, path, `must have ${min}..${max} items`);
  return v;
}

export const HEX32 = /^[0-9a-f]{64}$/;
/**
 * Canonical unpadded base64url (RFC 4648 §5, §3.5): no length of 1 mod 4, and the unused low
 * bits of the last character zero. Two spellings of the same bytes would make two payloads of
 * one value, and the strict decoder (`fromB64u`) refuses the other spelling later anyway.
 */
export const B64U =
  /^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{4}|[A-Za-z0-9_-][AQgw]|[A-Za-z0-9_-]{2}[AEIMQUYcgkosw048])$/;
export const ID = /^[A-Za-z0-9._:@-]+$/;

export function bool(v: unknown, path: string, code: InputErrorCode): boolean {
  if (typeof v !== 'boolean') malformed(code, path, 'must be true or false');
  return v;
}
