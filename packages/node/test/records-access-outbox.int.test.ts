/**
 * The access-log outbox (records/accessLogOutbox.ts): an entry added is on disk before `add`
 * returns, so a batcher that dies before flushing leaves it for the next one, which submits
 * it at start; a batch submitted before the crash is submitted again as the same transaction,
 * so a read is never logged twice; a batch the node refuses gives its entries back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { AccessLogEntry } from '@medledger/core';
import type { LedgerView } from '../src/ledgerView.js';
import { AccessLogBatcher } from '../src/records/accessLogBatcher.js';
import { condition, makeRecordsWorld, type RecordsWorld } from './helpers/records.js';

function logged(w: RecordsWorld, recordId: string): AccessLogEntry[] {
  const out: AccessLogEntry[] = [];
  for (let h = 1; h <= w.node.head().height; h++) {
    const b = w.node.getBlock(h)!;
    b.block.txs.forEach((t, i) => {
      if (t.body.type !== 'access.log' || b.codes[i] !== 'OK') return;
      const entries = (t.body.payload as unknown as { entries: AccessLogEntry[] }).entries;
      out.push(...entries.filter((e) => e.recordId === recordId && e.channel === 'dss'));
    });
  }
  return out;
}

test('durability: an entry a batcher never flushed is submitted by the next batcher on the same outbox, once', async () => {
  const w = await makeRecordsWorld();
  try {
    await w.c.alice.writeDss({
      recordId: 'outbox-1',
      patient: w.id.bob,
      category: 'clinical',
      resource: condition('ep-outbox'),
    });
    const path = join(w.dir, 'outbox-test.sqlite');
    const nodeKey = w.consortium.orgs.get('hospitalA')!.node.privateKey;
    const entry = (requester: string): AccessLogEntry => ({
      recordId: 'outbox-1',
      requester,
      purpose: 'treatment',
      channel: 'dss',
      outcome: 'allowed',
      at: Date.now(),
    });

    // A batcher that "dies" with one entry unflushed and one batch submitted, not reconciled.
    const first = new AccessLogBatcher({ node: w.node, nodeKey, outboxPath: path, flushMs: 60_000 });
    await first.start();
    first.add(entry(w.id.baker));
    const submitted = await first.flush();
    assert.ok(submitted !== undefined);
    first.add(entry(w.id.chen)); // never flushed: the flush timer is a minute away
    assert.equal(first.pending, 1);
    assert.equal((await w.node.waitForReceipt(submitted, 10_000))?.code, 'OK');

    const second = new AccessLogBatcher({ node: w.node, nodeKey, outboxPath: path, flushMs: 20 });
    try {
      await second.start();
      assert.equal(await second.settle(), 'OK');
      assert.equal(second.pending, 0);
      assert.equal(second.inFlight, 0, 'every batch reconciled with its receipt');
      const reads = logged(w, 'outbox-1').map((e) => e.requester);
      assert.deepEqual(reads.sort(), [w.id.baker, w.id.chen].sort(), 'each read once');
    } finally {
      await second.close();
      await first.close(); // its timer (a minute) would keep the process alive; nothing left to flush
    }
  } finally {
    await w.cleanup();
  }
});

test('durability: a batch the node refuses gives its entries back to the outbox (nothing is dropped)', async () => {
  const w = await makeRecordsWorld();
  try {
    const nodeKey = w.consortium.orgs.get('hospitalA')!.node.privateKey;
    const refusing = {
      org: w.node.org,
      chainId: w.node.chainId,
      halted: false,
      receipt: () => undefined,
      submit: () => Promise.reject(Object.assign(new Error('down'), { code: 'UNAVAILABLE' })),
    } as unknown as LedgerView;
    const errors: string[] = [];
    const b = new AccessLogBatcher({
      node: refusing,
      nodeKey,
      outboxPath: join(w.dir, 'outbox-refused.sqlite'),
      flushMs: 60_000,
      onError: (c) => errors.push(c),
    });
    b.add({
      recordId: 'x',
      requester: w.id.chen,
      purpose: 'treatment',
      channel: 'dss',
      outcome: 'allowed',
      at: 1,
    });
    assert.equal(await b.flush(), undefined);
    assert.deepEqual(errors, ['UNAVAILABLE']);
    assert.equal(b.pending, 1, 'the entry is back, unbatched');
    assert.equal(b.inFlight, 0);
    await b.close();
  } finally {
    await w.cleanup();
  }
});
