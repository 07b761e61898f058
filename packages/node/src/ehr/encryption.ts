/**
 * Envelope encryption of EHR records at rest (NIST SP 800-38D AES-GCM; the key hierarchy of
 * NIST SP 800-57 §6: a key-encryption key wraps per-object data keys).
 *
 * Each record gets a fresh random 256-bit data key (DEK). The body is encrypted under the DEK
 * with AES-256-GCM; the additional data binds the record id, patient pseudonym, resource type,
 * category and creation time, so a row's clear metadata cannot be relabelled and ciphertexts
 * cannot be swapped between rows. The DEK is wrapped with AES-256-GCM under the store's
 * 32-byte master key (KEK) with the record id as additional data, so a wrapped key only opens
 * for its own row. Both blobs are `version(1) || iv(12) || ciphertext || tag(16)`.
 *
 * Crypto-shredding: erasing a record deletes its wrapped DEK and ciphertext. Without the
 * wrapped DEK the ciphertext cannot be opened even by the master key holder.
 *
 * Threat model. Protects: a stolen database file or dump without the master key (reveals only
 * the clear metadata: ids, pseudonyms, types, categories, times, sizes); an attacker who can
 * write rows but lacks the master key (tampering, swapping or relabelling rows is detected as
 * CORRUPT, never returned as data). Does not protect: a running node (it holds the master
 * key); rollback of a whole row to an older valid version of the same record (records are
 * immutable, so an older version is the same data); deletion of rows (availability). Shredding
 * is only as good as the storage's deletion: SQLite runs with `secure_delete` and checkpoints
 * its WAL on erase; PostgreSQL keeps dead tuples until VACUUM and in its WAL, and backups
 * keep old rows, so a remnant wrapped DEK stays openable by the master key until the master
 * key itself is rotated and destroyed (not implemented yet).
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { canonicalBytes } from '@medledger/crypto';
import { randomBytes } from '@medledger/crypto';
import type { RandomSource } from '@medledger/crypto';
import { EhrError, assertEhrRecord } from './types.js';
import type { EhrRecord, EhrRecordMeta } from './types.js';

/** A record as stored: clear metadata, wrapped data key, encrypted body. */
export interface SealedRecord extends EhrRecordMeta {
  /** `1 || iv || AES-256-GCM(KEK, DEK) || tag`, 61 bytes. */
  wrappedKey: Uint8Array;
  /** `1 || iv || AES-256-GCM(DEK, body) || tag`. */
  ciphertext: Uint8Array;
}

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

/** Throws `BAD_INPUT` unless `k` is a 32-byte Uint8Array. Never echoes the key. */
export function assertMasterKey(k: unknown): asserts k is Uint8Array {
  if (!(k instanceof Uint8Array) || k.length !== KEY_BYTES)
    throw new EhrError('BAD_INPUT', 'masterKey must be a 32-byte Uint8Array', 'masterKey');
}

function bodyAad(m: EhrRecordMeta): Uint8Array {
  return canonicalBytes([
    'medledger/ehr/body/v1',
    m.recordId,
    m.patientRef,
    m.resourceType,
    m.category,
    m.createdAt,
  ]);
}

function keyAad(recordId: string): Uint8Array {
  return canonicalBytes(['medledger/ehr/dek/v1', recordId]);
}

function seal(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, random: RandomSource): Uint8Array {
  const iv = random(IV_BYTES);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(aad);
  const ct = Buffer.concat([c.update(plaintext), c.final()]);
  const out = new Uint8Array(1 + IV_BYTES + ct.length + TAG_BYTES);
  out[0] = VERSION;
  out.set(iv, 1);
  out.set(ct, 1 + IV_BYTES);
  out.set(c.getAuthTag(), 1 + IV_BYTES + ct.length);
  return out;
}

function open(key: Uint8Array, blob: Uint8Array, aad: Uint8Array): Uint8Array {
  if (!(blob instanceof Uint8Array) || blob.length < 1 + IV_BYTES + TAG_BYTES || blob[0] !== VERSION)
    throw new EhrError('CORRUPT', 'stored record is malformed');
  try {
    const d = createDecipheriv('aes-256-gcm', key, blob.subarray(1, 1 + IV_BYTES));
    d.setAAD(aad);
    d.setAuthTag(blob.subarray(blob.length - TAG_BYTES));
    const pt = Buffer.concat([d.update(blob.subarray(1 + IV_BYTES, blob.length - TAG_BYTES)), d.final()]);
    return new Uint8Array(pt.buffer, pt.byteOffset, pt.byteLength);
  } catch {
    throw new EhrError('CORRUPT', 'stored record failed authentication');
  }
}

/**
 * Encrypts a record for storage under a fresh data key.
 * @param masterKey - the store's 32-byte key-encryption key.
 * @param r - the record; checked with `assertEhrRecord`.
 * @param random - randomness for the DEK and IVs (default: OS CSPRNG).
 * @throws EhrError `BAD_INPUT` on a bad record or master key.
 * @example
 * const sealed = sealRecord(masterKey, record);
 * const back = openRecord(masterKey, sealed); // deep-equals record
 */
export function sealRecord(
  masterKey: Uint8Array,
  r: EhrRecord,
  random: RandomSource = randomBytes,
): SealedRecord {
  assertMasterKey(masterKey);
  assertEhrRecord(r);
  const meta: EhrRecordMeta = {
    recordId: r.recordId,
    patientRef: r.patientRef,
    resourceType: r.resourceType,
    category: r.category,
    createdAt: r.createdAt,
  };
  const dek = random(KEY_BYTES);
  try {
    const ciphertext = seal(dek, r.body, bodyAad(meta), random);
    const wrappedKey = seal(masterKey, dek, keyAad(meta.recordId), random);
    return { ...meta, wrappedKey, ciphertext };
  } finally {
    dek.fill(0); // best effort: the DEK exists in clear only during this call
  }
}

/**
 * Decrypts a stored record.
 * @throws EhrError `CORRUPT` if the wrapped key or body fails authentication (tampered row,
 * swapped or relabelled row, or wrong master key); `BAD_INPUT` on a bad master key.
 */
export function openRecord(masterKey: Uint8Array, s: SealedRecord): EhrRecord {
  assertMasterKey(masterKey);
  const dek = open(masterKey, s.wrappedKey, keyAad(s.recordId));
  try {
    if (dek.length !== KEY_BYTES) throw new EhrError('CORRUPT', 'stored data key is malformed');
    const meta: EhrRecordMeta = {
      recordId: s.recordId,
      patientRef: s.patientRef,
      resourceType: s.resourceType,
      category: s.category,
      createdAt: s.createdAt,
    };
    return { ...meta, body: open(dek, s.ciphertext, bodyAad(meta)) };
  } finally {
    dek.fill(0);
  }
}
