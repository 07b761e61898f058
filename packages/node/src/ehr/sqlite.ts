/**
 * SQLite EHR store (better-sqlite3): the default durable backend. One file of its own,
 * separate from the ledger's block store, in WAL mode with `synchronous=FULL` (a record whose
 * commitment is on the ledger must not vanish in a power cut) and `secure_delete=ON`, so the
 * bytes of an erased row are overwritten with zeros in the main file; `erase` then checkpoints
 * and truncates the WAL so no old page image keeps the wrapped key. Encryption: encryption.ts.
 *
 * Threat model: as encryption.ts. Erasure leaves no wrapped key or ciphertext in the database
 * files unless another connection holds a read transaction open across the checkpoint (then
 * the WAL keeps the old page until the next checkpoint), or the file system / backups keep
 * old blocks: those are out of reach of any database.
 */
import Database from 'better-sqlite3';
import { randomBytes } from '@medledger/crypto';
import { assertMasterKey, openRecord, sealRecord } from './encryption.js';
import type { SealedRecord } from './encryption.js';
import { EhrError, assertEhrId, assertEhrKind, assertEhrRecord } from './types.js';
import type { EhrRecord, EhrRecordMeta, EhrStore, EhrStoreOptions } from './types.js';

/** Options of {@link openSqliteEhrStore}. */
export interface SqliteEhrStoreOptions extends EhrStoreOptions {
  /** Path of the database file; created if missing. Not the ledger's file. */
  path: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS ehr_records (
  record_id     TEXT PRIMARY KEY,
  patient_ref   TEXT,
  resource_type TEXT,
  category      TEXT,
  created_at    INTEGER,
  wrapped_key   BLOB,
  ciphertext    BLOB,
  erased_at     INTEGER,
  CHECK ((erased_at IS NULL) = (ciphertext IS NOT NULL AND wrapped_key IS NOT NULL AND patient_ref IS NOT NULL
         AND resource_type IS NOT NULL AND category IS NOT NULL AND created_at IS NOT NULL))
) STRICT;
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
  created_at: number;
  wrapped_key: Uint8Array;
  ciphertext: Uint8Array;
}

/**
 * Opens (creating if needed) an SQLite {@link EhrStore}.
 * @throws EhrError `BAD_INPUT` on a bad master key; better-sqlite3 errors if the file cannot be opened.
 * @example
 * const store = openSqliteEhrStore({ path: '/var/lib/medledger/ehr.sqlite', masterKey });
 * const rec = await store.get('r1');
 * await store.close();
 */
export function openSqliteEhrStore(opts: SqliteEhrStoreOptions): EhrStore {
  assertMasterKey(opts.masterKey);
  const key = Uint8Array.from(opts.masterKey);
  const random = opts.random ?? randomBytes;
  const now = opts.now ?? Date.now;
  const db = new Database(opts.path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('secure_delete = ON');
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);

  const selState = db.prepare<[string], { erased_at: number | null }>(
    'SELECT erased_at FROM ehr_records WHERE record_id = ?',
  );
  const insert = db.prepare(
    `INSERT INTO ehr_records (record_id, patient_ref, resource_type, category, created_at, wrapped_key, ciphertext)
     VALUES (@recordId, @patientRef, @resourceType, @category, @createdAt, @wrappedKey, @ciphertext)`,
  );
  const selLive = db.prepare<[string], Row>(
    'SELECT * FROM ehr_records WHERE record_id = ? AND erased_at IS NULL',
  );
  const selByPatient = db.prepare<[string], Omit<Row, 'wrapped_key' | 'ciphertext'>>(
    `SELECT record_id, patient_ref, resource_type, category, created_at FROM ehr_records
     WHERE patient_ref = ? AND erased_at IS NULL ORDER BY created_at, record_id`,
  );
  const selByType = db.prepare<
    [string, string | null, string | null],
    Omit<Row, 'wrapped_key' | 'ciphertext'>
  >(
    `SELECT record_id, patient_ref, resource_type, category, created_at FROM ehr_records
     WHERE resource_type = ? AND (? IS NULL OR category = ?) AND erased_at IS NULL ORDER BY created_at, record_id`,
  );
  const shred = db.prepare(
    `UPDATE ehr_records SET patient_ref = NULL, resource_type = NULL, category = NULL, created_at = NULL,
       wrapped_key = NULL, ciphertext = NULL, erased_at = ? WHERE record_id = ? AND erased_at IS NULL`,
  );

  const putTx = db.transaction((s: SealedRecord) => {
    const state = selState.get(s.recordId);
    if (state && state.erased_at !== null)
      throw new EhrError('ERASED', 'recordId was erased and cannot be reused');
    if (state) throw new EhrError('DUPLICATE_RECORD', 'recordId is already stored');
    insert.run(s);
  });
  const eraseTx = db.transaction((recordId: string, at: number): boolean => {
    const state = selState.get(recordId);
    if (!state) throw new EhrError('NOT_FOUND', 'recordId is not stored');
    return shred.run(at, recordId).changes === 1;
  });

  return {
    async put(r: EhrRecord): Promise<void> {
      assertEhrRecord(r);
      putTx(sealRecord(key, r, random));
    },
    async get(recordId: string): Promise<EhrRecord | undefined> {
      assertEhrId(recordId, 'recordId');
      const row = selLive.get(recordId);
      if (!row) return undefined;
      return openRecord(key, {
        recordId: row.record_id,
        patientRef: row.patient_ref,
        resourceType: row.resource_type,
        category: row.category,
        createdAt: row.created_at,
        wrappedKey: row.wrapped_key,
        ciphertext: row.ciphertext,
      });
    },
    async listByPatient(patientRef: string): Promise<EhrRecordMeta[]> {
      assertEhrId(patientRef, 'patientRef');
      return selByPatient.all(patientRef).map((row) => ({
        recordId: row.record_id,
        patientRef: row.patient_ref,
        resourceType: row.resource_type,
        category: row.category,
        createdAt: row.created_at,
      }));
    },
    async listByType(resourceType: string, category?: string): Promise<EhrRecordMeta[]> {
      assertEhrKind(resourceType, category);
      const c = category ?? null;
      return selByType.all(resourceType, c, c).map((row) => ({
        recordId: row.record_id,
        patientRef: row.patient_ref,
        resourceType: row.resource_type,
        category: row.category,
        createdAt: row.created_at,
      }));
    },
    async erase(recordId: string): Promise<{ erased: boolean }> {
      assertEhrId(recordId, 'recordId');
      const erased = eraseTx(recordId, now());
      // Old page images in the WAL still hold the wrapped key: copy back and truncate it.
      if (erased) db.pragma('wal_checkpoint(TRUNCATE)');
      return { erased };
    },
    async isErased(recordId: string): Promise<boolean> {
      assertEhrId(recordId, 'recordId');
      const state = selState.get(recordId);
      return state !== undefined && state.erased_at !== null;
    },
    async close(): Promise<void> {
      if (db.open) db.close();
      key.fill(0);
    },
  };
}
