/**
 * Internal BLS12-381 helpers of groupsig.ts on @noble/curves (constant-time scalar
 * multiplication): scalars mod r, point codecs with subgroup checks, hashing to scalars.
 * Decoders throw `TypeError` naming the object, never its bytes.
 */
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8, type RandomSource } from './bytes.js';

export const G1 = bls12_381.G1.Point;
export const G2 = bls12_381.G2.Point;
export type G1 = InstanceType<typeof G1>;
export type G2 = InstanceType<typeof G2>;
export const R = bls12_381.fields.Fr.ORDER;
export const G1_LEN = 48;
export const G2_LEN = 96;
export const SCALAR_LEN = 32;

export const mod = (x: bigint): bigint => ((x % R) + R) % R;

export function invert(x: bigint): bigint {
  const v = bls12_381.fields.Fr.inv(mod(x));
  return v;
}

/** A uniform non-zero scalar from 64 random bytes. */
export function randomScalar(random: RandomSource): bigint {
  for (;;) {
    const b = random(64);
    let x = 0n;
    for (const byte of b) x = (x << 8n) | BigInt(byte);
    x = mod(x);
    if (x !== 0n) return x;
  }
}

export function scalarToBytes(x: bigint): Uint8Array {
  const out = new Uint8Array(SCALAR_LEN);
  let v = mod(x);
  for (let i = SCALAR_LEN - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** Big-endian canonical scalar (< r); throws `TypeError` otherwise. */
export function scalarFromBytes(b: Uint8Array, what: string): bigint {
  if (b.length !== SCALAR_LEN) throw new TypeError(`${what}: malformed scalar`);
  let x = 0n;
  for (const byte of b) x = (x << 8n) | BigInt(byte);
  if (x >= R) throw new TypeError(`${what}: non-canonical scalar`);
  return x;
}

/** Constant-time multiplication (noble's `multiply`); k = 0 gives the identity. */
export function mulG1(p: G1, k: bigint): G1 {
  const m = mod(k);
  return m === 0n ? G1.ZERO : p.multiply(m);
}

export function mulG2(p: G2, k: bigint): G2 {
  const m = mod(k);
  return m === 0n ? G2.ZERO : p.multiply(m);
}

/** Variable-time multiplication, for public values only (verification). */
export const mulG1Public = (p: G1, k: bigint): G1 => p.multiplyUnsafe(mod(k));

export const g1ToBytes = (p: G1): Uint8Array => p.toBytes(true);
export const g2ToBytes = (p: G2): Uint8Array => p.toBytes(true);

/** Compressed G1 point in the prime-order subgroup, not the identity. */
export function g1FromBytes(b: Uint8Array, what: string): G1 {
  try {
    const p = G1.fromBytes(b);
    p.assertValidity();
    if (p.is0()) throw new Error('identity');
    return p;
  } catch {
    throw new TypeError(`${what}: invalid G1 point`);
  }
}

export function g2FromBytes(b: Uint8Array, what: string): G2 {
  try {
    const p = G2.fromBytes(b);
    p.assertValidity();
    if (p.is0()) throw new Error('identity');
    return p;
  } catch {
    throw new TypeError(`${what}: invalid G2 point`);
  }
}

/** e(a1, b1) * e(a2, b2) serialised, one final exponentiation. */
export function pairing2(a1: G1, b1: G2, a2: G1, b2: G2): Uint8Array {
  const gt = bls12_381.pairingBatch([
    { g1: a1, g2: b1 },
    { g1: a2, g2: b2 },
  ]);
  return bls12_381.fields.Fp12.toBytes(gt);
}

/** e(a, b) == e(c, d). */
export function pairingsEqual(a: G1, b: G2, c: G1, d: G2): boolean {
  const gt = bls12_381.pairingBatch([
    { g1: a, g2: b },
    { g1: c.negate(), g2: d },
  ]);
  return bls12_381.fields.Fp12.eql(gt, bls12_381.fields.Fp12.ONE);
}

/** SHA-512 of the domain and parts, reduced mod r (Fiat-Shamir challenge). */
export function hashToScalar(domain: string, ...parts: Uint8Array[]): bigint {
  const lens = parts.map((p) => {
    const l = new Uint8Array(4);
    new DataView(l.buffer).setUint32(0, p.length);
    return concatBytes(l, p);
  });
  const d = sha512(concatBytes(utf8(domain), ...lens));
  let x = 0n;
  for (const byte of d) x = (x << 8n) | BigInt(byte);
  return mod(x);
}

export function hashToG1(domain: string, msg: Uint8Array): G1 {
  return bls12_381.G1.hashToCurve(msg, { DST: domain }) as unknown as G1;
}
