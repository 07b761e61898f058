/**
 * The committed-transaction feed (supply/txFeed.ts) over a real node: every transaction of the
 * chosen types, refused ones included with their code and message, in block order; a feed
 * started later catches up on the stored blocks and then sees the same sequence; close stops it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, toHex } from '@medledger/crypto';
import { followTxs, type FedTx } from '../src/supply/txFeed.js';
import { enrollAll, makeTestLedger } from './helpers/ledger.js';

test('feed: in block order, refused transactions included; a late feed catches up to the same sequence', async () => {
  const t = await makeTestLedger();
  try {
    await enrollAll(t);
    const seen: FedTx[] = [];
    const early = followTxs(t.node, ['record.anchor'], (x) => void seen.push(x));
    const anchor = (recordId: string) =>
      t.wallet('alice').tx({
        chainId: t.node.chainId,
        type: 'record.anchor',
        payload: { recordId, hash: toHex(randomBytes(32)) },
        createdAt: Date.now(),
      });
    for (const id of ['a-1', 'a-2', 'a-1', 'a-3']) {
      const r = await t.node.submit(anchor(id));
      await t.node.waitForReceipt(r.txId, 10_000);
    }
    await early.idle();
    assert.deepEqual(
      seen.map((x) => [x.tx.body.payload.recordId, x.code]),
      [
        ['a-1', 'OK'],
        ['a-2', 'OK'],
        ['a-1', 'RECORD_EXISTS'],
        ['a-3', 'OK'],
      ],
    );
    assert.match(seen[2]!.message ?? '', /already anchored/);
    assert.ok(seen.every((x, i) => i === 0 || x.height >= seen[i - 1]!.height));
    const late: FedTx[] = [];
    const feed = followTxs(t.node, ['record.anchor'], (x) => void late.push(x));
    await feed.idle();
    assert.deepEqual(
      late.map((x) => x.txId),
      seen.map((x) => x.txId),
    );
    early.close();
    const r = await t.node.submit(anchor('a-4'));
    await t.node.waitForReceipt(r.txId, 10_000);
    await feed.idle();
    assert.equal(late.at(-1)!.tx.body.payload.recordId, 'a-4', 'the running feed follows new blocks');
    assert.equal(seen.length, 4, 'a closed feed gets nothing more');
    feed.close();
  } finally {
    await t.cleanup();
  }
});
