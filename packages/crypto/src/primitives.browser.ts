/**
 * The browser build of `primitives.ts` (chosen by the package's `"browser"` field): the same
 * exports and the same bytes, over audited pure-JS libraries (@noble/hashes, @noble/ciphers,
 * @noble/curves) and `crypto.getRandomValues`, so that nothing here needs a Node builtin.
 * Synchronous, like the Node build, so that the schemes above keep one shape. Slower than
 * OpenSSL (LIBRARIES.md: SHA-256 ~0.1 GB/s, AES-GCM ~0.04 GB/s), which is plenty for one
 * member's records and signatures in a page.
 */
import { Aes128Gcm, Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import { gcm, ctr } from '@noble/ciphers/aes.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { scrypt } from '@noble/hashes/scrypt.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

// getRandomValues fills at most 65,536 bytes per call (WebCrypto §10.1.1).
const MAX_RANDOM_CHUNK = 65_536;

/** `n` bytes from the platform's CSPRNG (`crypto.getRandomValues`). */
export function osRandomBytes(n: number): Uint8Array {
  const c = (globalThis as { crypto?: { getRandomValues?: (b: Uint8Array) => Uint8Array } }).crypto;
  if (c?.getRandomValues === undefined) throw new Error('crypto.getRandomValues is not available');
  const out = new Uint8Array(n);
  for (let o = 0; o < n; o += MAX_RANDOM_CHUNK)
    c.getRandomValues(out.subarray(o, Math.min(n, o + MAX_RANDOM_CHUNK)));
  return out;
}

/** SHA-256 of bytes (no argument checks). */
export function sha256Raw(data: Uint8Array): Uint8Array {
  return sha256(data);
}

/** SHA-256 of the UTF-8 bytes of `text`. */
export function sha256Text(text: string): Uint8Array {
  return sha256(utf8ToBytes(text));
}

/** {@link sha256Text} as lowercase hex. */
export function sha256TextHex(text: string): string {
  return bytesToHex(sha256Text(text));
}

/** A scratch buffer for {@link writeHexInto}. */
export function scratchBytes(n: number): Uint8Array {
  return new Uint8Array(n);
}

const nibble = (c: number): number => (c <= 57 ? c - 48 : c - 87);

/** Decodes `hex` (lowercase, checked by the caller) into `target` at `offset`. */
export function writeHexInto(target: Uint8Array, hex: string, offset: number): void {
  for (let i = 0; i < hex.length; i += 2)
    target[offset + (i >> 1)] = (nibble(hex.charCodeAt(i)) << 4) | nibble(hex.charCodeAt(i + 1));
}

/** {@link sha256Raw} as lowercase hex. */
export function sha256Hex(data: Uint8Array): string {
  return bytesToHex(sha256Raw(data));
}

/** HMAC-SHA-256 (RFC 2104) of the concatenation of `data`. */
export function hmacSha256(key: Uint8Array, ...data: Uint8Array[]): Uint8Array {
  const h = hmac.create(sha256, key);
  for (const d of data) h.update(d);
  return h.digest();
}

/** AES-256-GCM (NIST SP 800-38D) with a 12-byte nonce: returns `ciphertext || tag(16)`. */
export function aes256GcmEncrypt(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  aad?: Uint8Array,
): Uint8Array {
  if (key.length !== 32) throw new RangeError('AES-256 key must be 32 bytes');
  return gcm(key, nonce, aad).encrypt(plaintext);
}

/**
 * Opens what {@link aes256GcmEncrypt} sealed.
 * @throws Error('decryption failed') on a wrong key, nonce, aad or any altered byte
 */
export function aes256GcmDecrypt(
  key: Uint8Array,
  nonce: Uint8Array,
  sealed: Uint8Array,
  aad?: Uint8Array,
): Uint8Array {
  if (key.length !== 32) throw new RangeError('AES-256 key must be 32 bytes');
  try {
    return gcm(key, nonce, aad).decrypt(sealed);
  } catch {
    throw new Error('decryption failed');
  }
}

/** The raw 32-byte X25519 public key (RFC 7748) of a raw 32-byte private key. */
export function x25519PublicKeyRaw(privateKey: Uint8Array): Uint8Array {
  return x25519.getPublicKey(privateKey);
}

/**
 * The X25519 shared secret of a raw private key and a raw public key.
 * @throws Error for a small-order public key (all-zero secret, RFC 7748 §6.1)
 */
export function x25519SharedSecretRaw(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  return x25519.getSharedSecret(privateKey, publicKey);
}

/** HKDF-SHA-256 (RFC 5869), `length` bytes. */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  return hkdf(sha256, ikm, salt, info, length);
}

/**
 * `length` bytes of the AES-256-CTR keystream from block `iv` (16 bytes), starting `offset`
 * bytes in: a deterministic stream (a PRG) read in pieces.
 */
export function aes256CtrStream(key: Uint8Array, iv: Uint8Array, offset: number, length: number): Uint8Array {
  return ctr(key, iv)
    .encrypt(new Uint8Array(offset + length))
    .subarray(offset);
}

/** scrypt (RFC 7914) of a passphrase, `dkLen` bytes. */
export function scryptKey(
  passphrase: string,
  salt: Uint8Array,
  p: { N: number; r: number; p: number },
  dkLen: number,
): Uint8Array {
  return scrypt(utf8ToBytes(passphrase), salt, {
    N: p.N,
    r: p.r,
    p: p.p,
    dkLen,
    maxmem: 256 * p.N * p.r + 1024,
  });
}

/** Lowercase hex of bytes. */
export function hexEncode(b: Uint8Array): string {
  return bytesToHex(b);
}

const HEX_DIGIT = (c: number): number =>
  c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;

/** The bytes of an even-length hex string, or undefined if a pair is not two hex digits. */
export function hexDecode(s: string): Uint8Array | undefined {
  const out = new Uint8Array(s.length >>> 1);
  for (let i = 0; i < out.length; i++) {
    const hi = HEX_DIGIT(s.charCodeAt(2 * i));
    const lo = HEX_DIGIT(s.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) return undefined;
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** Base64url without padding (RFC 4648 §5). */
export function b64uEncode(b: Uint8Array): string {
  let bin = '';
  for (let o = 0; o < b.length; o += 0x8000) bin += String.fromCharCode(...b.subarray(o, o + 0x8000));
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Decodes base64url whose characters are already checked to be in the alphabet. */
export function b64uDecode(s: string): Uint8Array {
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Length in bytes of the UTF-8 encoding of a string (a lone surrogate counts as U+FFFD). */
export function utf8ByteLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

// ---- HPKE (RFC 9180) base mode, through @hpke/core (WebCrypto) -------------------------------
// The same functions as the Node twin's own implementation, same bytes (rfc9180-hpke-twins.test.ts).

/** The AEADs of {@link hpkeSealBase}: AES-256-GCM (what envelopes use) or AES-128-GCM (RFC A.1). */
export type HpkeAead = 'aes-256-gcm' | 'aes-128-gcm';

const suites = new Map<HpkeAead, CipherSuite>();
function hpkeSuite(aead: HpkeAead): CipherSuite {
  let s = suites.get(aead);
  if (s === undefined) {
    s = new CipherSuite({
      kem: new DhkemX25519HkdfSha256(),
      kdf: new HkdfSha256(),
      aead: aead === 'aes-128-gcm' ? new Aes128Gcm() : new Aes256Gcm(),
    });
    suites.set(aead, s);
  }
  return s;
}

/** A fresh ArrayBuffer holding exactly the bytes of `b` (views may share a larger buffer). */
const buf = (b: Uint8Array): ArrayBuffer => b.slice().buffer;

/**
 * HPKE base-mode single-shot Seal (RFC 9180 §6.1), DHKEM(X25519, HKDF-SHA256), HKDF-SHA256.
 * The ephemeral key pair is DeriveKeyPair(`ikmE`) (§7.1.3): pass 32 fresh random bytes.
 * @returns `enc` (the ephemeral public key, 32 bytes) and `ct` (ciphertext || 16-byte tag)
 * @throws Error('hpke: DH failed') for a public key X25519 refuses or of small order
 */
export async function hpkeSealBase(
  pkR: Uint8Array,
  info: Uint8Array,
  aad: Uint8Array,
  pt: Uint8Array,
  ikmE: Uint8Array,
  aead: HpkeAead = 'aes-256-gcm',
): Promise<{ enc: Uint8Array; ct: Uint8Array }> {
  const s = hpkeSuite(aead);
  try {
    const recipientPublicKey = await s.kem.deserializePublicKey(buf(pkR));
    const { enc, ct } = await s.seal(
      { recipientPublicKey, info: buf(info), ekm: buf(ikmE) },
      buf(pt),
      buf(aad),
    );
    return { enc: new Uint8Array(enc), ct: new Uint8Array(ct) };
  } catch {
    throw new Error('hpke: DH failed');
  }
}

/**
 * HPKE base-mode single-shot Open (RFC 9180 §6.1), the inverse of {@link hpkeSealBase}.
 * @throws Error('decryption failed') on a wrong key, info, aad, an unusable `enc` or any
 *   altered byte
 */
export async function hpkeOpenBase(
  skR: Uint8Array,
  enc: Uint8Array,
  info: Uint8Array,
  aad: Uint8Array,
  ct: Uint8Array,
  aead: HpkeAead = 'aes-256-gcm',
): Promise<Uint8Array> {
  const s = hpkeSuite(aead);
  try {
    const recipientKey = await s.kem.deserializePrivateKey(buf(skR));
    return new Uint8Array(await s.open({ recipientKey, enc: buf(enc), info: buf(info) }, buf(ct), buf(aad)));
  } catch {
    throw new Error('decryption failed');
  }
}
