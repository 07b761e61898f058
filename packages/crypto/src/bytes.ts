/**
 * Byte helpers shared by the crypto and core packages (no I/O). Hex and base64url go through
 * `primitives.ts` (Node's Buffer codecs; portable ones in the browser build).
 */
import { assertBytes, assertString } from './assert.js';
import { b64uDecode, b64uEncode, hexDecode, hexEncode, utf8ByteLength } from './primitives.js';

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 encodes a string. */
export function utf8(s: string): Uint8Array {
  return enc.encode(s);
}

/** Length in bytes of the UTF-8 encoding of a string, without encoding it. */
export function utf8Length(s: string): number {
  return utf8ByteLength(s);
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
  return hexEncode(b);
}

/** Parses lowercase or uppercase hex; throws `TypeError` on odd length or bad digits. */
export function fromHex(s: string): Uint8Array {
  assertString(s, 'hex');
  if (s.length % 2 !== 0) throw new TypeError('invalid hex string');
  const out = hexDecode(s);
  if (out === undefined) throw new TypeError('invalid hex string');
  return out;
}

/** Base64url without padding (RFC 4648 §5). */
export function toB64u(b: Uint8Array): string {
  return b64uEncode(b);
}

/** Parses base64url without padding; throws `TypeError` on characters outside the alphabet. */
export function fromB64u(s: string): Uint8Array {
  assertString(s, 'base64url');
  if (!/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) throw new TypeError('invalid base64url string');
  const out = b64uDecode(s);
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
