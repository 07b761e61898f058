/**
 * Ring signatures on ristretto255 (RFC 9496, @noble/curves): the signer picks a ring of
 * public keys, and a verifier learns only that one of them signed.
 * - Plain ring signatures (no scope): the SAG / Abe-Ohkubo-Suzuki construction of "Zero to
 *   Monero" 2.0 §3.3 (Abe, Ohkubo, Suzuki, ASIACRYPT 2002).
 * - Linkable ring signatures (with a scope): bLSAG, "Zero to Monero" 2.0 §3.4 (after Liu, Wei,
 *   Wong: "Linkable Spontaneous Anonymous Group Signature for Ad Hoc Groups", ACISP 2004), with
 *   an event-oriented key image `I = x * Hp(scope)` (Tsang, Wei, ISPEC 2005): two signatures
 *   by one key in one scope carry the same key image (one anonymous survey answer per
 *   patient); in different scopes the key images are unrelated.
 * Challenges hash the domain, scope, whole ring, key image and message with SHA-512 reduced
 * mod the group order; Hp is RFC 9380 hash-to-ristretto255.
 *
 * Keys: ledger members sign transactions with P-256, but a ring needs ristretto255 keys, so a
 * member generates a ring key pair ({@link generateRingKeyPair}) and registers the public key
 * (32 bytes) in the registry, under its P-256 identity; rings are built from registered keys.
 *
 * Threat model. Anonymity: signer-ambiguous against everyone, the verifier, the node, other
 * ring members and the registry, even with unbounded computation for plain signatures
 * (responses are uniform); for linkable ones under DDH in ristretto255 (the key image). The
 * ring itself is public and the anonymity set is only the ring: a ring of mostly inactive
 * or colluding members (who reveal their own secrets) shrinks it; all ring members learn
 * nothing beyond a verifier. There is no opening: no one can trace a signer. Unforgeability:
 * a non-member cannot sign for a ring (DL, random oracle). Linkability: one key yields one
 * key image per scope, so a second signature in the scope is detected; a key holder cannot
 * produce two unlinked ones (key image is bound to the key, prime-order group: no cofactor
 * games). Signing uses noble's constant-time multiplication at every position, so timing
 * does not reveal the signer's index; verification uses variable-time multiplication (public
 * data only). Secret keys are never part of error messages.
 */
import { ristretto255, ristretto255_hasher } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { assertBytes, assertInt, assertString } from './assert.js';
import { concatBytes, equalBytes, toHex, utf8, type RandomSource } from './bytes.js';
import { randomBytes } from './random.js';

const Point = ristretto255.Point;
type Point = InstanceType<typeof Point>;
const L = Point.Fn.ORDER;

/** Bytes of a ring public key, secret key, scalar or key image. */
export const RING_KEY_BYTES = 32;
/** Largest ring accepted. */
export const MAX_RING_SIZE = 4096;
const VERSION = 1;
const DOMAIN = utf8('medledger/ring/v1');

/** A ring key pair: 32-byte little-endian scalar and 32-byte ristretto255 point. */
export interface RingKeyPair {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

/** A ring signature; `keyImage` is present exactly when it was made with a scope (bLSAG). */
export interface RingSignature {
  challenge: Uint8Array;
  responses: Uint8Array[];
  keyImage?: Uint8Array;
}

function leToBig(b: Uint8Array): bigint {
  let x = 0n;
  for (let i = b.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i]!);
  return x;
}

function bigToLe(x: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

const mod = (x: bigint): bigint => ((x % L) + L) % L;

function hashScalar(...parts: Uint8Array[]): bigint {
  return mod(leToBig(sha512(concatBytes(DOMAIN, ...parts))));
}

/** Canonical scalar decoding; `null` if not < L. */
function scalarOf(b: Uint8Array): bigint | null {
  if (b.length !== 32) return null;
  const x = leToBig(b);
  return x < L ? x : null;
}

function secretScalar(sk: Uint8Array): bigint {
  assertBytes(sk, 'secretKey', RING_KEY_BYTES);
  const x = scalarOf(sk);
  if (x === null || x === 0n) throw new RangeError('secretKey is not a valid ring secret key');
  return x;
}

function pointOf(b: Uint8Array): Point | null {
  try {
    const p = Point.fromBytes(b);
    return p.is0() ? null : p;
  } catch {
    return null;
  }
}

/** Generates a ring key pair from `random` (64 bytes reduced mod the group order). */
export function generateRingKeyPair(random: RandomSource = randomBytes): RingKeyPair {
  for (;;) {
    const x = mod(leToBig(random(64)));
    if (x !== 0n) return { secretKey: bigToLe(x), publicKey: Point.BASE.multiply(x).toBytes() };
  }
}

/** The public key of a ring secret key. Throws `RangeError` on an invalid secret key. */
export function ringPublicKeyOf(secretKey: Uint8Array): Uint8Array {
  return Point.BASE.multiply(secretScalar(secretKey)).toBytes();
}

/** True if `b` is a canonical, non-identity ristretto255 point encoding. Never throws. */
export function isRingPublicKey(b: unknown): boolean {
  return b instanceof Uint8Array && b.length === RING_KEY_BYTES && pointOf(b) !== null;
}

function scopePoint(scope: string): Point {
  assertString(scope, 'scope', true);
  return ristretto255_hasher.hashToCurve(utf8(scope), { DST: 'medledger/ring/key-image/v1' });
}

/** The key image of `secretKey` in `scope`: what a linkable signature in that scope exposes. */
export function keyImageOf(secretKey: Uint8Array, scope: string): Uint8Array {
  return scopePoint(scope).multiply(secretScalar(secretKey)).toBytes();
}

function ringPoints(ring: readonly Uint8Array[]): Point[] | null {
  if (!Array.isArray(ring) || ring.length < 2 || ring.length > MAX_RING_SIZE) return null;
  const seen = new Set<string>();
  const pts: Point[] = [];
  for (const k of ring) {
    if (!(k instanceof Uint8Array) || k.length !== RING_KEY_BYTES) return null;
    const h = toHex(k);
    const p = pointOf(k);
    if (p === null || seen.has(h)) return null;
    seen.add(h);
    pts.push(p);
  }
  return pts;
}

function prefix(
  ring: readonly Uint8Array[],
  scope: string | undefined,
  image: Uint8Array | undefined,
  msg: Uint8Array,
): Uint8Array {
  const s = scope === undefined ? new Uint8Array(0) : utf8(scope);
  const len = new Uint8Array(8);
  new DataView(len.buffer).setUint32(0, s.length);
  new DataView(len.buffer).setUint32(4, ring.length);
  return concatBytes(len, s, ...ring, image ?? new Uint8Array(0), sha512(msg));
}

/** Parameters of {@link ringSign}. */
export interface RingSignParameters {
  message: Uint8Array;
  /** Public keys of the ring (2..4096, distinct), the signer's among them. */
  ring: readonly Uint8Array[];
  secretKey: Uint8Array;
  /** With a scope: linkable (bLSAG) in that scope. Without: plain ring signature. */
  scope?: string;
  random?: RandomSource;
}

/**
 * Signs `message` for the ring. Throws `RangeError` if the ring is invalid (size, duplicate or
 * invalid keys) or does not contain the signer's public key.
 * @example
 * const sig = ringSign({ message, ring: registryKeys, secretKey: me.secretKey, scope: 'survey-42' })
 */
export function ringSign(p: RingSignParameters): RingSignature {
  assertBytes(p.message, 'message');
  const x = secretScalar(p.secretKey);
  const pts = ringPoints(p.ring);
  if (pts === null) throw new RangeError('ring must hold 2..4096 distinct valid public keys');
  const n = pts.length;
  const me = Point.BASE.multiply(x);
  const pi = pts.findIndex((q) => q.equals(me));
  if (pi < 0) throw new RangeError("ring does not contain the signer's public key");
  const rnd = p.random ?? randomBytes;
  const scalar = (): bigint => {
    for (;;) {
      const s = mod(leToBig(rnd(64)));
      if (s !== 0n) return s;
    }
  };
  const H = p.scope !== undefined ? scopePoint(p.scope) : undefined;
  const image = H?.multiply(x);
  const imageBytes = image?.toBytes();
  const pre = prefix(p.ring, p.scope, imageBytes, p.message);
  const step = (l: Point, r: Point | undefined): bigint =>
    hashScalar(pre, l.toBytes(), r?.toBytes() ?? new Uint8Array(0));
  const c = new Array<bigint>(n).fill(0n);
  const s = new Array<bigint>(n).fill(0n);
  const alpha = scalar();
  c[(pi + 1) % n] = step(Point.BASE.multiply(alpha), H?.multiply(alpha));
  for (let k = 1; k < n; k++) {
    const i = (pi + k) % n;
    s[i] = scalar();
    const l = Point.BASE.multiply(s[i]!).add(pts[i]!.multiply(c[i]!));
    const r = H && image ? H.multiply(s[i]!).add(image.multiply(c[i]!)) : undefined;
    c[(i + 1) % n] = step(l, r);
  }
  s[pi] = mod(alpha - c[pi]! * x);
  const sig: RingSignature = { challenge: bigToLe(c[0]!), responses: s.map(bigToLe) };
  if (imageBytes) sig.keyImage = imageBytes;
  return sig;
}

/** Parameters of {@link ringVerify}. */
export interface RingVerifyParameters {
  message: Uint8Array;
  ring: readonly Uint8Array[];
  signature: RingSignature;
  /** Must be the scope of a linkable signature; absent for a plain one. */
  scope?: string;
}

/**
 * True if `signature` is a valid ring signature on `message` by a member of `ring` (in
 * `scope` for linkable signatures). Returns false, never throws, for a wrong, malformed or
 * mismatched signature or ring; throws `TypeError` only if `message` is not bytes.
 */
export function ringVerify(p: RingVerifyParameters): boolean {
  assertBytes(p.message, 'message');
  try {
    const pts = ringPoints(p.ring);
    const sig = p.signature;
    if (pts === null || !sig || !Array.isArray(sig.responses) || sig.responses.length !== pts.length)
      return false;
    if ((sig.keyImage === undefined) !== (p.scope === undefined)) return false;
    const c0 = sig.challenge instanceof Uint8Array ? scalarOf(sig.challenge) : null;
    const s = sig.responses.map((r) => (r instanceof Uint8Array ? scalarOf(r) : null));
    if (c0 === null || s.some((x) => x === null)) return false;
    let H: Point | undefined;
    let image: Point | undefined;
    if (p.scope !== undefined) {
      H = scopePoint(p.scope);
      image = sig.keyImage instanceof Uint8Array ? (pointOf(sig.keyImage) ?? undefined) : undefined;
      if (!image) return false;
    }
    const pre = prefix(p.ring, p.scope, sig.keyImage, p.message);
    let c = c0;
    for (let i = 0; i < pts.length; i++) {
      const si = s[i]!;
      const l = Point.BASE.multiplyUnsafe(si).add(pts[i]!.multiplyUnsafe(c));
      const r = H && image ? H.multiplyUnsafe(si).add(image.multiplyUnsafe(c)) : undefined;
      c = hashScalar(pre, l.toBytes(), r?.toBytes() ?? new Uint8Array(0));
    }
    return c === c0;
  } catch {
    return false;
  }
}

/**
 * True if two linkable signatures come from the same key in the same scope (equal key
 * images). Only meaningful for signatures that each verified in that scope.
 */
export function ringSignaturesLinked(a: RingSignature, b: RingSignature): boolean {
  if (!(a.keyImage instanceof Uint8Array) || !(b.keyImage instanceof Uint8Array)) return false;
  return equalBytes(a.keyImage, b.keyImage);
}

/**
 * Binary form: `version(1) || flags(1: bit0 = linkable) || n(u16be) || challenge(32) ||
 * responses(32 * n) || keyImage(32, if linkable)`.
 */
export function ringSignatureToBytes(sig: RingSignature): Uint8Array {
  const n = sig.responses.length;
  assertInt(n, 'ring size', 2, MAX_RING_SIZE);
  const head = Uint8Array.of(VERSION, sig.keyImage ? 1 : 0, n >> 8, n & 0xff);
  for (const r of [sig.challenge, ...sig.responses]) assertBytes(r, 'scalar', 32);
  if (sig.keyImage) assertBytes(sig.keyImage, 'keyImage', 32);
  return concatBytes(head, sig.challenge, ...sig.responses, sig.keyImage ?? new Uint8Array(0));
}

/**
 * Parses {@link ringSignatureToBytes}. Throws `TypeError` on a wrong version, length, flag,
 * non-canonical scalar or invalid key image.
 */
export function ringSignatureFromBytes(b: Uint8Array): RingSignature {
  assertBytes(b, 'ring signature');
  const bad = (why: string): never => {
    throw new TypeError(`ring signature: malformed encoding (${why})`);
  };
  if (b.length < 4 || b[0] !== VERSION) bad('version');
  const flags = b[1]!;
  if (flags > 1) bad('flags');
  const n = (b[2]! << 8) | b[3]!;
  if (n < 2 || n > MAX_RING_SIZE) bad('ring size');
  if (b.length !== 4 + 32 * (n + 1) + 32 * flags) bad('length');
  const at = (i: number): Uint8Array => b.slice(4 + 32 * i, 4 + 32 * (i + 1));
  const scalars = Array.from({ length: n + 1 }, (_, i) => at(i));
  if (scalars.some((s) => scalarOf(s) === null)) bad('non-canonical scalar');
  const sig: RingSignature = { challenge: scalars[0]!, responses: scalars.slice(1) };
  if (flags === 1) {
    const img = at(n + 1);
    if (pointOf(img) === null) bad('key image');
    sig.keyImage = img;
  }
  return sig;
}
