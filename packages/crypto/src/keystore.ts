/**
 * Encrypted key files: a private key sealed under a passphrase with scrypt (RFC 7914) and
 * AES-256-GCM (NIST SP 800-38D). The header (label, key type, public key, KDF parameters) is
 * authenticated as additional data, so nobody can swap the public key or weaken the KDF of a
 * file without the open failing. This module only transforms bytes; the node and the CLI
 * write the result to disk with mode 0600.
 *
 * A member's wallet (`sealWallet`) holds two keys under one passphrase and one KDF run: the
 * P-256 signing key and the X25519 encryption key, with both public keys in the authenticated
 * header.
 *
 * Threat model: protects a stolen key file against offline guessing to the extent the
 * passphrase is strong (scrypt N=2^15, r=8, p=1: about 100 ms and 32 MiB per guess here). It
 * does not protect a key in the memory of a running process.
 */
import { assertBytes, assertInt, assertString } from './assert.js';
import { concatBytes, fromB64u, toB64u } from './bytes.js';
import { canonicalBytes } from './jcs.js';
import type { RandomSource } from './bytes.js';
import { aes256GcmDecrypt, aes256GcmEncrypt, scryptKey } from './primitives.js';
import { randomBytes } from './random.js';

/** The JSON form of a sealed key, as written to a key file. */
export interface SealedKey {
  version: 1;
  label: string;
  keyType: string;
  publicKey: string;
  kdf: { name: 'scrypt'; N: number; r: number; p: number; salt: string };
  cipher: { name: 'aes-256-gcm'; iv: string; tag: string };
  ciphertext: string;
}

/** Options of {@link sealKey}. */
export interface SealKeyParameters {
  label: string;
  keyType: string;
  /** Public key bytes stored in clear beside the sealed private key. */
  publicKey: Uint8Array;
  /** Secret key bytes (for P-256: PKCS#8 DER). */
  privateKey: Uint8Array;
  passphrase: string;
  /** scrypt cost; default 2^15. Tests may lower it. */
  N?: number;
  random?: RandomSource;
}

type Kdf = SealedKey['kdf'];
type Cipher = SealedKey['cipher'];

function header(k: Omit<SealedKey, 'cipher' | 'ciphertext'>): Uint8Array {
  return canonicalBytes({
    version: k.version,
    label: k.label,
    keyType: k.keyType,
    publicKey: k.publicKey,
    kdf: k.kdf,
  });
}

function derive(passphrase: string, kdf: SealedKey['kdf']): Uint8Array {
  return scryptKey(passphrase.normalize('NFKC'), fromB64u(kdf.salt), kdf, 32);
}

function newKdf(N: number | undefined, rnd: RandomSource): Kdf {
  const n = N ?? 1 << 15;
  assertInt(n, 'N', 1 << 10, 1 << 20);
  if ((n & (n - 1)) !== 0) throw new RangeError('N must be a power of two');
  return { name: 'scrypt', N: n, r: 8, p: 1, salt: toB64u(rnd(16)) };
}

/** AES-256-GCM under the scrypt key of the passphrase, `aad` authenticated. */
function encrypt(
  secret: Uint8Array,
  passphrase: string,
  kdf: Kdf,
  aad: Uint8Array,
  rnd: RandomSource,
): { cipher: Cipher; ciphertext: string } {
  const iv = rnd(12);
  const key = derive(passphrase, kdf);
  const sealed = aes256GcmEncrypt(key, iv, secret, aad);
  key.fill(0);
  return {
    cipher: { name: 'aes-256-gcm', iv: toB64u(iv), tag: toB64u(sealed.subarray(sealed.length - 16)) },
    ciphertext: toB64u(sealed.subarray(0, sealed.length - 16)),
  };
}

function decrypt(
  sealed: { kdf: Kdf; cipher: Cipher; ciphertext: string },
  passphrase: string,
  aad: Uint8Array,
  what: string,
): Uint8Array {
  if (sealed.kdf?.name !== 'scrypt' || sealed.cipher?.name !== 'aes-256-gcm') {
    throw new TypeError(`unsupported ${what} algorithms`);
  }
  assertInt(sealed.kdf.N, 'kdf.N', 1 << 10, 1 << 20);
  assertInt(sealed.kdf.r, 'kdf.r', 1, 32);
  assertInt(sealed.kdf.p, 'kdf.p', 1, 16);
  assertString(passphrase, 'passphrase', true);
  const key = derive(passphrase, sealed.kdf);
  try {
    const tag = fromB64u(sealed.cipher.tag);
    if (tag.length !== 16) throw new Error('bad tag');
    const body = concatBytes(fromB64u(sealed.ciphertext), tag);
    return aes256GcmDecrypt(key, fromB64u(sealed.cipher.iv), body, aad);
  } catch {
    throw new Error(`wrong passphrase or corrupted ${what}`);
  } finally {
    key.fill(0);
  }
}

/**
 * Seals a private key under a passphrase.
 * @throws TypeError / RangeError on bad parameters (an empty passphrase, say).
 */
export function sealKey(params: SealKeyParameters): SealedKey {
  assertString(params.label, 'label', true);
  assertString(params.keyType, 'keyType', true);
  assertBytes(params.publicKey, 'publicKey');
  assertBytes(params.privateKey, 'privateKey');
  assertString(params.passphrase, 'passphrase', true);
  const rnd = params.random ?? randomBytes;
  const head = {
    version: 1 as const,
    label: params.label,
    keyType: params.keyType,
    publicKey: toB64u(params.publicKey),
    kdf: newKdf(params.N, rnd),
  };
  return { ...head, ...encrypt(params.privateKey, params.passphrase, head.kdf, header(head), rnd) };
}

/**
 * Opens a sealed key and returns the private key bytes.
 * @throws Error('wrong passphrase or corrupted key file') if authentication fails;
 *         TypeError if the object is not a sealed key.
 */
export function openKey(sealed: SealedKey, passphrase: string): Uint8Array {
  if (typeof sealed !== 'object' || sealed === null || sealed.version !== 1) {
    throw new TypeError('not a medledger sealed key (version 1)');
  }
  return decrypt(sealed, passphrase, header(sealed), 'key file');
}

/** The JSON form of a member's sealed wallet keys. */
export interface SealedWallet {
  version: 1;
  kind: 'medledger-wallet';
  label: string;
  /** SPKI DER of the P-256 signing key, base64url. */
  signingPublicKey: string;
  /** Raw X25519 public key (32 bytes), base64url. */
  encryptionPublicKey: string;
  kdf: Kdf;
  cipher: Cipher;
  ciphertext: string;
}

/** A member's two key pairs: P-256 (PKCS#8 / SPKI DER) for signing, X25519 (raw) for encryption. */
export interface WalletKeys {
  signing: { privateKey: Uint8Array; publicKey: Uint8Array };
  encryption: { privateKey: Uint8Array; publicKey: Uint8Array };
}

/** Parameters of {@link sealWallet}. */
export interface SealWalletParameters extends WalletKeys {
  label: string;
  passphrase: string;
  /** scrypt cost; default 2^15. Tests may lower it. */
  N?: number;
  random?: RandomSource;
}

function walletHeader(w: Omit<SealedWallet, 'cipher' | 'ciphertext'>): Uint8Array {
  return canonicalBytes({
    version: w.version,
    kind: w.kind,
    label: w.label,
    signingPublicKey: w.signingPublicKey,
    encryptionPublicKey: w.encryptionPublicKey,
    kdf: w.kdf,
  });
}

/**
 * Seals a member's signing and encryption keys under one passphrase (one scrypt run to open).
 * The secret is the 32-byte X25519 private key followed by the PKCS#8 DER of the P-256 key.
 * @throws TypeError / RangeError on bad parameters.
 */
export function sealWallet(params: SealWalletParameters): SealedWallet {
  assertString(params.label, 'label', true);
  assertBytes(params.signing.privateKey, 'signing.privateKey');
  assertBytes(params.signing.publicKey, 'signing.publicKey');
  assertBytes(params.encryption.privateKey, 'encryption.privateKey', 32);
  assertBytes(params.encryption.publicKey, 'encryption.publicKey', 32);
  assertString(params.passphrase, 'passphrase', true);
  const rnd = params.random ?? randomBytes;
  const head = {
    version: 1 as const,
    kind: 'medledger-wallet' as const,
    label: params.label,
    signingPublicKey: toB64u(params.signing.publicKey),
    encryptionPublicKey: toB64u(params.encryption.publicKey),
    kdf: newKdf(params.N, rnd),
  };
  const secret = new Uint8Array(32 + params.signing.privateKey.length);
  secret.set(params.encryption.privateKey, 0);
  secret.set(params.signing.privateKey, 32);
  const out = { ...head, ...encrypt(secret, params.passphrase, head.kdf, walletHeader(head), rnd) };
  secret.fill(0);
  return out;
}

/**
 * Opens a sealed wallet.
 * @throws Error('wrong passphrase or corrupted wallet') if authentication fails; TypeError if
 *   the object is not a sealed wallet.
 */
export function openWallet(sealed: SealedWallet, passphrase: string): WalletKeys {
  if (
    typeof sealed !== 'object' ||
    sealed === null ||
    sealed.version !== 1 ||
    sealed.kind !== 'medledger-wallet'
  ) {
    throw new TypeError('not a medledger sealed wallet (version 1)');
  }
  const secret = decrypt(sealed, passphrase, walletHeader(sealed), 'wallet');
  if (secret.length <= 32) throw new Error('wrong passphrase or corrupted wallet');
  return {
    signing: { privateKey: secret.slice(32), publicKey: fromB64u(sealed.signingPublicKey) },
    encryption: { privateKey: secret.slice(0, 32), publicKey: fromB64u(sealed.encryptionPublicKey) },
  };
}
