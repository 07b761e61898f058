/**
 * Shamir secret sharing over a prime field (A. Shamir, "How to share a secret", CACM 22(11),
 * 1979). A secret s is the constant term of a random polynomial f of degree t − 1 over
 * GF(p); holder i receives f(x_i). Any t shares determine f(0) = s by Lagrange interpolation;
 * any t − 1 shares are uniformly distributed whatever s is (perfect secrecy).
 *
 * The field is GF(2^521 − 1) (a Mersenne prime, the field of NIST P-521), large enough to hold
 * a 64-byte secret as one element. Coefficients are sampled uniformly by rejection: 521 random
 * bits, drawn again in the one case (all ones) that equals p.
 *
 * Threat model: secrecy holds against anyone holding fewer than t shares, unconditionally.
 * Nothing here makes shares verifiable (no Feldman/Pedersen commitments): a dealer can hand
 * out shares of no consistent polynomial and a holder can present a wrong share, and
 * `shamirCombine` then returns a wrong secret without noticing. Callers check the result
 * against a commitment (the secure aggregation of secagg.ts does: a public key, a hash).
 * BigInt arithmetic is not constant-time: do not run it where an attacker times the process.
 */
import { assertBytes, assertInt } from './assert.js';
import type { RandomSource } from './bytes.js';
import { randomBytes } from './random.js';

/** The field prime: 2^521 − 1. */
export const SHAMIR_PRIME = (1n << 521n) - 1n;
/** Bytes of an encoded share value (a field element, big-endian). */
export const SHAMIR_SHARE_BYTES = 66;
/** Longest secret, in bytes (it must be smaller than the prime). */
export const SHAMIR_MAX_SECRET_BYTES = 64;
/** Most holders of one secret (x-coordinates 1..255). */
export const SHAMIR_MAX_HOLDERS = 255;

/** One share: the holder's x-coordinate (1..255) and f(x). */
export interface ShamirShare {
  x: number;
  y: bigint;
}

const P = SHAMIR_PRIME;
const mod = (a: bigint): bigint => ((a % P) + P) % P;

function bytesToBigInt(b: Uint8Array): bigint {
  let v = 0n;
  for (const byte of b) v = (v << 8n) | BigInt(byte);
  return v;
}

function bigIntToBytes(v: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  if (v !== 0n) throw new RangeError('value does not fit');
  return out;
}

/** A uniform element of GF(p) by rejection sampling (521 bits; redraw on p itself). */
function randomElement(random: RandomSource): bigint {
  for (;;) {
    const b = random(SHAMIR_SHARE_BYTES);
    assertBytes(b, 'random output', SHAMIR_SHARE_BYTES);
    const v = bytesToBigInt(b) & P; // keep the low 521 bits
    if (v !== P) return v;
  }
}

/** a^{-1} mod p by the extended Euclidean algorithm (a ≠ 0 mod p). */
function inverse(a: bigint): bigint {
  let [r0, r1] = [mod(a), P];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1n) throw new RangeError('not invertible');
  return mod(s0);
}

function checkXs(xs: readonly number[]): void {
  const seen = new Set<number>();
  for (const x of xs) {
    assertInt(x, 'share x', 1, SHAMIR_MAX_HOLDERS);
    if (seen.has(x)) throw new RangeError('share x-coordinates must be distinct');
    seen.add(x);
  }
}

/**
 * Splits `secret` into one share per x-coordinate; any `threshold` of them recover it.
 * @param secret 1..64 bytes
 * @param threshold t, 1 <= t <= xs.length
 * @param xs distinct holder coordinates in 1..255
 * @param random source of the t − 1 random coefficients (default: the OS CSPRNG)
 * @throws TypeError / RangeError on bad arguments (messages never contain the secret)
 * @example
 * const shares = shamirSplit(seed, 3, [1, 2, 3, 4]); // hand shares[i] to holder xs[i]
 */
export function shamirSplit(
  secret: Uint8Array,
  threshold: number,
  xs: readonly number[],
  random: RandomSource = randomBytes,
): ShamirShare[] {
  assertBytes(secret, 'secret');
  if (secret.length === 0 || secret.length > SHAMIR_MAX_SECRET_BYTES)
    throw new RangeError(`secret must be 1..${SHAMIR_MAX_SECRET_BYTES} bytes`);
  if (!Array.isArray(xs)) throw new TypeError('xs must be an array');
  checkXs(xs);
  assertInt(threshold, 'threshold', 1, xs.length);
  const coefficients = [bytesToBigInt(secret)];
  for (let i = 1; i < threshold; i++) coefficients.push(randomElement(random));
  return xs.map((x) => {
    // Horner's rule: f(x) = (...(a_{t-1} x + a_{t-2}) x + ...) x + a_0
    let y = 0n;
    const bx = BigInt(x);
    for (let i = coefficients.length - 1; i >= 0; i--) y = (y * bx + coefficients[i]!) % P;
    return { x, y };
  });
}

/**
 * Recovers the secret from shares by Lagrange interpolation at 0. Every share given is used:
 * pass exactly the threshold number of shares (more shares of a consistent polynomial give the
 * same result; fewer give an unrelated value, which is how secrecy works).
 * @param secretLength the length of the shared secret in bytes
 * @throws RangeError on duplicate or out-of-range x, a y outside the field, or a result that
 *   does not fit in `secretLength` bytes (a sign of wrong or too few shares)
 * @example const seed = shamirCombine(shares.slice(0, 3), 32);
 */
export function shamirCombine(shares: readonly ShamirShare[], secretLength: number): Uint8Array {
  if (!Array.isArray(shares) || shares.length === 0) throw new RangeError('shares must be a non-empty array');
  assertInt(secretLength, 'secretLength', 1, SHAMIR_MAX_SECRET_BYTES);
  checkXs(shares.map((s) => s.x));
  for (const s of shares)
    if (typeof s.y !== 'bigint' || s.y < 0n || s.y >= P)
      throw new RangeError('share y is not a field element');
  let secret = 0n;
  for (let j = 0; j < shares.length; j++) {
    const xj = BigInt(shares[j]!.x);
    let num = 1n;
    let den = 1n;
    for (let m = 0; m < shares.length; m++) {
      if (m === j) continue;
      const xm = BigInt(shares[m]!.x);
      num = (num * xm) % P;
      den = (den * mod(xm - xj)) % P;
    }
    secret = (secret + shares[j]!.y * ((num * inverse(den)) % P)) % P;
  }
  return bigIntToBytes(secret, secretLength);
}

/** The 66-byte big-endian encoding of a share's value (the x-coordinate travels apart). */
export function shamirShareToBytes(share: ShamirShare): Uint8Array {
  if (typeof share.y !== 'bigint' || share.y < 0n || share.y >= P)
    throw new RangeError('share y is not a field element');
  return bigIntToBytes(share.y, SHAMIR_SHARE_BYTES);
}

/**
 * Decodes a share value for holder `x`.
 * @throws TypeError / RangeError unless `bytes` is 66 bytes encoding an element below p
 */
export function shamirShareFromBytes(x: number, bytes: Uint8Array): ShamirShare {
  assertInt(x, 'share x', 1, SHAMIR_MAX_HOLDERS);
  assertBytes(bytes, 'share', SHAMIR_SHARE_BYTES);
  const y = bytesToBigInt(bytes);
  if (y >= P) throw new RangeError('share y is not a field element');
  return { x, y };
}
