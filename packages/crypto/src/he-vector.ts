/**
 * Encrypted vector sums on Paillier (he.ts) by packing: element i of a block sits in bits
 * [64·i, 64·i + 64) of one plaintext, so one ciphertext carries `pk.slots` elements (31 for a
 * 2048-bit n) and one multiplication adds them all. Values are integers in
 * [0, HE_VECTOR_MAX_VALUE] (2^40 − 1); sums of at most HE_VECTOR_MAX_TERMS (2^24 − 1) vectors
 * stay below 2^64 per slot, so no carry ever crosses a slot. Federated learning encodes
 * signed, fixed-point updates by adding a public offset before encrypting (and subtracting
 * count × offset after decrypting). Threat model: as he.ts; the vector length is public.
 */
import { assertInt } from './assert.js';
import type { RandomSource } from './bytes.js';
import {
  HE_SLOT_BITS,
  HE_VECTOR_MAX_TERMS,
  HE_VECTOR_MAX_VALUE,
  paillierRandomness,
  type HePublicKey,
  type HeSecretKey,
} from './he.js';
import { randomBytes } from './random.js';
import { decodeFields, encodeFields, fieldU32, fieldUint, u32Bytes, uintToBytes } from './wire.js';

const MASK = (1n << BigInt(HE_SLOT_BITS)) - 1n;

/** A packed encrypted vector: `length` elements, sum of `count` vectors. */
export class EncryptedVector {
  constructor(
    readonly length: number,
    readonly count: number,
    readonly blocks: readonly bigint[],
  ) {
    assertInt(length, 'length', 1, 1 << 24);
    assertInt(count, 'count', 1, HE_VECTOR_MAX_TERMS);
  }
  toBytes(): Uint8Array {
    return encodeFields('ml-he-vec/1', [
      u32Bytes(this.length),
      u32Bytes(this.count),
      ...this.blocks.map(uintToBytes),
    ]);
  }
  /** @throws TypeError on malformed input. */
  static fromBytes(b: Uint8Array): EncryptedVector {
    const what = 'encrypted vector';
    const f = decodeFields('ml-he-vec/1', b, what, undefined, 3);
    const blocks = f.slice(2).map((x) => fieldUint(x, what));
    try {
      return new EncryptedVector(fieldU32(f[0]!, what), fieldU32(f[1]!, what), blocks);
    } catch (e) {
      throw e instanceof TypeError ? e : new TypeError(`${what}: malformed encoding (bounds)`);
    }
  }
}

/**
 * Encrypts a vector of integers in [0, 2^40 − 1].
 * @throws RangeError on an out-of-range element or an empty vector.
 * @example heEncryptVector(pk, [3n, 0n, 7n])
 */
export function heEncryptVector(
  pk: HePublicKey,
  values: ReadonlyArray<bigint | number>,
  rng: RandomSource = randomBytes,
): EncryptedVector {
  if (values.length === 0) throw new RangeError('empty vector');
  const s = pk.slots;
  const blocks: bigint[] = [];
  for (let i = 0; i < values.length; i += s) {
    let m = 0n;
    const chunk = values.slice(i, i + s);
    for (let j = chunk.length - 1; j >= 0; j--) {
      const v = chunk[j]!;
      if (typeof v === 'number') assertInt(v, 'vector element');
      const b = BigInt(v);
      if (b < 0n || b > HE_VECTOR_MAX_VALUE) throw new RangeError('vector element must be in [0, 2^40 - 1]');
      m = (m << BigInt(HE_SLOT_BITS)) | b;
    }
    const r = paillierRandomness(pk, rng);
    blocks.push(pk.key.encrypt(m, r));
  }
  return new EncryptedVector(values.length, 1, blocks);
}

/**
 * Adds encrypted vectors element-wise (the aggregator's operation).
 * @throws RangeError on length mismatch or when the per-slot term bound would be exceeded.
 */
export function heSumVectors(pk: HePublicKey, vs: readonly EncryptedVector[]): EncryptedVector {
  const first = vs[0];
  if (!first) throw new RangeError('nothing to sum');
  let count = 0;
  for (const v of vs) {
    if (v.length !== first.length || v.blocks.length !== first.blocks.length)
      throw new RangeError('vector lengths differ');
    for (const c of v.blocks)
      if (c <= 0n || c >= pk.n2) throw new RangeError('ciphertext out of range for this key');
    count += v.count;
  }
  if (count > HE_VECTOR_MAX_TERMS) throw new RangeError('too many vectors: a slot could overflow');
  return new EncryptedVector(
    first.length,
    count,
    first.blocks.map((_, i) => pk.key.addition(...vs.map((v) => v.blocks[i]!))),
  );
}

/**
 * Decrypts an encrypted vector sum.
 * @throws RangeError if a slot exceeds count × 2^40 − 1 (forged ciphertext).
 */
export function heDecryptVector(sk: HeSecretKey, v: EncryptedVector): bigint[] {
  const s = sk.publicKey.slots;
  if (v.blocks.length !== Math.ceil(v.length / s))
    throw new RangeError('block count does not match the length');
  const bound = BigInt(v.count) * HE_VECTOR_MAX_VALUE;
  const out: bigint[] = [];
  for (const c of v.blocks) {
    if (c <= 0n || c >= sk.publicKey.n2) throw new RangeError('ciphertext out of range for this key');
    let m = sk.key.decrypt(c);
    for (let j = 0; j < s && out.length < v.length; j++) {
      const x = m & MASK;
      if (x > bound) throw new RangeError('decrypted slot exceeds the bound of its term count');
      out.push(x);
      m >>= BigInt(HE_SLOT_BITS);
    }
    if (m !== 0n && out.length === v.length)
      throw new RangeError('decrypted vector has bits beyond its length');
  }
  return out;
}
