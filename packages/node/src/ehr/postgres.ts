/**
 * PostgreSQL EHR store (npm `pg`), for organizations that already run PostgreSQL. One table,
 * `ehr_records`, created idempotently under an advisory lock so several nodes may start at
 * once. An erased record keeps its row as a tombstone (record_id, erased_at); all other
 * columns are set to NULL. Encryption: encryption.ts.
 *
 * Threat model: as encryption.ts. Erasure is logical in PostgreSQL: the old tuple stays on
 * disk (measured: still in the heap file after erase + CHECKPOINT and after plain VACUUM; gone
 * from the table file after VACUUM FULL) and in the WAL until its segment is recycled, and in
 * any backup. The wrapped data key in
 * such a remnant opens only with the master key, so full shredding here also needs master-key
 * rotation (re-wrap live keys under a new master key, destroy the old one): not implemented.
 */
import pg from 'pg';
import { randomBytes } from '@medledger/crypto';
import { assertMasterKey, openRecord, sealRecord } from './encryption.js';
import { EhrError, assertEhrId, assertEhrKind, assertEhrRecord } from './types.js';
import type { EhrRecord, EhrRecordMeta, EhrStore, EhrStoreOptions } from './types.js';

/** Options of {@link openPostgresEhrStore}. */
export interface PostgresEhrStoreOptions extends EhrStoreOptions {
  /** e.g. `postgres://medledger@127.0.0.1:5432/ehr`. */
  connectionString: string;
  /** Pool size (default 10). */
  maxConnections?: number;
}

const SCHEMA_LOCK = 0x6d6c6568; // 'mleh': serializes schema creation across nodes
const SCHEMA = `
CREATE TABLE IF NOT EXISTS ehr_records (
  record_id     TEXT PRIMARY KEY,
  patient_ref   TEXT,
  resource_type TEXT,
  category      TEXT,
  created_at    BIGINT,
  wrapped_key   BYTEA,
  ciphertext    BYTEA,
  erased_at     BIGINT,
  CHECK ((erased_at IS NULL) = (ciphertext IS NOT NULL AND wrapped_key IS NOT NULL AND patient_ref IS NOT NULL
         AND resource_type IS NOT NULL AND category IS NOT NULL AND created_at IS NOT NULL))
);
CREATE INDEX IF NOT EXISTS ehr_records_by_patient
  ON ehr_records (patient_ref, created_at, record_id) WHERE erased_at IS NULL;
CREATE INDEX IF NOT EXISTS ehr_records_by_type
  ON ehr_records (resource_type, created_at, record_id) WHERE erased_at IS NULL;
`;

interface Row {
  record_id: string;
  patient_ref: string;
  resource_type: string;
  category: string;
  created_at: string; // BIGINT arrives as a string
  wrapped_key: Buffer;
  ciphertext: Buffer;
}

function asBytes(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * Connects to PostgreSQL, creates the schema if missing, and returns an {@link EhrStore}.
 * @throws EhrError `BAD_INPUT` on a bad master key; `pg` errors if the server is unreachable.
 * @example
 * const store = await openPostgresEhrStore({ connectionString: process.env.EHR_PG_URL!, masterKey });
 * await store.close();
 */
export async function openPostgresEhrStore(opts: PostgresEhrStoreOptions): Promise<EhrStore> {
  assertMasterKey(opts.masterKey);
  if (typeof opts.connectionString !== 'string' || opts.connectionString.length === 0)
    throw new EhrError('BAD_INPUT', 'connectionString must be a non-empty string', 'connectionString');
  const key = Uint8Array.from(opts.masterKey);
  const random = opts.random ?? randomBytes;
  const now = opts.now ?? Date.now;
  const pool = new pg.Pool({ connectionString: opts.connectionString, max: opts.maxConnections ?? 10 });
  try {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      await c.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
      await c.query(SCHEMA);
      await c.query('COMMIT');
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      c.release();
    }
  } catch (e) {
    await pool.end();
    throw e;
  }

  async function state(recordId: string): Promise<'absent' | 'live' | 'erased'> {
    const r = await pool.query<{ erased_at: string | null }>(
      'SELECT erased_at FROM ehr_records WHERE record_id = $1',
      [recordId],
    );
    const row = r.rows[0];
    return row === undefined ? 'absent' : row.erased_at === null ? 'live' : 'erased';
  }

  let ended = false;
  return {
    async put(r: EhrRecord): Promise<void> {
      assertEhrRecord(r);
      const s = sealRecord(key, r, random);
      const res = await pool.query(
        `INSERT INTO ehr_records (record_id, patient_ref, resource_type, category, created_at, wrapped_key, ciphertext)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (record_id) DO NOTHING`,
        [s.recordId, s.patientRef, s.resourceType, s.category, s.createdAt, s.wrappedKey, s.ciphertext],
      );
      if (res.rowCount === 1) return;
      // A row with this id exists; rows are never deleted, so it is either live or a tombstone.
      if ((await state(r.recordId)) === 'erased')
        throw new EhrError('ERASED', 'recordId was erased and cannot be reused');
      throw new EhrError('DUPLICATE_RECORD', 'recordId is already stored');
    },
    async get(recordId: string): Promise<EhrRecord | undefined> {
      assertEhrId(recordId, 'recordId');
      const res = await pool.query<Row>(
        'SELECT * FROM ehr_records WHERE record_id = $1 AND erased_at IS NULL',
        [recordId],
      );
      const row = res.rows[0];
      if (!row) return undefined;
      return openRecord(key, {
        recordId: row.record_id,
        patientRef: row.patient_ref,
        resourceType: row.resource_type,
        category: row.category,
        createdAt: Number(row.created_at),
        wrappedKey: asBytes(row.wrapped_key),
        ciphertext: asBytes(row.ciphertext),
      });
    },
    async listByPatient(patientRef: string): Promise<EhrRecordMeta[]> {
      assertEhrId(patientRef, 'patientRef');
      const res = await pool.query<Omit<Row, 'wrapped_key' | 'ciphertext'>>(
        `SELECT record_id, patient_ref, resource_type, category, created_at FROM ehr_records
         WHERE patient_ref = $1 AND erased_at IS NULL ORDER BY created_at, record_id`,
        [patientRef],
      );
      return res.rows.map((row) => ({
        recordId: row.record_id,
        patientRef: row.patient_ref,
        resourceType: row.resource_type,
        category: row.category,
        createdAt: Number(row.created_at),
      }));
    },
    async listByType(resourceType: string, category?: string): Promise<EhrRecordMeta[]> {
      assertEhrKind(resourceType, category);
      const res = await pool.query<Omit<Row, 'wrapped_key' | 'ciphertext'>>(
        `SELECT record_id, patient_ref, resource_type, category, created_at FROM ehr_records
         WHERE resource_type = $1 AND ($2::text IS NULL OR category = $2) AND erased_at IS NULL
         ORDER BY created_at, record_id`,
        [resourceType, category ?? null],
      );
      return res.rows.map((row) => ({
        recordId: row.record_id,
        patientRef: row.patient_ref,
        resourceType: row.resource_type,
        category: row.category,
        createdAt: Number(row.created_at),
      }));
    },
    async erase(recordId: string): Promise<{ erased: boolean }> {
      assertEhrId(recordId, 'recordId');
      const res = await pool.query(
        `UPDATE ehr_records SET patient_ref = NULL, resource_type = NULL, category = NULL, created_at = NULL,
           wrapped_key = NULL, ciphertext = NULL, erased_at = $1 WHERE record_id = $2 AND erased_at IS NULL`,
        [now(), recordId],
      );
      if (res.rowCount === 1) return { erased: true };
      if ((await state(recordId)) === 'absent') throw new EhrError('NOT_FOUND', 'recordId is not stored');
      return { erased: false };
    },
    async isErased(recordId: string): Promise<boolean> {
      assertEhrId(recordId, 'recordId');
      return (await state(recordId)) === 'erased';
    },
    async close(): Promise<void> {
      if (ended) return;
      ended = true;
      key.fill(0);
      await pool.end();
    },
  };
}
