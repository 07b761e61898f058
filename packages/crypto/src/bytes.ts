/** Byte helpers shared by the crypto and core packages (no I/O, browser-safe). */
import { assertBytes, assertString } from './assert.js';

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 encodes a string. */
export function utf8(s: string): Uint8Array {
  return enc.encode(s);
}

/** Length in bytes of the UTF-8 encoding of a string, without encoding it. */
export function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** Decodes UTF-8; throws `TypeError` on invalid sequences. */
export function fromUtf8(b: Uint8Array): string {
  return dec.decode(b);
}

/** Concatenates byte arrays. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Lowercase hex of bytes. */
export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** Parses lowercase or uppercase hex; throws `TypeError` on odd length or bad digits. */
export function fromHex(s: string): Uint8Array {
  assertString(s, 'hex');
  if (s.length % 2 !== 0) throw new TypeError('invalid hex string');
  const out = new Uint8Array(s.length / 2);
  // Node's hex decoder stops at the first pair that is not two hex digits: a short count is
  // a bad digit (checked without a regular expression; ids are decoded on hot paths).
  if (Buffer.from(out.buffer).write(s, 'hex') !== out.length) throw new TypeError('invalid hex string');
  return out;
}

/** Base64url without padding (RFC 4648 §5). */
export function toB64u(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url');
}

/** Parses base64url without padding; throws `TypeError` on characters outside the alphabet. */
export function fromB64u(s: string): Uint8Array {
  assertString(s, 'base64url');
  if (!/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) throw new TypeError('invalid base64url string');
  const out = new Uint8Array(Buffer.from(s, 'base64url'));
  // Reject non-canonical encodings (stray low bits in the last character).
  if (toB64u(out) !== s) throw new TypeError('non-canonical base64url string');
  return out;
}

/** Constant-time equality of two byte arrays (length is not secret). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  assertBytes(a, 'a');
  assertBytes(b, 'b');
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/** A source of random bytes; injected so that core and crypto stay deterministic in tests. */
export type RandomSource = (n: number) => Uint8Array;
