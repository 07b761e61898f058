/**
 * The symmetric and Diffie-Hellman primitives the schemes of this package are built on, over
 * node:crypto (OpenSSL: 10-30x faster than pure JS here, LIBRARIES.md). A browser bundle gets
 * `primitives.browser.ts` instead (the package's `"browser"` field), with the same exports
 * over @noble/hashes, @noble/ciphers, @noble/curves and `crypto.getRandomValues`; the
 * cross-check test (`test/primitives-browser.test.ts`) holds the two to the same bytes.
 * Internal: not exported from the package index; schemes export what callers need.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  hash as oneShot,
  hkdfSync,
  randomFillSync,
  scryptSync,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';

const view = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/** `n` bytes from the operating system's CSPRNG (no argument checks). */
export function osRandomBytes(n: number): Uint8Array {
  return randomFillSync(new Uint8Array(n));
}

/** SHA-256 of bytes (no argument checks). */
export function sha256Raw(data: Uint8Array): Uint8Array {
  return view(oneShot('sha256', data, 'buffer') as unknown as Buffer);
}

/**
 * A scratch buffer for {@link writeHexInto} (a Node Buffer here: its native hex decoding writes
 * without allocating).
 */
export function scratchBytes(n: number): Uint8Array {
  return Buffer.alloc(n);
}

/**
 * Decodes `hex` (lowercase, checked by the caller) into `target` at `offset`, without
 * allocating. `target` comes from {@link scratchBytes}.
 */
export function writeHexInto(target: Uint8Array, hex: string, offset: number): void {
  (target as Buffer).write(hex, offset, hex.length >> 1, 'hex');
}

/** {@link sha256Raw} as lowercase hex. */
export function sha256Hex(data: Uint8Array): string {
  return oneShot('sha256', data, 'hex');
}

/** SHA-256 of the UTF-8 bytes of `text`, without encoding it first. */
export function sha256Text(text: string): Uint8Array {
  return view(oneShot('sha256', text, 'buffer') as unknown as Buffer);
}

/** {@link sha256Text} as lowercase hex. */
export function sha256TextHex(text: string): string {
  return oneShot('sha256', text, 'hex');
}

/** HMAC-SHA-256 (RFC 2104) of the concatenation of `data`. */
export function hmacSha256(key: Uint8Array, ...data: Uint8Array[]): Uint8Array {
  const h = createHmac('sha256', key);
  for (const d of data) h.update(d);
  return view(h.digest());
}

/** AES-256-GCM (NIST SP 800-38D) with a 12-byte nonce: returns `ciphertext || tag(16)`. */
export function aes256GcmEncrypt(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  aad?: Uint8Array,
): Uint8Array {
  const c = createCipheriv('aes-256-gcm', key, nonce);
  if (aad !== undefined) c.setAAD(aad);
  const head = c.update(plaintext);
  const tail = c.final();
  const tag = c.getAuthTag();
  const out = new Uint8Array(head.length + tail.length + tag.length);
  out.set(head, 0);
  out.set(tail, head.length);
  out.set(tag, head.length + tail.length);
  return out;
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
  try {
    if (sealed.length < 16) throw new Error('short');
    const d = createDecipheriv('aes-256-gcm', key, nonce);
    if (aad !== undefined) d.setAAD(aad);
    d.setAuthTag(sealed.subarray(sealed.length - 16));
    const head = d.update(sealed.subarray(0, sealed.length - 16));
    const tail = d.final();
    const out = new Uint8Array(head.length + tail.length);
    out.set(head, 0);
    out.set(tail, head.length);
    return out;
  } catch {
    throw new Error('decryption failed');
  }
}

// Raw X25519 keys are imported as JWK (RFC 8037): about 8x faster than PKCS#8 DER in Node
// 20's OpenSSL 3 decoders. For a private key Node builds the key from `d` alone; `x` must be
// present as a string but is not read, so `d` is passed again.
function x25519Private(privateKey: Uint8Array) {
  const d = Buffer.from(privateKey).toString('base64url');
  return createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d, x: d }, format: 'jwk' });
}

function x25519Public(publicKey: Uint8Array) {
  const x = Buffer.from(publicKey).toString('base64url');
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x }, format: 'jwk' });
}

/** The raw 32-byte X25519 public key (RFC 7748) of a raw 32-byte private key. */
export function x25519PublicKeyRaw(privateKey: Uint8Array): Uint8Array {
  const jwk = createPublicKey(x25519Private(privateKey)).export({ format: 'jwk' });
  return new Uint8Array(Buffer.from(jwk.x ?? '', 'base64url'));
}

/**
 * The X25519 shared secret of a raw private key and a raw public key.
 * @throws Error for a small-order public key (all-zero secret, RFC 7748 §6.1)
 */
export function x25519SharedSecretRaw(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  return view(diffieHellman({ privateKey: x25519Private(privateKey), publicKey: x25519Public(publicKey) }));
}

/** HKDF-SHA-256 (RFC 5869), `length` bytes. */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', ikm, salt, info, length));
}

/**
 * `length` bytes of the AES-256-CTR keystream from block `iv` (16 bytes), starting `offset`
 * bytes in: a deterministic stream (a PRG) read in pieces.
 */
export function aes256CtrStream(key: Uint8Array, iv: Uint8Array, offset: number, length: number): Uint8Array {
  const c = createCipheriv('aes-256-ctr', key, iv);
  if (offset > 0) c.update(new Uint8Array(offset));
  return view(c.update(new Uint8Array(length)));
}

/** scrypt (RFC 7914) of a passphrase, `dkLen` bytes. */
export function scryptKey(
  passphrase: string,
  salt: Uint8Array,
  p: { N: number; r: number; p: number },
  dkLen: number,
): Uint8Array {
  const maxmem = 128 * p.N * p.r * 2;
  return view(scryptSync(passphrase, salt, dkLen, { N: p.N, r: p.r, p: p.p, maxmem }));
}

/** Lowercase hex of bytes. */
export function hexEncode(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** The bytes of an even-length hex string, or undefined if a pair is not two hex digits. */
export function hexDecode(s: string): Uint8Array | undefined {
  const out = new Uint8Array(s.length >>> 1);
  // Node's hex decoder stops at the first pair that is not two hex digits: a short count is
  // a bad digit (checked without a regular expression; ids are decoded on hot paths).
  return Buffer.from(out.buffer).write(s, 'hex') === out.length ? out : undefined;
}

/** Base64url without padding (RFC 4648 §5). */
export function b64uEncode(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url');
}

/** Decodes base64url whose characters are already checked to be in the alphabet. */
export function b64uDecode(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'base64url'));
}

/** Length in bytes of the UTF-8 encoding of a string (a lone surrogate counts as U+FFFD). */
export function utf8ByteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

// ---- HPKE (RFC 9180) base mode: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-GCM -------------
// Single-shot Seal/Open (§6.1) with the ephemeral key derived from caller-given randomness
// (DeriveKeyPair, §7.1.3), so a seal is reproducible from injected randomness. Written over
// OpenSSL's X25519, HMAC and AES-GCM: 5-10x cheaper per seal or open here than @hpke/core's
// WebCrypto path, whose PKCS#8 key import dominates. The browser twin wraps @hpke/core; the
// test `rfc9180-hpke-twins.test.ts` holds both to the RFC's vectors and to each other.

/** The AEADs of {@link hpkeSealBase}: AES-256-GCM (what envelopes use) or AES-128-GCM (RFC A.1). */
export type HpkeAead = 'aes-256-gcm' | 'aes-128-gcm';

const HPKE_V1 = Buffer.from('HPKE-v1');
const KEM_SUITE = Buffer.from([0x4b, 0x45, 0x4d, 0x00, 0x20]); // "KEM" || I2OSP(0x0020, 2)
const EMPTY = new Uint8Array(0);

/** "HPKE" || kem_id || kdf_id || aead_id (§5.1). */
const hpkeSuite = (aead: HpkeAead): Uint8Array =>
  Buffer.from([0x48, 0x50, 0x4b, 0x45, 0x00, 0x20, 0x00, 0x01, 0x00, aead === 'aes-128-gcm' ? 1 : 2]);

/** LabeledExtract (§4): HKDF-Extract = HMAC(salt, ikm), an empty salt being the empty key. */
function labeledExtract(suite: Uint8Array, salt: Uint8Array, label: string, ikm: Uint8Array): Uint8Array {
  return hmacSha256(salt, HPKE_V1, suite, Buffer.from(label), ikm);
}

/** LabeledExpand (§4): HKDF-Expand (RFC 5869 §2.3) of `len` ≤ 255·32 bytes. */
function labeledExpand(
  suite: Uint8Array,
  prk: Uint8Array,
  label: string,
  info: Uint8Array,
  len: number,
): Uint8Array {
  const labeled = Buffer.concat([
    Uint8Array.of(len >> 8, len & 0xff),
    HPKE_V1,
    suite,
    Buffer.from(label),
    info,
  ]);
  const out = new Uint8Array(len);
  let t: Uint8Array = EMPTY;
  for (let i = 1, o = 0; o < len; i++, o += 32) {
    t = hmacSha256(prk, t, labeled, Uint8Array.of(i));
    out.set(t.subarray(0, Math.min(32, len - o)), o);
  }
  return out;
}

/** DH (§4.1) refusing the all-zero output of a small-order point (§7.1.4). */
function hpkeDh(sk: KeyObject, pk: Uint8Array): Uint8Array {
  let dh: Uint8Array;
  try {
    dh = view(diffieHellman({ privateKey: sk, publicKey: x25519Public(pk) }));
  } catch {
    throw new Error('hpke: DH failed');
  }
  if (dh.every((b) => b === 0)) throw new Error('hpke: DH failed');
  return dh;
}

/** The raw public key of an X25519 private KeyObject. */
const rawPublicOf = (sk: KeyObject): Uint8Array =>
  new Uint8Array(Buffer.from(createPublicKey(sk).export({ format: 'jwk' }).x ?? '', 'base64url'));

/**
 * A receiver's private key as a KeyObject with its public key, kept while the caller keeps the
 * same array (a member opens many envelopes with one key; importing it is most of an open).
 * The entry holds a copy, compared before use, so an array changed or wiped is imported anew.
 */
const receiverKeys = new WeakMap<Uint8Array, { copy: Uint8Array; key: KeyObject; pk: Uint8Array }>();
function receiverKey(skR: Uint8Array): { key: KeyObject; pk: Uint8Array } {
  const hit = receiverKeys.get(skR);
  if (hit !== undefined && hit.copy.length === skR.length && timingSafeEqual(hit.copy, skR)) return hit;
  const key = x25519Private(skR);
  const entry = { copy: skR.slice(), key, pk: rawPublicOf(key) };
  receiverKeys.set(skR, entry);
  return entry;
}

/** Info hashes of the info strings seen (a deployment uses a handful: envelopes use one). */
const infoHashes = new Map<string, Uint8Array>();

/** ExtractAndExpand (§4.1): the KEM shared secret of a DH output and enc || pkR. */
function kemSharedSecret(dh: Uint8Array, enc: Uint8Array, pkR: Uint8Array): Uint8Array {
  const prk = labeledExtract(KEM_SUITE, EMPTY, 'eae_prk', dh);
  return labeledExpand(KEM_SUITE, prk, 'shared_secret', Buffer.concat([enc, pkR]), 32);
}

/** KeySchedule (§5.1) in base mode (no PSK): the AEAD key and base nonce. */
function keySchedule(
  shared: Uint8Array,
  info: Uint8Array,
  aead: HpkeAead,
): { key: Uint8Array; nonce: Uint8Array } {
  const suite = hpkeSuite(aead);
  const memo = `${aead}/${Buffer.from(info).toString('base64')}`;
  let hashes = infoHashes.get(memo);
  if (hashes === undefined) {
    hashes = Buffer.concat([
      labeledExtract(suite, EMPTY, 'psk_id_hash', EMPTY),
      labeledExtract(suite, EMPTY, 'info_hash', info),
    ]);
    if (infoHashes.size < 64) infoHashes.set(memo, hashes);
  }
  const context = Buffer.concat([Uint8Array.of(0), hashes]);
  const secret = labeledExtract(suite, shared, 'secret', EMPTY);
  return {
    key: labeledExpand(suite, secret, 'key', context, aead === 'aes-128-gcm' ? 16 : 32),
    nonce: labeledExpand(suite, secret, 'base_nonce', context, 12),
  };
}

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
  const dkp = labeledExtract(KEM_SUITE, EMPTY, 'dkp_prk', ikmE);
  const skE = x25519Private(labeledExpand(KEM_SUITE, dkp, 'sk', EMPTY, 32));
  const enc = rawPublicOf(skE);
  const shared = kemSharedSecret(hpkeDh(skE, pkR), enc, pkR);
  const { key, nonce } = keySchedule(shared, info, aead);
  const c = createCipheriv(aead, key, nonce);
  c.setAAD(aad);
  return { enc, ct: view(Buffer.concat([c.update(pt), c.final(), c.getAuthTag()])) };
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
  try {
    const r = receiverKey(skR);
    const shared = kemSharedSecret(hpkeDh(r.key, enc), enc, r.pk);
    const { key, nonce } = keySchedule(shared, info, aead);
    if (ct.length < 16) throw new Error('short');
    const d = createDecipheriv(aead, key, nonce);
    d.setAAD(aad);
    d.setAuthTag(ct.subarray(ct.length - 16));
    return view(Buffer.concat([d.update(ct.subarray(0, ct.length - 16)), d.final()]));
  } catch {
    throw new Error('decryption failed');
  }
}
