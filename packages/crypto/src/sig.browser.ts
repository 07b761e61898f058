/**
 * The browser build of `sig.ts` (chosen by the package's `"browser"` field): ECDSA P-256 with
 * SHA-256 over @noble/curves, with the same exports, the same key encodings (PKCS#8 and SPKI
 * DER) and the same signatures (64-byte r || s, low-S only) as the OpenSSL build. Imported
 * keys are opaque handles of this module, as `KeyObject`s are of the Node build. About 25x
 * slower than OpenSSL (LIBRARIES.md): fine for one member signing in a page.
 * `test/sig-browser.test.ts` holds the two builds to each other's keys and signatures.
 *
 * Threat model: as `sig.ts`. noble signs with RFC 6979 deterministic nonces.
 */
import { p256 } from '@noble/curves/nist.js';
import { assertBytes } from './assert.js';
import { equalBytes } from './bytes.js';
import { tlv } from './der.js';
import { osRandomBytes } from './primitives.js';

const PRIVATE = Symbol('p256-private');
const PUBLIC = Symbol('p256-public');

/** An imported private key (opaque). */
export interface P256PrivateKey {
  readonly [PRIVATE]: { secret: Uint8Array; spki: Uint8Array };
}
/** An imported public key (opaque). */
export interface P256PublicKey {
  readonly [PUBLIC]: { point: Uint8Array; spki: Uint8Array };
}

/** A P-256 key pair as DER bytes. */
export interface P256KeyPair {
  /** PKCS#8 DER — secret. */
  privateKey: Uint8Array;
  /** SPKI DER. */
  publicKey: Uint8Array;
}

// AlgorithmIdentifier { id-ecPublicKey, prime256v1 } (RFC 5480 §2.1.1).
const EC_P256_ALG = Uint8Array.from([
  0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d,
  0x03, 0x01, 0x07,
]);

function spkiOfPoint(point: Uint8Array): Uint8Array {
  // SEQUENCE { alg, BIT STRING { 0 unused bits, point } }; every length here is < 128.
  const bits = [0x03, point.length + 1, 0x00, ...point];
  const body = [...EC_P256_ALG, ...bits];
  return Uint8Array.from([0x30, body.length, ...body]);
}

function pkcs8OfSecret(secret: Uint8Array): Uint8Array {
  // PrivateKeyInfo { 0, alg, OCTET STRING ECPrivateKey { 1, OCTET STRING d } } (RFC 5915).
  const ecKey = [0x30, 0x25, 0x02, 0x01, 0x01, 0x04, 0x20, ...secret];
  const body = [0x02, 0x01, 0x00, ...EC_P256_ALG, 0x04, ecKey.length, ...ecKey];
  return Uint8Array.from([0x30, body.length, ...body]);
}

function algIsP256(der: Uint8Array, off: number, limit: number): number | undefined {
  const alg = tlv(der, off, limit);
  if (!alg || alg.end - off !== EC_P256_ALG.length) return undefined;
  return equalBytes(der.subarray(off, alg.end), EC_P256_ALG) ? alg.end : undefined;
}

/** Generates a fresh P-256 key pair from the platform's CSPRNG. */
export function generateP256KeyPair(): P256KeyPair {
  const secret = p256.utils.randomSecretKey(osRandomBytes(48));
  return { privateKey: pkcs8OfSecret(secret), publicKey: spkiOfPoint(p256.getPublicKey(secret, false)) };
}

/** Imports a PKCS#8 DER P-256 private key; throws `TypeError` if it is not one. */
export function importP256PrivateKey(pkcs8: Uint8Array): P256PrivateKey {
  assertBytes(pkcs8, 'privateKey');
  const outer = tlv(pkcs8, 0, pkcs8.length);
  if (!outer || outer.tag !== 0x30 || outer.end !== pkcs8.length)
    throw new TypeError('privateKey is not a PKCS#8 DER key');
  const version = tlv(pkcs8, outer.start, outer.end);
  if (!version || version.tag !== 0x02) throw new TypeError('privateKey is not a PKCS#8 DER key');
  const afterAlg = algIsP256(pkcs8, version.end, outer.end);
  if (afterAlg === undefined) throw new TypeError('privateKey is not a P-256 key');
  const octets = tlv(pkcs8, afterAlg, outer.end);
  if (!octets || octets.tag !== 0x04) throw new TypeError('privateKey is not a PKCS#8 DER key');
  const ec = tlv(pkcs8, octets.start, octets.end);
  const ecVersion = ec && tlv(pkcs8, ec.start, ec.end);
  const d = ecVersion && tlv(pkcs8, ecVersion.end, ec.end);
  if (!ec || ec.tag !== 0x30 || !d || d.tag !== 0x04 || d.end - d.start !== 32) {
    throw new TypeError('privateKey is not a PKCS#8 DER key');
  }
  const secret = pkcs8.slice(d.start, d.end);
  if (!p256.utils.isValidSecretKey(secret)) throw new TypeError('privateKey is not a P-256 key');
  return { [PRIVATE]: { secret, spki: spkiOfPoint(p256.getPublicKey(secret, false)) } };
}

/** Imports an SPKI DER P-256 public key; throws `TypeError` if it is not one. */
export function importP256PublicKey(spki: Uint8Array): P256PublicKey {
  assertBytes(spki, 'publicKey');
  const outer = tlv(spki, 0, spki.length);
  if (!outer || outer.tag !== 0x30 || outer.end !== spki.length)
    throw new TypeError('publicKey is not an SPKI DER key');
  const afterAlg = algIsP256(spki, outer.start, outer.end);
  if (afterAlg === undefined) throw new TypeError('publicKey is not a P-256 key');
  const bits = tlv(spki, afterAlg, outer.end);
  if (!bits || bits.tag !== 0x03 || bits.end !== outer.end || spki[bits.start] !== 0) {
    throw new TypeError('publicKey is not an SPKI DER key');
  }
  const encoded = spki.subarray(bits.start + 1, bits.end);
  let point: Uint8Array;
  try {
    point = p256.Point.fromBytes(encoded).toBytes(false);
  } catch {
    throw new TypeError('publicKey is not a P-256 key');
  }
  // Keep the form the key was given in, as OpenSSL does (see canonicalP256PublicKey).
  return { [PUBLIC]: { point, spki: spki.slice() } };
}

/**
 * The canonical SPKI DER of a P-256 public key: the uncompressed point.
 * @throws TypeError if `spki` is not a P-256 public key.
 */
export function canonicalP256PublicKey(spki: Uint8Array): Uint8Array {
  return spkiOfPoint(importP256PublicKey(spki)[PUBLIC].point);
}

/** SPKI DER of the public half of a private key. */
export function p256PublicKeyOf(privateKey: Uint8Array | P256PrivateKey): Uint8Array {
  const k = privateKey instanceof Uint8Array ? importP256PrivateKey(privateKey) : privateKey;
  return k[PRIVATE].spki.slice();
}

/** Order n of the P-256 group (FIPS 186-5 / SEC 2 §2.4.2). */
const P256_N = p256.Point.Fn.ORDER;

function sOf(signature: Uint8Array): bigint {
  let s = 0n;
  for (let i = 32; i < 64; i++) s = (s << 8n) | BigInt(signature[i]!);
  return s;
}

/** True if a 64-byte r || s signature has s ≤ n/2 (the only form {@link verifyP256} accepts). */
export function isLowSP256(signature: Uint8Array): boolean {
  assertBytes(signature, 'signature');
  return signature.length === 64 && sOf(signature) <= P256_N >> 1n;
}

/**
 * The other encoding of the same ECDSA signature, (r, n - s).
 * @throws RangeError if `signature` is not 64 bytes
 */
export function negateP256S(signature: Uint8Array): Uint8Array {
  assertBytes(signature, 'signature');
  if (signature.length !== 64) throw new RangeError('signature must be 64 bytes');
  const out = new Uint8Array(signature);
  let s = P256_N - sOf(signature);
  for (let i = 63; i >= 32; i--) {
    out[i] = Number(s & 0xffn);
    s >>= 8n;
  }
  return out;
}

/** Signs `message` (hashed with SHA-256 inside): 64-byte r || s, low-S. */
export function signP256(privateKey: Uint8Array | P256PrivateKey, message: Uint8Array): Uint8Array {
  assertBytes(message, 'message');
  const k = privateKey instanceof Uint8Array ? importP256PrivateKey(privateKey) : privateKey;
  return p256.sign(message, k[PRIVATE].secret, { prehash: true, lowS: true });
}

function publicOf(publicKey: Uint8Array | P256PublicKey): Uint8Array {
  return (publicKey instanceof Uint8Array ? importP256PublicKey(publicKey) : publicKey)[PUBLIC].point;
}

/**
 * Verifies a 64-byte r || s signature; false for a wrong, mis-sized or high-S signature.
 * @throws TypeError only for a key that is not a P-256 public key
 */
export function verifyP256(
  publicKey: Uint8Array | P256PublicKey,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  assertBytes(message, 'message');
  assertBytes(signature, 'signature');
  if (signature.length !== 64) return false;
  const point = publicOf(publicKey);
  try {
    return p256.verify(signature, message, point, { prehash: true, lowS: true, format: 'compact' });
  } catch {
    return false;
  }
}

/**
 * Verifies a DER-encoded signature, either form of s (X.509, PKCS#10).
 * @throws TypeError only for a key that is not a P-256 public key
 */
export function verifyP256Der(
  publicKey: Uint8Array | P256PublicKey,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  assertBytes(message, 'message');
  assertBytes(signature, 'signature');
  const point = publicOf(publicKey);
  try {
    return p256.verify(signature, message, point, { prehash: true, lowS: false, format: 'der' });
  } catch {
    return false;
  }
}

/** SPKI DER of an imported P-256 public key (in the form it was imported). */
export function exportP256PublicKey(publicKey: P256PublicKey): Uint8Array {
  return publicKey[PUBLIC].spki.slice();
}
