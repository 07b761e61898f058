/**
 * Internal binary framing for the confidentiality schemes (abe, pre, peks, he): a type tag
 * then length-prefixed fields, `u8 len(tag) || tag || (u32be len || bytes)*`. Decoding is
 * strict: wrong tag, truncated field, wrong field count or trailing bytes throw `TypeError`
 * naming the type, never the content.
 */
import { assertBytes } from './assert.js';
import { concatBytes, fromHex, fromUtf8, toHex, utf8 } from './bytes.js';

const MAX_FIELD = 1 << 26; // 64 MiB: far above any object of these schemes

/** Frames `fields` under `tag`. */
export function encodeFields(tag: string, fields: readonly Uint8Array[]): Uint8Array {
  const t = utf8(tag);
  const parts: Uint8Array[] = [Uint8Array.of(t.length), t];
  for (const f of fields) {
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, f.length);
    parts.push(len, f);
  }
  return concatBytes(...parts);
}

/**
 * Parses bytes framed by `encodeFields`. With `count`, exactly that many fields must be
 * present; with `minCount`, at least that many.
 */
export function decodeFields(
  tag: string,
  bytes: unknown,
  what: string,
  count?: number,
  minCount = 0,
): Uint8Array[] {
  assertBytes(bytes, what);
  const t = utf8(tag);
  const bad = (why: string): never => {
    throw new TypeError(`${what}: malformed encoding (${why})`);
  };
  if (bytes.length < 1 + t.length || bytes[0] !== t.length) bad('type tag');
  for (let i = 0; i < t.length; i++) if (bytes[1 + i] !== t[i]) bad('type tag');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Uint8Array[] = [];
  let o = 1 + t.length;
  while (o < bytes.length) {
    if (o + 4 > bytes.length) bad('truncated length');
    const n = view.getUint32(o);
    o += 4;
    if (n > MAX_FIELD || o + n > bytes.length) bad('truncated field');
    out.push(bytes.slice(o, o + n));
    o += n;
  }
  if (count !== undefined && out.length !== count) bad(`expected ${count} fields, got ${out.length}`);
  if (out.length < minCount) bad(`expected at least ${minCount} fields`);
  return out;
}

/** UTF-8 field decoding that throws `TypeError` with the object's name. */
export function fieldString(b: Uint8Array, what: string): string {
  try {
    return fromUtf8(b);
  } catch {
    throw new TypeError(`${what}: malformed encoding (invalid UTF-8)`);
  }
}

/** A u32 field. */
export function u32Bytes(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}
/** Parses a u32 field; throws `TypeError` unless exactly 4 bytes. */
export function fieldU32(b: Uint8Array, what: string): number {
  if (b.length !== 4) throw new TypeError(`${what}: malformed encoding (u32 field)`);
  return new DataView(b.buffer, b.byteOffset, 4).getUint32(0);
}

/** A non-negative bigint as minimal big-endian bytes (0 is one zero byte). */
export function uintToBytes(x: bigint): Uint8Array {
  if (x < 0n) throw new RangeError('negative integer');
  let h = x.toString(16);
  if (h.length % 2) h = `0${h}`;
  return fromHex(h);
}
/** Parses a minimal, non-zero big-endian integer field; throws `TypeError` otherwise. */
export function fieldUint(b: Uint8Array, what: string): bigint {
  if (b.length === 0 || b[0] === 0) throw new TypeError(`${what}: integer must be minimal and non-zero`);
  return BigInt(`0x${toHex(b)}`);
}
