/**
 * AES-256-GCM (NIST SP 800-38D) with a fresh 96-bit nonce carried in front:
 * `nonce(12) || ciphertext || tag(16)`. OpenSSL in Node, @noble/ciphers in a browser build
 * (`primitives.ts`).
 *
 * Threat model: confidentiality and integrity of the plaintext and `aad` under a key used for
 * fewer than 2^32 messages (random nonces; SP 800-38D §8.3). Nothing hides the length.
 */
import { assertBytes } from './assert.js';
import type { RandomSource } from './bytes.js';
import { aes256GcmDecrypt, aes256GcmEncrypt } from './primitives.js';
import { randomBytes } from './random.js';

/** Bytes of an AES-256-GCM key. */
export const AES_KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Encrypts `plaintext` under `key`, binding `aad`.
 * @throws RangeError unless `key` is 32 bytes
 * @example const sealed = sealAes256Gcm(key, body, utf8(recordId));
 */
export function sealAes256Gcm(
  key: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
  random: RandomSource = randomBytes,
): Uint8Array {
  assertBytes(key, 'key', AES_KEY_BYTES);
  assertBytes(plaintext, 'plaintext');
  assertBytes(aad, 'aad');
  const nonce = random(NONCE_BYTES).slice();
  assertBytes(nonce, 'random output', NONCE_BYTES);
  const body = aes256GcmEncrypt(key, nonce, plaintext, aad);
  const out = new Uint8Array(NONCE_BYTES + body.length);
  out.set(nonce, 0);
  out.set(body, NONCE_BYTES);
  return out;
}

/**
 * Opens what {@link sealAes256Gcm} sealed.
 * @throws Error('decryption failed') on a wrong key or aad, or any altered or missing byte
 */
export function openAes256Gcm(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array {
  assertBytes(key, 'key', AES_KEY_BYTES);
  assertBytes(sealed, 'sealed');
  assertBytes(aad, 'aad');
  if (sealed.length < NONCE_BYTES + TAG_BYTES) throw new Error('decryption failed');
  return aes256GcmDecrypt(key, sealed.subarray(0, NONCE_BYTES), sealed.subarray(NONCE_BYTES), aad);
}
