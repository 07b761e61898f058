/**
 * Shared pairing algebra on BLS12-381 (type-III: G1 × G2 → GT) for ABE (abe.ts) and PEKS
 * (peks.ts). Encodings are the ZCash/IETF compressed forms: G1 48 bytes, G2 96 bytes; GT is
 * mcl's 576-byte Fp12 form; scalars are 32-byte big-endian integers below the group order r.
 * Hashing to G1 is RFC 9380 (BLS12381G1_XMD:SHA-256_SSWU_RO_) with a per-use domain tag.
 *
 * Library choice (measured, see docs/confidentiality.md): mcl-wasm 2.4.1 does the pairings,
 * Miller loops, final exponentiations, hashing and ephemeral scalar multiplications; it was
 * 3.5 ms per pairing here against 18 ms for @noble/curves (5x), and it exposes the Miller loop
 * and the final exponentiation separately, so a product of n pairings costs n Miller loops
 * (1.2 ms) and ONE final exponentiation (2 ms). mcl does not promise constant-time scalar
 * multiplication, so every multiplication by a LONG-TERM secret scalar (an ABE authority's
 * α and y, a PEKS secret key) goes through `ctMulG1`/`ctMulG2`, which use @noble/curves'
 * constant-time ladder (1-2 ms). Both libraries implement the same curve and the same
 * RFC 9380 hash; test/pairing.test.ts checks that they agree.
 *
 * Threat model: ephemeral scalars (encryption randomness) are multiplied by mcl in variable
 * time. A timing observer of one encryption learns at most partial information on a scalar
 * that is never reused, which does not compose into key recovery the way repeated leakage of
 * a long-term key would; an attacker who can run code on the same core (cache attacks on the
 * WASM tables) is out of scope. GT elements from `gtFromBytes` are not checked for subgroup
 * membership (a 1.4 ms exponentiation): the schemes here authenticate them with AES-GCM.
 * `initPairing()` must be awaited once before any other function (WASM loading).
 */
import mcl from 'mcl-wasm';
import type { G1, G2, GT, Fr } from 'mcl-wasm';
import { bls12_381 as noble } from '@noble/curves/bls12-381.js';
import { assertBytes, assertString } from './assert.js';
import { concatBytes, utf8, type RandomSource } from './bytes.js';
import { randomBytes } from './random.js';

export type { G1, G2, GT } from 'mcl-wasm';

/** The prime order r of G1, G2 and GT. */
export const CURVE_ORDER = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001n;
/** Encoded sizes in bytes. */
export const G1_BYTES = 48;
export const G2_BYTES = 96;
export const GT_BYTES = 576;
export const SCALAR_BYTES = 32;

let initPromise: Promise<void> | undefined;
let ready = false;
let g1Gen: G1;
let g2Gen: G2;

/**
 * Loads the pairing engine (mcl-wasm, about 0.25 s once). Idempotent; await it before
 * calling anything else in this module, abe.ts or peks.ts.
 * @example await initPairing();
 */
export function initPairing(): Promise<void> {
  initPromise ??= (async () => {
    await mcl.init(mcl.BLS12_381);
    mcl.setETHserialization(true); // ZCash compressed encodings, as @noble/curves
    mcl.setMapToMode(mcl.IRTF); // RFC 9380 hash-to-curve
    mcl.verifyOrderG1(true); // deserialization rejects points outside the prime subgroup
    mcl.verifyOrderG2(true);
    g1Gen = new mcl.G1();
    g1Gen.deserialize(noble.G1.Point.BASE.toBytes(true));
    g2Gen = new mcl.G2();
    g2Gen.deserialize(noble.G2.Point.BASE.toBytes(true));
    ready = true;
  })();
  return initPromise;
}

function need(): void {
  if (!ready) throw new Error('pairing engine not loaded: await initPairing() first');
}

/** The standard generator of G1 (a fresh copy). */
export function g1Generator(): G1 {
  need();
  return g1Gen.clone();
}
/** The standard generator of G2 (a fresh copy). */
export function g2Generator(): G2 {
  need();
  return g2Gen.clone();
}

/** A uniformly random non-zero scalar (48 random bytes reduced mod r: bias below 2^-128). */
export function randomScalar(rng: RandomSource = randomBytes): bigint {
  for (;;) {
    const b = rng(48);
    assertBytes(b, 'random bytes', 48);
    let x = 0n;
    for (const v of b) x = (x << 8n) | BigInt(v);
    x %= CURVE_ORDER;
    if (x !== 0n) return x;
  }
}

/** `x mod r` in [0, r). */
export function modR(x: bigint): bigint {
  const m = x % CURVE_ORDER;
  return m < 0n ? m + CURVE_ORDER : m;
}

/** Modular inverse mod r (Fermat); throws `RangeError` on zero. */
export function invR(x: bigint): bigint {
  const a = modR(x);
  if (a === 0n) throw new RangeError('zero has no inverse');
  let result = 1n;
  let base = a;
  let e = CURVE_ORDER - 2n;
  while (e > 0n) {
    if (e & 1n) result = (result * base) % CURVE_ORDER;
    base = (base * base) % CURVE_ORDER;
    e >>= 1n;
  }
  return result;
}

function toFr(k: bigint): Fr {
  const f = new mcl.Fr();
  f.setStr(modR(k).toString(16), 16);
  return f;
}

/** Variable-time `k·P` in G1 (mcl). Only for public or single-use scalars. */
export function mulG1(p: G1, k: bigint): G1 {
  need();
  return mcl.mul(p, toFr(k));
}
/** Variable-time `k·Q` in G2 (mcl). Only for public or single-use scalars. */
export function mulG2(q: G2, k: bigint): G2 {
  need();
  return mcl.mul(q, toFr(k));
}
/** Variable-time `x^k` in GT (mcl). Only for public or single-use exponents. */
export function gtPow(x: GT, k: bigint): GT {
  need();
  return mcl.pow(x, toFr(k));
}

/** Constant-time `k·P` in G1 for long-term secret scalars (@noble/curves ladder). */
export function ctMulG1(p: G1, k: bigint): G1 {
  need();
  const r = noble.G1.Point.fromBytes(p.serialize()).multiply(nonZero(k));
  return g1FromBytes(r.toBytes(true));
}
/** Constant-time `k·Q` in G2 for long-term secret scalars (@noble/curves ladder). */
export function ctMulG2(q: G2, k: bigint): G2 {
  need();
  const r = noble.G2.Point.fromBytes(q.serialize()).multiply(nonZero(k));
  return g2FromBytes(r.toBytes(true));
}
function nonZero(k: bigint): bigint {
  const m = modR(k);
  if (m === 0n) throw new RangeError('secret scalar must be non-zero mod r');
  return m;
}

export const addG1 = (a: G1, b: G1): G1 => mcl.add(a, b);
export const addG2 = (a: G2, b: G2): G2 => mcl.add(a, b);
export const mulGT = (a: GT, b: GT): GT => mcl.mul(a, b);

function domainPrefix(domain: string): Uint8Array {
  assertString(domain, 'domain', true);
  const d = utf8(`medledger/${domain}`);
  if (d.length > 255) throw new RangeError('domain too long');
  return concatBytes(Uint8Array.of(d.length), d);
}

/**
 * Hashes `msg` to G1 under a domain tag (RFC 9380 SSWU, random-oracle variant). The tag is
 * prepended to the message (length-prefixed), so different uses never collide.
 * @example hashToG1('abe/gid', utf8('alice'))
 */
export function hashToG1(domain: string, msg: Uint8Array): G1 {
  need();
  assertBytes(msg, 'msg');
  return mcl.hashAndMapToG1(concatBytes(domainPrefix(domain), msg));
}

/** e(P, Q). */
export function pairing(p: G1, q: G2): GT {
  need();
  return mcl.pairing(p, q);
}

/**
 * Π e(Pᵢ, Qᵢ) with one final exponentiation: n Miller loops + 1 final exponentiation instead
 * of n full pairings. Returns 1 ∈ GT for an empty list.
 */
export function multiPairing(pairs: ReadonlyArray<readonly [G1, G2]>): GT {
  need();
  let acc: GT | undefined;
  for (const [p, q] of pairs) {
    const m = mcl.millerLoop(p, q);
    acc = acc === undefined ? m : mcl.mul(acc, m);
  }
  if (acc === undefined) {
    const one = new mcl.GT();
    one.setInt(1);
    return one;
  }
  return mcl.finalExp(acc);
}

/**
 * e(P, Q) computed by @noble/curves instead of mcl, encoded like `gtToBytes` (noble writes
 * each Fp2 as (c0, c1), mcl as (c1, c0)). For cross-checking the two libraries and for the
 * benchmark that justifies the choice; ~5x slower than `pairing`.
 */
export function referencePairingBytes(p: G1, q: G2): Uint8Array {
  need();
  const e = noble.pairing(noble.G1.Point.fromBytes(p.serialize()), noble.G2.Point.fromBytes(q.serialize()));
  const b = noble.fields.Fp12.toBytes(e);
  const out = new Uint8Array(b.length);
  for (let i = 0; i < b.length; i += 96) {
    out.set(b.subarray(i + 48, i + 96), i);
    out.set(b.subarray(i, i + 48), i + 48);
  }
  return out;
}

/** Equality of two GT elements. */
export function gtEqual(a: GT, b: GT): boolean {
  return a.isEqual(b);
}

function decode<T extends G1 | G2 | GT>(make: () => T, b: unknown, len: number, what: string): T {
  assertBytes(b, what);
  if (b.length !== len) throw new TypeError(`${what} must be ${len} bytes, got ${b.length}`);
  const x = make();
  try {
    x.deserialize(b);
  } catch {
    throw new TypeError(`${what} is not a valid encoding`);
  }
  if (x.isZero()) throw new TypeError(`${what} must not be the identity`);
  return x;
}

export const g1ToBytes = (p: G1): Uint8Array => p.serialize();
export const g2ToBytes = (q: G2): Uint8Array => q.serialize();
export const gtToBytes = (x: GT): Uint8Array => x.serialize();
/** Decodes a compressed G1 point in the prime subgroup; throws `TypeError` otherwise or on the identity. */
export function g1FromBytes(b: Uint8Array, what = 'G1 point'): G1 {
  need();
  return decode(() => new mcl.G1(), b, G1_BYTES, what);
}
/** Decodes a compressed G2 point in the prime subgroup; throws `TypeError` otherwise or on the identity. */
export function g2FromBytes(b: Uint8Array, what = 'G2 point'): G2 {
  need();
  return decode(() => new mcl.G2(), b, G2_BYTES, what);
}
/** Decodes a GT element (576 bytes, Fp12 coefficients); throws `TypeError` if malformed. */
export function gtFromBytes(b: Uint8Array, what = 'GT element'): GT {
  need();
  return decode(() => new mcl.GT(), b, GT_BYTES, what);
}

/** A scalar as 32 big-endian bytes. */
export function scalarToBytes(k: bigint): Uint8Array {
  const out = new Uint8Array(SCALAR_BYTES);
  let x = modR(k);
  for (let i = SCALAR_BYTES - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}
/** Parses 32 big-endian bytes as a non-zero scalar below r; throws `TypeError` otherwise. */
export function scalarFromBytes(b: Uint8Array, what = 'scalar'): bigint {
  assertBytes(b, what);
  if (b.length !== SCALAR_BYTES) throw new TypeError(`${what} must be ${SCALAR_BYTES} bytes`);
  let x = 0n;
  for (const v of b) x = (x << 8n) | BigInt(v);
  if (x === 0n || x >= CURVE_ORDER) throw new TypeError(`${what} is out of range`);
  return x;
}
