/**
 * Group commit of the access-log outbox (records/accessLogOutbox.ts): entries queued in one
 * turn of the event loop are written in one transaction and share one fsync of the WAL, run in
 * the thread pool; each promise resolves only once its entry is on disk, readable by another
 * connection and by the next outbox opened on the same file; a closed outbox refuses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { AccessLogEntry } from '@medledger/core';
import { AccessLogOutbox } from '../src/records/accessLogOutbox.js';

const entry = (i: number): AccessLogEntry => ({
  recordId: `rec-${i}`,
  requester: 'a'.repeat(64),
  purpose: 'treatment',
  channel: 'spv',
  outcome: 'allowed',
  at: 1_700_000_000_000 + i,
});

function countOnDisk(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM entries').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

test('durability: 200 entries added in one turn share one fsync, and each is on disk when its promise resolves', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'medledger-outbox-'));
  try {
    const path = join(dir, 'access-log.sqlite');
    const o = new AccessLogOutbox(path);
    const before = o.syncs;
    const resolved: number[] = [];
    const all = Array.from({ length: 200 }, (_, i) => o.addGrouped(entry(i)).then(() => resolved.push(i)));
    assert.equal(resolved.length, 0, 'nothing is acknowledged before the write');
    assert.equal(countOnDisk(path), 0, 'nothing is written synchronously');
    await Promise.all(all);
    assert.equal(o.syncs - before, 1, 'one fsync for the whole group');
    assert.equal(countOnDisk(path), 200);
    assert.equal(o.unbatched, 200);
    o.close();
    const again = new AccessLogOutbox(path);
    assert.deepEqual(
      again.take(1000).entries.map((e) => e.recordId),
      Array.from({ length: 200 }, (_, i) => `rec-${i}`),
      'the next outbox on the file finds every entry, in order',
    );
    again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('durability: groups added while an fsync runs get an fsync of their own; none resolves before its write', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'medledger-outbox-'));
  try {
    const path = join(dir, 'access-log.sqlite');
    const o = new AccessLogOutbox(path);
    const first = o.addGrouped(entry(1));
    await new Promise((r) => setImmediate(r)); // the first group is written; its fsync runs
    const second = o.addGrouped(entry(2));
    await Promise.all([first, second]);
    assert.equal(countOnDisk(path), 2);
    assert.ok(o.syncs >= 2, `the second group was synced after its write (${o.syncs} fsyncs)`);
    o.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('behavior: a closed outbox writes what was queued and refuses what comes after', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'medledger-outbox-'));
  try {
    const path = join(dir, 'access-log.sqlite');
    const o = new AccessLogOutbox(path);
    const queued = o.addGrouped(entry(1));
    o.close();
    await queued;
    assert.equal(countOnDisk(path), 1);
    await assert.rejects(o.addGrouped(entry(2)));
    assert.equal(countOnDisk(path), 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
