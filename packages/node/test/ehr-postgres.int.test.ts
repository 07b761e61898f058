/**
 * Runs the EhrStore conformance suite on the PostgreSQL backend against a real PostgreSQL 15
 * cluster started by this test (helpers/postgres.ts); each test gets a fresh database. Fails,
 * never skips, when PostgreSQL is not installed. `dump` reads every row and column.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { openPostgresEhrStore } from '../src/ehr/postgres.js';
import type { EhrStore } from '../src/ehr/types.js';
import { ehrStoreConformance, sampleRecord } from './ehr-conformance.js';
import type { EhrHarness } from './ehr-conformance.js';
import { startPostgres } from './helpers/postgres.js';
import type { TestPostgres } from './helpers/postgres.js';

let server: TestPostgres | undefined;
let dbCounter = 0;

before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server?.stop();
});

function serverUrl(): string {
  if (!server) throw new Error('PostgreSQL test cluster did not start (see the before hook error)');
  return server.url;
}

async function freshDatabase(): Promise<string> {
  const name = `ehr_test_${process.pid}_${++dbCounter}`;
  const admin = new pg.Client({ connectionString: serverUrl() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

const cols = { category: 'category', wrappedKey: 'wrapped_key', ciphertext: 'ciphertext' } as const;

ehrStoreConformance('postgres', async (): Promise<EhrHarness> => {
  const connectionString = await freshDatabase();
  const raw = new pg.Client({ connectionString });
  await raw.connect();
  const opened: EhrStore[] = [];
  const bytes = (b: Buffer | null): Uint8Array | null => (b === null ? null : Uint8Array.from(b));
  return {
    async open(masterKey) {
      const s = await openPostgresEhrStore({ connectionString, masterKey, maxConnections: 2 });
      opened.push(s);
      return s;
    },
    async rawGet(id) {
      const r = await raw.query(
        'SELECT patient_ref, category, wrapped_key, ciphertext FROM ehr_records WHERE record_id = $1',
        [id],
      );
      const row = r.rows[0] as
        | {
            patient_ref: string | null;
            category: string | null;
            wrapped_key: Buffer | null;
            ciphertext: Buffer | null;
          }
        | undefined;
      if (!row) return undefined;
      return {
        patientRef: row.patient_ref,
        category: row.category,
        wrappedKey: bytes(row.wrapped_key),
        ciphertext: bytes(row.ciphertext),
      };
    },
    async rawSet(id, set) {
      for (const [k, v] of Object.entries(set)) {
        const col = cols[k as keyof typeof cols];
        const value = v instanceof Uint8Array ? Buffer.from(v) : v;
        await raw.query(`UPDATE ehr_records SET ${col} = $1 WHERE record_id = $2`, [value, id]);
      }
    },
    async rawCount() {
      const r = await raw.query<{ n: string }>('SELECT count(*) AS n FROM ehr_records');
      return Number(r.rows[0]?.n);
    },
    async dump() {
      // Every live row version of the table, every column, as bytes.
      const r = await raw.query({ text: 'SELECT * FROM ehr_records', rowMode: 'array' });
      const parts: Buffer[] = [];
      for (const row of r.rows as unknown[][])
        for (const v of row) parts.push(Buffer.isBuffer(v) ? v : Buffer.from(String(v)));
      return Buffer.concat(parts);
    },
    async dispose() {
      for (const s of opened) await s.close();
      await raw.end();
    },
  };
});

test('postgres: schema creation is idempotent when several stores open the same database at once', async () => {
  const connectionString = await freshDatabase();
  const masterKey = new Uint8Array(32).fill(7);
  const stores = await Promise.all(
    Array.from({ length: 4 }, () => openPostgresEhrStore({ connectionString, masterKey, maxConnections: 1 })),
  );
  try {
    const r = sampleRecord();
    await stores[0]!.put(r);
    assert.equal((await stores[3]!.get(r.recordId))?.recordId, r.recordId);
  } finally {
    for (const s of stores) await s.close();
  }
});
