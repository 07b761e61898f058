/**
 * The `ledgerProofCheck` part of `medledger bench anonymity` at its smallest size: it times
 * real checks of valid proofs (a refused one would throw) and reports its fields.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benchLedgerProofCheck } from '../src/bench/anonymityLedger.js';

interface Stat {
  median: number;
  p99: number;
  n: number;
}

test('bench anonymity: ledgerProofCheck times the enrolment and read-log checks and a block of them', async () => {
  const r = (await benchLedgerProofCheck(1, 1)) as {
    enrolCheck: Stat;
    readLogCheck: Stat;
    maxPerSecond: { enrol: number; readLog: number };
    block: { txs: number; proofStepMs: number; blocksPerSecond: number };
  };
  for (const s of [r.enrolCheck, r.readLogCheck]) {
    assert.equal(s.n, 1);
    assert.ok(s.median > 1, 'a real WASM verification takes milliseconds');
    assert.ok(s.p99 >= s.median);
  }
  assert.ok(Math.abs(r.maxPerSecond.enrol - 1000 / r.enrolCheck.median) < 0.01);
  assert.equal(r.block.txs, 1);
  assert.ok(r.block.proofStepMs > 1, 'the block step runs the real check');
  assert.ok(r.block.blocksPerSecond > 0);
});
