/**
 * The one conformance suite every EhrStore backend passes (memory, SQLite, PostgreSQL). Each
 * backend's test file supplies a harness that opens the store and reaches into its REAL
 * storage (the SQLite file, PostgreSQL rows, the memory map) to read, tamper with and scan
 * the stored bytes; the suite never trusts the store's own view for security checks.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { isEhrError } from '../src/ehr/types.js';
import type { EhrRecord, EhrStore, EhrErrorCode } from '../src/ehr/types.js';

/** Raw columns of one stored row (null once erased). */
export interface RawEhrRow {
  patientRef: string | null;
  category: string | null;
  wrappedKey: Uint8Array | null;
  ciphertext: Uint8Array | null;
}

/** What a backend's test gives the suite. Every method works on the real storage. */
export interface EhrHarness {
  /** Opens a store on this harness's storage (call again to "reopen", maybe with another key). */
  open(masterKey: Uint8Array): Promise<EhrStore>;
  /** Reads a row directly from storage (copies), or undefined. */
  rawGet(recordId: string): Promise<RawEhrRow | undefined>;
  /** Overwrites columns of a row directly in storage. */
  rawSet(
    recordId: string,
    cols: Partial<Pick<RawEhrRow, 'category' | 'wrappedKey' | 'ciphertext'>>,
  ): Promise<void>;
  /** Number of rows (records and tombstones) in storage. */
  rawCount(): Promise<number>;
  /** Every byte the backend persists (file bytes, or all row values), for scanning. */
  dump(): Promise<Uint8Array>;
  /** Closes every store it opened and deletes the storage. */
  dispose(): Promise<void>;
}

const enc = new TextEncoder();

/** A record whose body carries a unique marker, so a scan can look for its plaintext. */
export function sampleRecord(over: Partial<EhrRecord> = {}): EhrRecord & { marker: string } {
  const marker = `PLAINTEXT-MARKER-${randomBytes(8).toString('hex')}`;
  const body = enc.encode(
    JSON.stringify({ resourceType: 'Observation', status: 'final', note: [{ text: marker }] }),
  );
  return {
    recordId: `rec-${randomBytes(6).toString('hex')}`,
    patientRef: 'pat-7f3a91',
    resourceType: 'Observation',
    category: 'lab',
    body,
    createdAt: 1_700_000_000_000,
    marker,
    ...over,
  };
}

function strip(r: EhrRecord & { marker?: string }): EhrRecord {
  const { recordId, patientRef, resourceType, category, body, createdAt } = r;
  return { recordId, patientRef, resourceType, category, body: new Uint8Array(body), createdAt };
}

function contains(hay: Uint8Array, needle: Uint8Array | string): boolean {
  return Buffer.from(hay.buffer, hay.byteOffset, hay.byteLength).indexOf(needle) >= 0;
}

async function rejectsWith(p: Promise<unknown>, code: EhrErrorCode): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isEhrError(e, code), `expected EhrError ${code}, got ${String(e)}`);
    return true;
  });
}

/**
 * Registers the conformance tests for one backend.
 * @param name - backend name used in test titles.
 * @param makeHarness - creates fresh, empty storage for one test.
 */
export function ehrStoreConformance(name: string, makeHarness: () => Promise<EhrHarness>): void {
  const withStore = async (
    fn: (s: EhrStore, h: EhrHarness, key: Uint8Array) => Promise<void>,
  ): Promise<void> => {
    const h = await makeHarness();
    const key = new Uint8Array(randomBytes(32));
    try {
      await fn(await h.open(key), h, key);
    } finally {
      await h.dispose();
    }
  };

  describe(`EhrStore conformance: ${name}`, () => {
    test('round trip: put then get returns the same record; listByPatient returns live metadata in order', () =>
      withStore(async (s) => {
        const a = sampleRecord({ createdAt: 2000 });
        const b = sampleRecord({ createdAt: 1000, category: 'imaging', resourceType: 'DiagnosticReport' });
        const other = sampleRecord({ patientRef: 'pat-other' });
        for (const r of [a, b, other]) await s.put(strip(r));
        assert.deepEqual(await s.get(a.recordId), strip(a));
        assert.deepEqual(await s.get(b.recordId), strip(b));
        assert.equal(await s.get('rec-unknown'), undefined);
        const list = await s.listByPatient(a.patientRef);
        assert.deepEqual(
          list,
          [b, a].map(({ recordId, patientRef, resourceType, category, createdAt }) => ({
            recordId,
            patientRef,
            resourceType,
            category,
            createdAt,
          })),
        );
        assert.deepEqual(await s.listByPatient('pat-nobody'), []);
        assert.equal(await s.isErased(a.recordId), false);
      }));

    test('listByType: live records of a resource type (and category), oldest first; erased ones are gone', () =>
      withStore(async (s) => {
        const a = sampleRecord({ createdAt: 3000 });
        const b = sampleRecord({ createdAt: 1000, patientRef: 'pat-other' });
        const c = sampleRecord({ createdAt: 2000, category: 'clinical' });
        const d = sampleRecord({ createdAt: 500, resourceType: 'Condition', category: 'clinical' });
        for (const r of [a, b, c, d]) await s.put(strip(r));
        const ids = async (t: string, cat?: string) => (await s.listByType(t, cat)).map((m) => m.recordId);
        assert.deepEqual(await ids('Observation'), [b.recordId, c.recordId, a.recordId]);
        assert.deepEqual(await ids('Observation', 'lab'), [b.recordId, a.recordId]);
        assert.deepEqual(await ids('Condition'), [d.recordId]);
        assert.deepEqual(await ids('Patient'), []);
        const [first] = await s.listByType('Observation', 'lab');
        assert.deepEqual(first, {
          recordId: b.recordId,
          patientRef: 'pat-other',
          resourceType: 'Observation',
          category: 'lab',
          createdAt: 1000,
        });
        await s.erase(b.recordId);
        assert.deepEqual(await ids('Observation', 'lab'), [a.recordId]);
        await rejectsWith(s.listByType('observation'), 'BAD_INPUT');
        await rejectsWith(s.listByType('Observation', 'Lab!'), 'BAD_INPUT');
      }));

    test('encryption at rest: the body plaintext never appears in storage', () =>
      withStore(async (s, h) => {
        const r = sampleRecord();
        await s.put(strip(r));
        const dump = await h.dump();
        assert.ok(contains(dump, r.patientRef), 'scan sanity: clear metadata is found');
        assert.ok(!contains(dump, r.marker), 'plaintext body found in storage');
        const row = await h.rawGet(r.recordId);
        assert.ok(row?.wrappedKey && row.ciphertext);
        assert.equal(row.wrappedKey.length, 61);
      }));

    test('duplicate recordId is rejected with DUPLICATE_RECORD and the original is kept', () =>
      withStore(async (s, h) => {
        const r = sampleRecord();
        await s.put(strip(r));
        const again = sampleRecord({ recordId: r.recordId, patientRef: 'pat-other' });
        await rejectsWith(s.put(strip(again)), 'DUPLICATE_RECORD');
        assert.deepEqual(await s.get(r.recordId), strip(r));
        assert.equal(await h.rawCount(), 1);
      }));

    test('erase: record unreadable, tombstone kept, no plaintext, wrapped key or ciphertext left in storage', () =>
      withStore(async (s, h, key) => {
        const r = sampleRecord();
        const keep = sampleRecord();
        await s.put(strip(r));
        await s.put(strip(keep));
        const before = await h.rawGet(r.recordId);
        assert.ok(before?.wrappedKey && before.ciphertext);
        assert.ok(contains(await h.dump(), before.wrappedKey), 'scan sanity: wrapped key found before erase');

        assert.deepEqual(await s.erase(r.recordId), { erased: true });
        assert.equal(await s.get(r.recordId), undefined);
        assert.equal(await s.isErased(r.recordId), true);
        assert.deepEqual(
          (await s.listByPatient(r.patientRef)).map((m) => m.recordId),
          [keep.recordId],
        );
        const after = await h.rawGet(r.recordId);
        assert.deepEqual(after, { patientRef: null, category: null, wrappedKey: null, ciphertext: null });

        const dump = await h.dump();
        assert.ok(!contains(dump, before.wrappedKey), 'wrapped data key still in storage after erase');
        assert.ok(!contains(dump, before.ciphertext), 'ciphertext still in storage after erase');
        assert.ok(!contains(dump, r.marker), 'plaintext in storage after erase');

        assert.deepEqual(await s.erase(r.recordId), { erased: false });
        await rejectsWith(s.put(strip(r)), 'ERASED');
        await rejectsWith(s.erase('rec-never-stored'), 'NOT_FOUND');
        assert.deepEqual(await s.get(keep.recordId), strip(keep));

        await s.close();
        const reopened = await h.open(key);
        assert.equal(await reopened.isErased(r.recordId), true, 'tombstone survives reopen');
        assert.equal(await reopened.get(r.recordId), undefined);
      }));

    test('tampering with one stored ciphertext byte yields CORRUPT, never data', () =>
      withStore(async (s, h) => {
        const r = sampleRecord();
        await s.put(strip(r));
        const row = await h.rawGet(r.recordId);
        assert.ok(row?.ciphertext);
        const ct = Uint8Array.from(row.ciphertext);
        ct[20] = ct[20]! ^ 0x01;
        await h.rawSet(r.recordId, { ciphertext: ct });
        await rejectsWith(s.get(r.recordId), 'CORRUPT');
      }));

    test('tampering with the wrapped data key yields CORRUPT', () =>
      withStore(async (s, h) => {
        const r = sampleRecord();
        await s.put(strip(r));
        const row = await h.rawGet(r.recordId);
        assert.ok(row?.wrappedKey);
        const wk = Uint8Array.from(row.wrappedKey);
        wk[30] = wk[30]! ^ 0x80;
        await h.rawSet(r.recordId, { wrappedKey: wk });
        await rejectsWith(s.get(r.recordId), 'CORRUPT');
      }));

    test('relabelling a row (category) or swapping blobs between rows yields CORRUPT', () =>
      withStore(async (s, h) => {
        const a = sampleRecord({ category: 'mental-health' });
        const b = sampleRecord();
        await s.put(strip(a));
        await s.put(strip(b));
        await h.rawSet(a.recordId, { category: 'clinical' });
        await rejectsWith(s.get(a.recordId), 'CORRUPT');
        const rb = await h.rawGet(b.recordId);
        const ra = await h.rawGet(a.recordId);
        assert.ok(rb?.wrappedKey && rb.ciphertext && ra?.wrappedKey && ra.ciphertext);
        // Swap the body only: the DEK opens, but the body's AAD names the other row.
        await h.rawSet(a.recordId, { category: 'mental-health', ciphertext: rb.ciphertext });
        await rejectsWith(s.get(a.recordId), 'CORRUPT');
        // Swap both blobs: the wrapped DEK is bound to its record id.
        await h.rawSet(a.recordId, { wrappedKey: rb.wrappedKey, ciphertext: rb.ciphertext });
        await rejectsWith(s.get(a.recordId), 'CORRUPT');
        assert.deepEqual(await s.get(b.recordId), strip(b));
      }));

    test('reopening with the wrong master key yields CORRUPT; the right key still reads', () =>
      withStore(async (s, h, key) => {
        const r = sampleRecord();
        await s.put(strip(r));
        await s.close();
        const wrong = await h.open(new Uint8Array(randomBytes(32)));
        await rejectsWith(wrong.get(r.recordId), 'CORRUPT');
        await wrong.close();
        const right = await h.open(key);
        assert.deepEqual(await right.get(r.recordId), strip(r));
      }));

    test('bad input is rejected with BAD_INPUT and nothing is written', () =>
      withStore(async (s, h) => {
        const good = strip(sampleRecord());
        const bad: unknown[] = [
          { ...good, recordId: '' },
          { ...good, recordId: 42 },
          { ...good, patientRef: '' },
          { ...good, body: 'not bytes' },
          { ...good, body: Array.from(good.body) },
          { ...good, body: new Uint8Array(0) },
          { ...good, resourceType: 'not a type' },
          { ...good, category: '' },
          { ...good, createdAt: -1 },
          { ...good, createdAt: 1.5 },
          null,
          'record',
        ];
        for (const b of bad) await rejectsWith(s.put(b as EhrRecord), 'BAD_INPUT');
        await rejectsWith(s.get(''), 'BAD_INPUT');
        await rejectsWith(s.erase(''), 'BAD_INPUT');
        await rejectsWith(s.isErased(7 as unknown as string), 'BAD_INPUT');
        await rejectsWith(s.listByPatient(''), 'BAD_INPUT');
        assert.equal(await h.rawCount(), 0);
        await rejectsWith((async () => h.open(new Uint8Array(31)))(), 'BAD_INPUT');
      }));
  });
}
