/**
 * One transaction, one outcome, forever (core commitRule.ts), through a real node on a real
 * SQLite file: a signed transaction refused with a contract code is a duplicate from then on,
 * at admission, in the ordering view and at apply, and still after the node restarts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toB64u } from '@medledger/crypto';
import type { MemberEntry, SignedTx } from '@medledger/core';
import { makeTestLedger, type TestLedger } from './helpers/ledger.js';

async function enroll(t: TestLedger, label: string): Promise<void> {
  const m = t.member(label);
  const r = await t.node.submit(
    t.orgWallet(m.spec.org).tx({
      chainId: t.node.chainId,
      type: 'registry.enroll',
      payload: { certificate: toB64u(m.certificate) },
      createdAt: Date.now(),
    }),
  );
  assert.equal((await t.node.waitForReceipt(r.txId, 5000))?.code, 'OK');
}

const copy = (tx: SignedTx): unknown => JSON.parse(JSON.stringify(tx));

function occurrences(t: TestLedger, tx: SignedTx): number {
  let n = 0;
  for (let h = 1; h <= t.node.head().height; h++)
    n += t.node.getBlock(h)!.block.txs.filter((x) => x.body.nonce === tx.body.nonce).length;
  return n;
}

test('security: a transaction refused with a contract code cannot be revived, before or after a restart', async () => {
  const t = await makeTestLedger();
  try {
    const carol = t.member('carol');
    // Revoking carol before she is enrolled is refused (UNKNOWN_MEMBER)...
    const revoke = t.orgWallet('hospitalA').tx({
      chainId: t.node.chainId,
      type: 'registry.revoke',
      payload: { memberId: carol.memberId, reason: 'left' },
      createdAt: Date.now(),
    });
    const first = await t.node.submit(copy(revoke));
    const refused = await t.node.waitForReceipt(first.txId, 5000);
    assert.equal(refused?.code, 'UNKNOWN_MEMBER');
    // ...and once she is, anyone who kept the signed revocation must not be able to replay it.
    await enroll(t, 'carol');
    const again = await t.node.submit(copy(revoke));
    assert.deepEqual(again, { txId: first.txId, status: 'committed', receipt: refused, duplicate: true });
    await t.reopen();
    const afterRestart = await t.node.submit(copy(revoke));
    assert.deepEqual(afterRestart, {
      txId: first.txId,
      status: 'committed',
      receipt: refused,
      duplicate: true,
    });
    const entry = t.node.stateValue(`member:${carol.memberId}`) as unknown as MemberEntry;
    assert.equal(entry.revokedAt, undefined, 'carol is not revoked');
    assert.equal(occurrences(t, revoke), 1, 'the revocation is in exactly one block');
    assert.equal(t.node.receipt(first.txId)?.code, 'UNKNOWN_MEMBER', 'its one outcome stands');
  } finally {
    await t.cleanup();
  }
});
