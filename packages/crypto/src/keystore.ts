/**
 * Encrypted key files: a private key sealed under a passphrase with scrypt (RFC 7914) and
 * AES-256-GCM (NIST SP 800-38D). The header (label, key type, public key, KDF parameters) is
 * authenticated as additional data, so nobody can swap the public key or weaken the KDF of a
 * file without the open failing. This module only transforms bytes; the node and the CLI
 * write the result to disk with mode 0600.
 *
 * Threat model: protects a stolen key file against offline guessing to the extent the
 * passphrase is strong (scrypt N=2^15, r=8, p=1: about 100 ms and 32 MiB per guess here). It
 * does not protect a key in the memory of a running process.
 */
import { createCipheriv, createDecipheriv, scryptSync } from 'node:crypto';
import { assertBytes, assertInt, assertString } from './assert.js';
import { fromB64u, toB64u } from './bytes.js';
import { canonicalBytes } from './jcs.js';
import type { RandomSource } from './bytes.js';
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

function header(k: Omit<SealedKey, 'cipher' | 'ciphertext'>): Uint8Array {
  return canonicalBytes({
    version: k.version,
    label: k.label,
    keyType: k.keyType,
    publicKey: k.publicKey,
    kdf: k.kdf,
  });
}

function derive(passphrase: string, kdf: SealedKey['kdf']): Buffer {
  return scryptSync(passphrase.normalize('NFKC'), Buffer.from(fromB64u(kdf.salt)), 32, {
    N: kdf.N,
    r: kdf.r,
    p: kdf.p,
    maxmem: 256 * kdf.N * kdf.r,
  });
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
  const N = params.N ?? 1 << 15;
  assertInt(N, 'N', 1 << 10, 1 << 20);
  if ((N & (N - 1)) !== 0) throw new RangeError('N must be a power of two');
  const rnd = params.random ?? randomBytes;
  const head = {
    version: 1 as const,
    label: params.label,
    keyType: params.keyType,
    publicKey: toB64u(params.publicKey),
    kdf: { name: 'scrypt' as const, N, r: 8, p: 1, salt: toB64u(rnd(16)) },
  };
  const iv = rnd(12);
  const key = derive(params.passphrase, head.kdf);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(header(head));
  const ct = Buffer.concat([c.update(params.privateKey), c.final()]);
  key.fill(0);
  return {
    ...head,
    cipher: { name: 'aes-256-gcm', iv: toB64u(iv), tag: toB64u(c.getAuthTag()) },
    ciphertext: toB64u(ct),
  };
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
  if (sealed.kdf?.name !== 'scrypt' || sealed.cipher?.name !== 'aes-256-gcm') {
    throw new TypeError('unsupported key file algorithms');
  }
  assertInt(sealed.kdf.N, 'kdf.N', 1 << 10, 1 << 20);
  assertInt(sealed.kdf.r, 'kdf.r', 1, 32);
  assertInt(sealed.kdf.p, 'kdf.p', 1, 16);
  assertString(passphrase, 'passphrase', true);
  const key = derive(passphrase, sealed.kdf);
  try {
    const d = createDecipheriv('aes-256-gcm', key, Buffer.from(fromB64u(sealed.cipher.iv)));
    d.setAAD(header(sealed));
    d.setAuthTag(Buffer.from(fromB64u(sealed.cipher.tag)));
    return new Uint8Array(Buffer.concat([d.update(Buffer.from(fromB64u(sealed.ciphertext))), d.final()]));
  } catch {
    throw new Error('wrong passphrase or corrupted key file');
  } finally {
    key.fill(0);
  }
}
