/**
 * The commit pipeline's state (pipeline/pendingState.ts): staged blocks shadow the durable
 * store, newest first, deletions included; transactions of staged blocks count as committed;
 * releasing drops the oldest staged block only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mapStateReader, type TxOutcome } from '@medledger/core';
import { PendingState } from '../src/pipeline/pendingState.js';

const ok = (txId: string): TxOutcome => ({ txId, code: 'OK', events: [] });
const bad = (txId: string): TxOutcome => ({ txId, code: 'BAD_SIGNATURE', events: [] });

test('pending state: staged writes shadow the store newest first; release drops the oldest', () => {
  const store = mapStateReader(
    new Map([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]),
    new Set(['t0']),
  );
  const p = new PendingState(store);
  assert.equal(p.get('a'), 1);
  p.stage(
    [
      ['a', 10],
      ['b', null],
    ],
    [ok('t1'), bad('t2')],
  ); // block h
  p.stage(
    [
      ['a', 100],
      ['d', 4],
    ],
    [ok('t3')],
  ); // block h + 1
  assert.equal(p.depth, 2);
  assert.equal(p.get('a'), 100, 'the newer block wins');
  assert.equal(p.get('b'), undefined, 'a staged deletion hides the stored value');
  assert.equal(p.get('c'), 3, 'untouched keys come from the store');
  assert.equal(p.get('d'), 4);
  assert.deepEqual(
    ['t0', 't1', 't2', 't3', 't4'].map((t) => p.hasCommittedTx(t)),
    [true, true, false, true, false],
    'valid transactions of staged blocks are committed; invalid ones are not',
  );
  p.release(); // block h is durable (the store would now hold it)
  assert.equal(p.depth, 1);
  assert.equal(p.get('a'), 100);
  assert.equal(p.get('b'), 2, 'block h is no longer staged: the store answers');
  assert.equal(p.hasCommittedTx('t1'), false);
  assert.equal(p.hasCommittedTx('t3'), true);
  p.release();
  assert.equal(p.get('a'), 1);
  assert.equal(p.get('d'), undefined);
});

test('pending state: a staged transaction refused by its contract counts as committed (the etcd cutter drops it)', () => {
  const p = new PendingState(mapStateReader(new Map()));
  p.stage([], [{ txId: 'refused', code: 'UNKNOWN_MEMBER', events: [] }, bad('forged')]);
  assert.equal(p.hasCommittedTx('refused'), true, 'its one outcome is final');
  assert.equal(p.hasCommittedTx('forged'), false, 'a badly signed copy does not use the transaction up');
});
