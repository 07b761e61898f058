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
