/**
 * Secure aggregation by pairwise masking (K. Bonawitz, V. Ivanov, B. Kreuter, A. Marcedone,
 * H. B. McMahan, S. Patel, D. Ramage, A. Segal, K. Seth, "Practical Secure Aggregation for
 * Privacy-Preserving Machine Learning", ACM CCS 2017, §4 and Fig. 4). The arithmetic parts:
 * fixed-point encoding into Z_q, mask expansion, the masked input and the unmasked sum.
 * Shamir sharing is shamir.ts; the rounds and who posts what are the ledger's (core
 * contracts/fl). Threat model and parameters: packages/crypto/docs/fl.md.
 *
 * Each participant u holds an X25519 key pair (s_u^SK, s_u^PK) for mask agreement and a
 * fresh 32-byte self-mask seed b_u. With s_{u,v} = HKDF(X25519(s_u^SK, s_v^PK), context) it
 * sends
 *   y_u = x_u + PRG(b_u) + Σ_{v > u} PRG(s_{u,v}) − Σ_{v < u} PRG(s_{u,v})   (mod q)
 * over the peers v that dealt shares (U2), ordered by id. Summing y_u over the survivors U3,
 * the pairwise masks between survivors cancel; what is left is removed with the self seeds
 * b_u of the survivors and the secret keys s_w^SK of the dropped participants w ∈ U2 \ U3,
 * each recovered from t Shamir shares. No party ever learns both b_u and s_u^SK of the same u.
 *
 * q = 2^127 − 1 (a Mersenne prime). PRG(seed) is AES-256-CTR under HKDF-SHA256(seed, context)
 * from a zero counter; each 16-byte block gives one element by keeping 127 bits and redrawing
 * on q itself (probability 2^-127), so masks are uniform in Z_q up to the PRG's security.
 * Primitives come from `primitives.ts` (X25519, HKDF, AES: node:crypto, or @noble in a
 * browser build); the functions are synchronous so that the ledger's contracts can re-derive
 * an aggregate.
 */
import { assertBytes, assertInt } from './assert.js';
import { utf8 } from './bytes.js';
import { hashTagged } from './hash.js';
import { aes256CtrStream, hkdfSha256, x25519PublicKeyRaw, x25519SharedSecretRaw } from './primitives.js';

/** The modulus of masked vectors: the Mersenne prime 2^127 − 1. */
export const SECAGG_MODULUS = (1n << 127n) - 1n;
/** Fraction bits of the fixed-point encoding: a value v is encoded as round(v · 2^32) mod q. */
export const SECAGG_FRACTION_BITS = 32;
/** Longest vector accepted. */
export const SECAGG_MAX_DIMENSION = 4096;
/**
 * Largest magnitude a participant may encode: 2^80. A sum of up to 2^14 such values stays
 * below q/2 = 2^126 at 32 fraction bits, so it decodes without wrapping.
 */
export const SECAGG_MAX_ABS_VALUE = 2 ** 80;

const PRG_INFO = utf8('medledger/fl/prg/v1');
const PAIR_INFO = utf8('medledger/fl/pairwise/v1');
const SELF_MASK_TAG = 'medledger/fl/self-mask/v1';

/**
 * The raw X25519 public key of a raw 32-byte private key (RFC 7748).
 * @throws TypeError / RangeError unless `privateKey` is 32 bytes
 */
export function x25519PublicKeyOf(privateKey: Uint8Array): Uint8Array {
  assertBytes(privateKey, 'privateKey', 32);
  return x25519PublicKeyRaw(privateKey);
}

/** Bit length and byte length of elements of Z_q. */
function widthOf(q: bigint): { bits: bigint; bytes: number; mask: bigint } {
  if (typeof q !== 'bigint' || q < 3n) throw new RangeError('modulus must be a bigint >= 3');
  const bits = BigInt(q.toString(2).length);
  return { bits, bytes: Number((bits + 7n) / 8n), mask: (1n << bits) - 1n };
}

function bytesToBigInt(b: Uint8Array, from = 0, to = b.length): bigint {
  let v = 0n;
  for (let i = from; i < to; i++) v = (v << 8n) | BigInt(b[i]!);
  return v;
}

/**
 * X25519(privateKey, publicKey): the raw 32-byte shared secret.
 * @throws TypeError unless both keys are 32 bytes; Error('key agreement failed') for a
 *   low-order public key (all-zero shared secret)
 */
export function x25519SharedSecret(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  assertBytes(privateKey, 'privateKey', 32);
  assertBytes(publicKey, 'publicKey', 32);
  try {
    return x25519SharedSecretRaw(privateKey, publicKey);
  } catch {
    throw new Error('key agreement failed');
  }
}

/**
 * PRG(seed): `length` elements of Z_q, uniform if the seed is (AES-256-CTR keyed by
 * HKDF-SHA256(seed, salt = context, info = "medledger/fl/prg/v1")).
 * @param context binds the mask to one aggregation (e.g. study and round)
 * @example const mask = expandMask(seed, 31, context);
 */
export function expandMask(
  seed: Uint8Array,
  length: number,
  context: Uint8Array,
  modulus: bigint = SECAGG_MODULUS,
): bigint[] {
  assertBytes(seed, 'seed', 32);
  assertBytes(context, 'context');
  assertInt(length, 'length', 0, SECAGG_MAX_DIMENSION);
  const { bytes, mask } = widthOf(modulus);
  const key = hkdfSha256(seed, context, PRG_INFO, 32);
  const iv = new Uint8Array(16);
  let read = 0;
  const out: bigint[] = [];
  while (out.length < length) {
    // A whole batch of keystream per call; rejected draws are rare except for tiny moduli.
    const want = bytes * Math.max(1, length - out.length);
    const stream = aes256CtrStream(key, iv, read, want);
    read += want;
    for (let o = 0; o + bytes <= stream.length && out.length < length; o += bytes) {
      const v = bytesToBigInt(stream, o, o + bytes) & mask;
      if (v < modulus) out.push(v);
    }
  }
  key.fill(0);
  return out;
}

/**
 * The pairwise seed s_{u,v} = HKDF-SHA256(X25519(privateKey, peerPublicKey), salt = context,
 * info = "medledger/fl/pairwise/v1"): the same for u and v.
 * @throws as {@link x25519SharedSecret}
 */
export function pairwiseSeed(
  privateKey: Uint8Array,
  peerPublicKey: Uint8Array,
  context: Uint8Array,
): Uint8Array {
  assertBytes(context, 'context');
  const shared = x25519SharedSecret(privateKey, peerPublicKey);
  try {
    return hkdfSha256(shared, context, PAIR_INFO, 32);
  } finally {
    shared.fill(0);
  }
}

/** A peer of a masking participant: its id (ordering decides the sign) and mask public key. */
export interface SecAggPeer {
  id: string;
  publicKey: Uint8Array;
}

/** Element-wise (a + b) mod q. */
export function addVectors(
  a: readonly bigint[],
  b: readonly bigint[],
  modulus: bigint = SECAGG_MODULUS,
): bigint[] {
  if (a.length !== b.length) throw new RangeError('vectors must have the same length');
  return a.map((x, i) => (x + b[i]!) % modulus);
}

/** Element-wise (a − b) mod q. */
export function subVectors(
  a: readonly bigint[],
  b: readonly bigint[],
  modulus: bigint = SECAGG_MODULUS,
): bigint[] {
  if (a.length !== b.length) throw new RangeError('vectors must have the same length');
  return a.map((x, i) => (((x - b[i]!) % modulus) + modulus) % modulus);
}

/**
 * Σ_{v > self} PRG(s_{self,v}) − Σ_{v < self} PRG(s_{self,v}) over `peers` (ids compared as
 * strings): the pairwise part of a masked input. `peers` must not contain `self`.
 */
export function pairwiseMask(p: {
  self: string;
  privateKey: Uint8Array;
  peers: readonly SecAggPeer[];
  length: number;
  context: Uint8Array;
  modulus?: bigint;
}): bigint[] {
  const q = p.modulus ?? SECAGG_MODULUS;
  let acc: bigint[] = new Array<bigint>(p.length).fill(0n);
  for (const peer of p.peers) {
    if (peer.id === p.self) throw new RangeError('peers must not contain self');
    const m = expandMask(pairwiseSeed(p.privateKey, peer.publicKey, p.context), p.length, p.context, q);
    acc = p.self < peer.id ? addVectors(acc, m, q) : subVectors(acc, m, q);
  }
  return acc;
}

/**
 * The masked input y_u = x_u + PRG(b_u) + pairwise masks (Bonawitz et al., MaskedInputCollection).
 * @param input x_u, elements of Z_q (see {@link encodeFixedPoint})
 * @param selfSeed b_u, 32 fresh random bytes, shared with Shamir before this is sent
 * @param privateKey s_u^SK; `peers` are the other participants of U2 with their s^PK
 * @throws RangeError if an input element is outside Z_q
 */
export function maskInput(p: {
  input: readonly bigint[];
  selfSeed: Uint8Array;
  self: string;
  privateKey: Uint8Array;
  peers: readonly SecAggPeer[];
  context: Uint8Array;
  modulus?: bigint;
}): bigint[] {
  const q = p.modulus ?? SECAGG_MODULUS;
  for (const x of p.input)
    if (typeof x !== 'bigint' || x < 0n || x >= q) throw new RangeError('input is not in Z_q');
  const self = expandMask(p.selfSeed, p.input.length, p.context, q);
  const pair = pairwiseMask({ ...p, length: p.input.length, modulus: q });
  return addVectors(addVectors(p.input, self, q), pair, q);
}

/**
 * The sum of the survivors' inputs from their masked inputs, their self seeds, and the
 * recovered mask keys of the dropped participants (Bonawitz et al., Unmasking):
 *   Σ_{u∈U3} y_u − Σ_{u∈U3} PRG(b_u) − Σ_{u∈U3} Σ_{w dropped} ±PRG(s_{u,w}).
 * @param survivors each survivor's id, masked input, self seed and mask public key
 * @param dropped each dropped participant's id and recovered mask private key
 * @throws RangeError on vectors of the wrong length or elements outside Z_q; the errors of
 *   {@link pairwiseSeed} for an unusable key
 */
export function unmaskSum(p: {
  survivors: readonly {
    id: string;
    masked: readonly bigint[];
    selfSeed: Uint8Array;
    publicKey: Uint8Array;
  }[];
  dropped: readonly { id: string; privateKey: Uint8Array }[];
  length: number;
  context: Uint8Array;
  modulus?: bigint;
}): bigint[] {
  const q = p.modulus ?? SECAGG_MODULUS;
  let sum: bigint[] = new Array<bigint>(p.length).fill(0n);
  for (const s of p.survivors) {
    if (s.masked.length !== p.length) throw new RangeError('masked input has the wrong length');
    for (const y of s.masked)
      if (typeof y !== 'bigint' || y < 0n || y >= q) throw new RangeError('masked input is not in Z_q');
    sum = addVectors(sum, s.masked, q);
    sum = subVectors(sum, expandMask(s.selfSeed, p.length, p.context, q), q);
  }
  for (const w of p.dropped) {
    for (const s of p.survivors) {
      // The survivor added +PRG(s_{u,w}) if u < w and −PRG(s_{u,w}) if u > w: take it back.
      const m = expandMask(pairwiseSeed(w.privateKey, s.publicKey, p.context), p.length, p.context, q);
      sum = s.id < w.id ? subVectors(sum, m, q) : addVectors(sum, m, q);
    }
  }
  return sum;
}

/** Commitment to a self-mask seed: SHA-256 tagged "medledger/fl/self-mask/v1" of (context, seed). */
export function selfMaskCommitment(seed: Uint8Array, context: Uint8Array): Uint8Array {
  assertBytes(seed, 'seed', 32);
  assertBytes(context, 'context');
  return hashTagged(SELF_MASK_TAG, context, seed);
}

/**
 * Fixed-point encoding: round(v · 2^fractionBits) mod q, negatives as q − |·|.
 * @throws RangeError for a value that is not finite or exceeds {@link SECAGG_MAX_ABS_VALUE}
 */
export function encodeFixedPoint(
  values: readonly number[],
  fractionBits: number = SECAGG_FRACTION_BITS,
  modulus: bigint = SECAGG_MODULUS,
): bigint[] {
  assertInt(fractionBits, 'fractionBits', 0, 64);
  const scale = 2 ** fractionBits;
  return values.map((v) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v) > SECAGG_MAX_ABS_VALUE)
      throw new RangeError('value is not finite or too large to encode');
    const n = BigInt(Math.round(v * scale));
    return ((n % modulus) + modulus) % modulus;
  });
}

/** Inverse of {@link encodeFixedPoint}: elements above q/2 are negative. */
export function decodeFixedPoint(
  elements: readonly bigint[],
  fractionBits: number = SECAGG_FRACTION_BITS,
  modulus: bigint = SECAGG_MODULUS,
): number[] {
  assertInt(fractionBits, 'fractionBits', 0, 64);
  const scale = 2 ** fractionBits;
  const half = modulus / 2n;
  return elements.map((e) => {
    if (typeof e !== 'bigint' || e < 0n || e >= modulus) throw new RangeError('element is not in Z_q');
    return Number(e > half ? e - modulus : e) / scale;
  });
}

/** Fixed-width big-endian bytes of a vector of Z_q (16 bytes per element for q = 2^127 − 1). */
export function vectorToBytes(v: readonly bigint[], modulus: bigint = SECAGG_MODULUS): Uint8Array {
  const { bytes } = widthOf(modulus);
  const out = new Uint8Array(bytes * v.length);
  v.forEach((e, i) => {
    if (typeof e !== 'bigint' || e < 0n || e >= modulus) throw new RangeError('element is not in Z_q');
    let x = e;
    for (let k = bytes - 1; k >= 0; k--) {
      out[i * bytes + k] = Number(x & 0xffn);
      x >>= 8n;
    }
  });
  return out;
}

/**
 * Parses {@link vectorToBytes}.
 * @throws RangeError unless the length is a whole number of elements, at most
 *   {@link SECAGG_MAX_DIMENSION}, each below q
 */
export function vectorFromBytes(b: Uint8Array, modulus: bigint = SECAGG_MODULUS): bigint[] {
  assertBytes(b, 'vector');
  const { bytes } = widthOf(modulus);
  if (b.length % bytes !== 0) throw new RangeError(`vector length must be a multiple of ${bytes} bytes`);
  if (b.length / bytes > SECAGG_MAX_DIMENSION) throw new RangeError('vector is too long');
  const out: bigint[] = [];
  for (let o = 0; o < b.length; o += bytes) {
    const v = bytesToBigInt(b, o, o + bytes);
    if (v >= modulus) throw new RangeError('vector element is not in Z_q');
    out.push(v);
  }
  return out;
}
