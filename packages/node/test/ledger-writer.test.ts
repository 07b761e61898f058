/**
 * The writer thread (store/writer.ts): a block commit is durable and visible to the reading
 * connection when `commit` resolves; a commit that fails is reported with SQLite's reason,
 * writes nothing, and every later commit is refused (the node halts rather than guess).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LedgerStore } from '../src/store/ledgerStore.js';
import { LedgerWriter } from '../src/store/writer.js';
import type { CommitBatch } from '../src/store/commitSql.js';

function batch(
  height: number,
  txIds: string[],
  state: Record<string, string | null>,
  events: string | null = null,
): CommitBatch {
  const head = { height, hash: `h${height}`, stateDigest: `d${height}`, time: height };
  return {
    height,
    hash: head.hash,
    data: JSON.stringify({ height }),
    txStarts: [...txIds.map(() => 0), 0],
    result: JSON.stringify({ codes: txIds.map(() => 'OK') }),
    txIds,
    codes: txIds.map(() => 'OK'),
    msgs: txIds.map(() => null),
    keys: Object.keys(state),
    values: Object.values(state),
    events,
    head: JSON.stringify(head),
  };
}

const id = (n: number): string => n.toString(16).padStart(64, '0');

test('writer: a commit is durable and readable when it resolves; a failed one changes nothing and stops the writer', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'medledger-writer-'));
  const path = join(dir, 'ledger.sqlite');
  const store = new LedgerStore(path);
  store.initGenesis('{}', [['member:a', { name: 'a' }]], {
    height: 0,
    hash: 'g',
    stateDigest: 'd0',
    time: 0,
  });
  const writer = await LedgerWriter.open(path);
  try {
    assert.deepEqual(store.get('member:a'), { name: 'a' });
    await writer.commit(batch(1, [id(1), id(2)], { 'k:1': '{"v":1}', 'member:a': null }));
    // What persist() does next: this connection's cache and filters catch up.
    store.committed(
      [id(1), id(2)].map((txId) => ({ txId, code: 'OK', events: [] })),
      [
        ['k:1', { v: 1 }],
        ['member:a', null],
      ],
    );
    assert.equal(store.hasCommittedTx(id(1)), true);
    assert.equal(store.head()?.height, 1);
    assert.equal(store.getTxLocation(id(2))?.index, 1);
    assert.deepEqual(store.get('k:1'), { v: 1 });
    assert.equal(store.get('member:a'), undefined, 'the deletion reached the table');

    // Height 1 again: the blocks table refuses it, and the whole batch rolls back.
    await assert.rejects(
      writer.commit(batch(1, [id(3)], { 'k:3': '{"v":3}' })),
      /ledger write failed: .*UNIQUE/,
    );
    assert.equal(store.getTxLocation(id(3)), undefined);
    assert.equal(store.get('k:3'), undefined);
    assert.equal(store.head()?.height, 1);
    // After a failure the writer refuses everything, even a valid next block.
    await assert.rejects(writer.commit(batch(2, [id(4)], {})), /ledger write failed/);
    assert.equal(store.head()?.height, 1);
  } finally {
    await writer.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writer: a block queued behind a failing one is not written (the node applies one block ahead of the disk)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'medledger-writer-'));
  const path = join(dir, 'ledger.sqlite');
  const store = new LedgerStore(path);
  store.initGenesis('{}', [], { height: 0, hash: 'g', stateDigest: 'd0', time: 0 });
  const writer = await LedgerWriter.open(path);
  try {
    await writer.commit(batch(1, [id(1)], {}));
    // Both are posted before the first one's failure comes back, as the pipelined node does.
    const bad = writer.commit(batch(1, [id(2)], { 'k:2': '{"v":2}' }));
    const next = writer.commit(batch(2, [id(3)], { 'k:3': '{"v":3}' }));
    await assert.rejects(bad, /ledger write failed: .*UNIQUE/);
    await assert.rejects(next, /ledger write failed/);
    // Closing waits for the thread to drain what was posted to it before checking the disk.
    await writer.close();
    assert.equal(store.head()?.height, 1, 'no block past the failed one reached the disk');
    assert.equal(store.blockRow(2), undefined);
    assert.equal(store.getTxLocation(id(3)), undefined);
    assert.equal(store.get('k:3'), undefined);
  } finally {
    await writer.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writer: a block and its events are one transaction — both durable, or neither', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'medledger-writer-'));
  const path = join(dir, 'ledger.sqlite');
  const store = new LedgerStore(path);
  store.initGenesis('{}', [], { height: 0, hash: 'g', stateDigest: 'd0', time: 0 });
  const writer = await LedgerWriter.open(path);
  const ev = (h: number, txId: string): string =>
    JSON.stringify([{ type: 'consent.revoked', patient: 'p', grantId: `g${h}`, txId, height: h }]);
  try {
    assert.equal(store.eventsFrom(), 1, 'a new ledger stores the events of every block');
    await writer.commit(batch(1, [id(1)], {}, ev(1, id(1))));
    await writer.commit(batch(2, [id(2)], {}));
    assert.deepEqual(store.blockEvents(1), JSON.parse(ev(1, id(1))));
    assert.deepEqual(store.blockEvents(2), [], 'a block without events has no row and no events');
    // An events row already at height 3 makes the events insert of block 3 fail: the block,
    // its index rows and its head roll back with it.
    store.db.prepare('INSERT INTO events (height, data) VALUES (3, ?)').run('[]');
    await assert.rejects(writer.commit(batch(3, [id(3)], {}, ev(3, id(3)))), /ledger write failed: .*UNIQUE/);
    assert.equal(store.head()?.height, 2);
    assert.equal(store.blockRow(3), undefined);
    assert.equal(store.getTxLocation(id(3)), undefined);
  } finally {
    await writer.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writer: opening a ledger file that does not exist fails with a clear error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'medledger-writer-'));
  try {
    await assert.rejects(LedgerWriter.open(join(dir, 'missing.sqlite')), /ledger writer thread failed/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
