/**
 * SHA-256 with domain separation. Every hashed type has its own tag, so bytes of one type can
 * never be passed off as another (a transaction body as a block header, say). The input to
 * SHA-256 is `len(tag) || tag || data`, with `len` one byte.
 */
import { assertBytes } from './assert.js';
import { utf8 } from './bytes.js';
import { sha256Raw as digest, sha256Text, sha256TextHex } from './primitives.js';

/** The hashed types of medledger. Adding one is an append; a tag is never reused. */
export const HashTag = {
  tx: 'medledger/tx/v1',
  blockHeader: 'medledger/block-header/v1',
  genesis: 'medledger/genesis/v1',
  certificate: 'medledger/certificate/v1',
  stateWrites: 'medledger/state-writes/v1',
  stateDigest: 'medledger/state-digest/v1',
  record: 'medledger/record/v1',
  checkpoint: 'medledger/checkpoint/v1',
  orgCardProof: 'medledger/org-card-proof/v1',
} as const;
export type HashTag = (typeof HashTag)[keyof typeof HashTag];

const prefixes = new Map<string, Uint8Array>();
function prefix(tag: string): Uint8Array {
  let p = prefixes.get(tag);
  if (!p) {
    const t = utf8(tag);
    if (t.length === 0 || t.length > 255) throw new RangeError('hash tag must be 1..255 bytes');
    p = new Uint8Array(1 + t.length);
    p[0] = t.length;
    p.set(t, 1);
    prefixes.set(tag, p);
  }
  return p;
}

/** Plain SHA-256 (used by RFC 6962 Merkle trees and by tests against published vectors). */
export function sha256(data: Uint8Array): Uint8Array {
  assertBytes(data, 'data');
  return sha256Raw(data);
}

/** SHA-256 without argument checks, for internal hot paths (one-shot `crypto.hash` in Node). */
export const sha256Raw: (data: Uint8Array) => Uint8Array = digest;

/**
 * SHA-256 of `data` under a domain-separation `tag`.
 * @example hashTagged(HashTag.tx, canonicalBytes(body))
 */
export function hashTagged(tag: HashTag | string, ...data: Uint8Array[]): Uint8Array {
  const p = prefix(tag);
  let n = p.length;
  for (const d of data) {
    assertBytes(d, 'data');
    n += d.length;
  }
  const buf = new Uint8Array(n);
  buf.set(p, 0);
  let o = p.length;
  for (const d of data) {
    buf.set(d, o);
    o += d.length;
  }
  return sha256Raw(buf);
}

const textPrefixes = new Map<string, string>();

/**
 * {@link hashTagged} of the UTF-8 bytes of `text`, without encoding it first: the tag prefix
 * (a length byte and ASCII) is itself a string of code points below 0x80, so the UTF-8 of
 * `prefix + text` is exactly `prefixBytes || utf8(text)`. The hot path of transaction ids.
 */
export function hashTaggedText(tag: HashTag | string, text: string): Uint8Array {
  return sha256Text(textPrefix(tag) + text);
}

/** {@link hashTaggedText} as lowercase hex, straight from the digest (ids on hot paths). */
export function hashTaggedTextHex(tag: HashTag | string, text: string): string {
  return sha256TextHex(textPrefix(tag) + text);
}

function textPrefix(tag: string): string {
  let p = textPrefixes.get(tag);
  if (p === undefined) {
    p = String.fromCharCode(...prefix(tag));
    if (!/^[\x00-\x7f]*$/.test(p)) throw new RangeError('hash tag must be ASCII');
    textPrefixes.set(tag, p);
  }
  return p;
}
