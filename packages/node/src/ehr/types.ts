/**
 * The off-chain EHR store of the SPV architecture (survey §6.3, DESIGN.md): the ledger holds
 * only a salted commitment of a record; the record itself lives here, at the organization
 * that holds it, encrypted at rest (see encryption.ts), and is served only after the node
 * has checked consent on the ledger. This file holds the interface every backend implements
 * (memory.ts, sqlite.ts, postgres.ts) and the boundary checks they share.
 *
 * Threat model: the store's callers are trusted node code that has already decided access;
 * the store does not authorize. What it guarantees is in encryption.ts.
 */
import { LedgerError } from '@medledger/core';
import type { RandomSource } from '@medledger/crypto';

/** One record as the node sees it: metadata in clear, body as canonical FHIR JSON bytes. */
export interface EhrRecord {
  /** Unique id, chosen by the caller (e.g. the id committed on the ledger). Never reused. */
  recordId: string;
  /** A pseudonym of the patient, never a real identity. */
  patientRef: string;
  /** FHIR resource type, e.g. `Observation`. */
  resourceType: string;
  /** medledger record category, e.g. `lab` (see records/fhir.ts). */
  category: string;
  /** Canonical FHIR JSON bytes. Encrypted at rest. */
  body: Uint8Array;
  /** Creation time, milliseconds since the Unix epoch. */
  createdAt: number;
}

/** The clear metadata of a record, as returned by {@link EhrStore.listByPatient}. */
export type EhrRecordMeta = Omit<EhrRecord, 'body'>;

/**
 * An off-chain EHR store. Implementations: `createMemoryEhrStore` (unit tests),
 * `openSqliteEhrStore` (default), `openPostgresEhrStore`.
 * Every method rejects bad arguments with `EhrError('BAD_INPUT')` before touching storage.
 */
export interface EhrStore {
  /**
   * Stores a new record. Rejects with `DUPLICATE_RECORD` if `recordId` is stored, with
   * `ERASED` if it was stored and erased (ids are never reused), `BAD_INPUT` on bad fields.
   */
  put(r: EhrRecord): Promise<void>;
  /** The record, or `undefined` if unknown or erased. Rejects with `CORRUPT` if it fails to decrypt. */
  get(recordId: string): Promise<EhrRecord | undefined>;
  /** Metadata of the patient's live records, oldest first (ties by recordId). No decryption. */
  listByPatient(patientRef: string): Promise<EhrRecordMeta[]>;
  /**
   * Metadata of the live records of a FHIR resource type (optionally of one category), oldest
   * first (ties by recordId). No decryption. Used by services that select records by kind,
   * e.g. a federated-learning participant choosing a study's records before checking consent.
   */
  listByType(resourceType: string, category?: string): Promise<EhrRecordMeta[]>;
  /**
   * Crypto-shredding: deletes the record's wrapped data key, ciphertext and metadata, and
   * keeps a tombstone (recordId, erasedAt). `{ erased: false }` if it was already erased.
   * Rejects with `NOT_FOUND` if the id was never stored.
   */
  erase(recordId: string): Promise<{ erased: boolean }>;
  /** True if the record was erased. */
  isErased(recordId: string): Promise<boolean>;
  /** Releases the database handle / pool. Other calls afterwards reject. */
  close(): Promise<void>;
}

/** Options every backend takes. */
export interface EhrStoreOptions {
  /** The store's 32-byte key-encryption key. Keep it out of the database (env, KMS, key file). */
  masterKey: Uint8Array;
  /** Randomness for data keys and IVs (default: OS CSPRNG). */
  random?: RandomSource;
  /** Clock for tombstones, ms since epoch (default `Date.now`). */
  now?: () => number;
}

/** Codes of {@link EhrError}. */
export type EhrErrorCode = 'DUPLICATE_RECORD' | 'NOT_FOUND' | 'ERASED' | 'CORRUPT' | 'BAD_INPUT';

/**
 * An EHR store failure. Messages name fields, never values: ids are not secret but bodies,
 * patient pseudonyms and keys must not reach logs through an error.
 */
export class EhrError extends LedgerError<{ code: EhrErrorCode; field?: string }> {
  constructor(code: EhrErrorCode, message: string, field?: string) {
    super(field === undefined ? { code } : { code, field }, message);
    this.name = 'EhrError';
  }
}

/** Type guard for {@link EhrError}, optionally of one code. */
export function isEhrError(e: unknown, code?: EhrErrorCode): e is EhrError {
  return e instanceof EhrError && (code === undefined || e.code === code);
}

/** Largest accepted body: 16 MiB (a FHIR Bundle with attachments inline can be large). */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;
const MAX_ID_CHARS = 256;

function bad(field: string, what: string): never {
  throw new EhrError('BAD_INPUT', `${field} ${what}`, field);
}

/** Throws `BAD_INPUT` unless `resourceType` (and `category`, if given) look like the stored codes. */
export function assertEhrKind(resourceType: unknown, category?: unknown): void {
  if (typeof resourceType !== 'string' || !/^[A-Z][A-Za-z]{0,63}$/.test(resourceType))
    bad('resourceType', 'must be a FHIR resource type name');
  if (category !== undefined && (typeof category !== 'string' || !/^[a-z][a-z0-9-]{0,63}$/.test(category)))
    bad('category', 'must be a lowercase category code');
}

/** Throws `BAD_INPUT` unless `v` is a non-empty string of at most 256 chars without control characters. */
export function assertEhrId(v: unknown, field: string): asserts v is string {
  if (typeof v !== 'string') bad(field, 'must be a string');
  if (v.length === 0) bad(field, 'must not be empty');
  if (v.length > MAX_ID_CHARS) bad(field, `must be at most ${MAX_ID_CHARS} characters`);
  if (/[\u0000-\u001f\u007f]/.test(v)) bad(field, 'must not contain control characters');
}

/**
 * Checks every field of a record at the boundary; throws `EhrError('BAD_INPUT')` naming the
 * first bad field. Nothing is written when this throws.
 */
export function assertEhrRecord(r: unknown): asserts r is EhrRecord {
  if (typeof r !== 'object' || r === null) bad('record', 'must be an object');
  const o = r as Record<string, unknown>;
  assertEhrId(o['recordId'], 'recordId');
  assertEhrId(o['patientRef'], 'patientRef');
  if (typeof o['resourceType'] !== 'string' || !/^[A-Z][A-Za-z]{0,63}$/.test(o['resourceType']))
    bad('resourceType', 'must be a FHIR resource type name');
  if (typeof o['category'] !== 'string' || !/^[a-z][a-z0-9-]{0,63}$/.test(o['category']))
    bad('category', 'must be a lowercase category code');
  if (!(o['body'] instanceof Uint8Array)) bad('body', 'must be a Uint8Array');
  if (o['body'].length === 0) bad('body', 'must not be empty');
  if (o['body'].length > MAX_BODY_BYTES) bad('body', `must be at most ${MAX_BODY_BYTES} bytes`);
  const t = o['createdAt'];
  if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 0)
    bad('createdAt', 'must be a non-negative integer (ms since epoch)');
}
