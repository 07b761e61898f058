/**
 * Runs the EhrStore conformance suite on the SQLite backend, against a real database file in
 * a temp dir. Raw access goes through a second connection to the same file; `dump` reads the
 * database file and its WAL from disk.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteEhrStore } from '../src/ehr/sqlite.js';
import type { EhrStore } from '../src/ehr/types.js';
import { ehrStoreConformance } from './ehr-conformance.js';
import type { EhrHarness, RawEhrRow } from './ehr-conformance.js';

const cols = { category: 'category', wrappedKey: 'wrapped_key', ciphertext: 'ciphertext' } as const;

ehrStoreConformance('sqlite', async (): Promise<EhrHarness> => {
  const dir = mkdtempSync(join(tmpdir(), 'medledger-ehr-sqlite-'));
  const path = join(dir, 'ehr.sqlite');
  const opened: EhrStore[] = [];
  let rawDb: Database.Database | undefined;
  const raw = (): Database.Database => (rawDb ??= new Database(path));
  const bytes = (b: Buffer | null): Uint8Array | null => (b === null ? null : Uint8Array.from(b));
  return {
    async open(masterKey) {
      const s = openSqliteEhrStore({ path, masterKey });
      opened.push(s);
      return s;
    },
    async rawGet(id) {
      const row = raw()
        .prepare('SELECT patient_ref, category, wrapped_key, ciphertext FROM ehr_records WHERE record_id = ?')
        .get(id) as
        | {
            patient_ref: string | null;
            category: string | null;
            wrapped_key: Buffer | null;
            ciphertext: Buffer | null;
          }
        | undefined;
      if (!row) return undefined;
      const out: RawEhrRow = {
        patientRef: row.patient_ref,
        category: row.category,
        wrappedKey: bytes(row.wrapped_key),
        ciphertext: bytes(row.ciphertext),
      };
      return out;
    },
    async rawSet(id, set) {
      for (const [k, v] of Object.entries(set)) {
        const col = cols[k as keyof typeof cols];
        raw().prepare(`UPDATE ehr_records SET ${col} = ? WHERE record_id = ?`).run(v, id);
      }
    },
    async rawCount() {
      return (raw().prepare('SELECT count(*) AS n FROM ehr_records').get() as { n: number }).n;
    },
    async dump() {
      const files = [path, `${path}-wal`, `${path}-journal`].filter((f) => existsSync(f));
      return Buffer.concat(files.map((f) => readFileSync(f)));
    },
    async dispose() {
      for (const s of opened) await s.close();
      rawDb?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
