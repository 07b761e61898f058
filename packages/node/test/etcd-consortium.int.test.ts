import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HashTag, hashTagged, toHex, utf8 } from '@medledger/crypto';
import type { SignedTx } from '@medledger/core';
import { MedledgerClient, checkTxWithProof } from '@medledger/client';
import { enrollMembers, makeTestCluster, type TestCluster } from './helpers/cluster.js';

const anchor = (t: TestCluster, label: string, recordId: string): SignedTx =>
  t.wallet(label).tx({
    chainId: t.running.get('hospitalA')!.node.chainId,
    type: 'record.anchor',
    payload: { recordId, hash: toHex(hashTagged(HashTag.record, utf8(recordId))) },
    createdAt: Date.now(),
  });

async function sameHeadEverywhere(t: TestCluster, height: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const heads = [...t.running.values()].map((r) => r.node.head());
    if (heads.every((h) => h.height >= height)) {
      const at = [...t.running.values()].map((r) => r.node.getBlock(height)!);
      assert.equal(new Set(at.map((b) => b.hash)).size, 1, `one block at height ${height}`);
      assert.equal(new Set(at.map((b) => b.stateDigest)).size, 1, `one state digest at height ${height}`);
      return;
    }
    if (Date.now() > deadline)
      throw new Error(`nodes did not reach height ${height}: ${heads.map((h) => h.height)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test(
  'consortium: three nodes ordered by etcd commit the same blocks, and every block becomes final',
  { timeout: 120_000 },
  async () => {
    const t = await makeTestCluster({ nodes: 3 });
    try {
      const a = t.running.get('hospitalA')!;
      await enrollMembers(t, a);
      // Transactions admitted by different nodes end up in one ledger.
      const txs = t.orgs.map((org, i) => ({ org, tx: anchor(t, i % 2 ? 'bob' : 'alice', `r-${org}`) }));
      const results = await Promise.all(txs.map(({ org, tx }) => t.running.get(org)!.node.submit(tx)));
      const receipts = await Promise.all(
        results.map((r, i) => t.running.get(txs[i]!.org)!.node.waitForReceipt(r.txId, 20_000)),
      );
      for (const r of receipts) assert.equal(r?.code, 'OK');
      const top = Math.max(...receipts.map((r) => r!.height));
      await sameHeadEverywhere(t, top);
      // Each node sees every transaction, whichever node admitted it.
      for (const r of t.running.values())
        for (const x of results) assert.equal(r.node.receipt(x.txId)?.code, 'OK');
      // Checkpoints: a quorum of the three nodes signs each height.
      for (const r of t.running.values()) assert.equal(await r.checkpoints.waitFinal(top, 10_000), true);
      const cp = t.running.get('gpclinic')!.checkpoints.checkpointAt(top)!;
      assert.equal(cp.final, true);
      assert.ok(cp.signatures.length >= 2);
    } finally {
      await t.cleanup();
    }
  },
);

test(
  'light client: accepts only under a quorum checkpoint; refuses one node’s signature alone and an invalid transaction',
  { timeout: 120_000 },
  async () => {
    const t = await makeTestCluster({ nodes: 3 });
    try {
      const a = t.running.get('hospitalA')!;
      await enrollMembers(t, a);
      const ok = await a.node.submit(anchor(t, 'alice', 'lc-1'));
      const again = await a.node.submit(anchor(t, 'alice', 'lc-1')); // same record id: RECORD_EXISTS
      const [r1, r2] = await Promise.all([
        a.node.waitForReceipt(ok.txId, 20_000),
        a.node.waitForReceipt(again.txId, 20_000),
      ]);
      assert.equal(r1?.code, 'OK');
      assert.equal(r2?.code, 'RECORD_EXISTS');
      const client = new MedledgerClient(t.running.get('hospitalB')!.url, {
        signerId: t.wallet('bob').signerId,
        privateKey: t.consortium.members.find((m) => m.spec.label === 'bob')!.keys.privateKey,
      });
      const genesis = await client.genesis();
      const good = await client.getTx(ok.txId, { finalWaitMs: 10_000 });
      const accepted = checkTxWithProof(good, genesis);
      assert.equal(accepted.ok, true, JSON.stringify(accepted));
      assert.ok(accepted.ok && accepted.signers.length >= 2);
      // One node's signature alone is not a quorum of three. (Any one of those served: the
      // proposer's own may not be among them, when the other two made the block final first.)
      const alone = {
        ...good,
        checkpoint: { ...good.checkpoint!, signatures: good.checkpoint!.signatures.slice(0, 1) },
      };
      assert.match((checkTxWithProof(alone, genesis) as { reason: string }).reason, /not final: 1 of the 2/);
      // The same signature counted twice is still one.
      const twice = {
        ...alone,
        checkpoint: {
          ...alone.checkpoint,
          signatures: [...alone.checkpoint.signatures, ...alone.checkpoint.signatures],
        },
      };
      assert.equal(checkTxWithProof(twice, genesis).ok, false);
      // An invalid transaction is refused, even with a quorum behind its block.
      const bad = await client.getTx(again.txId, { finalWaitMs: 10_000 });
      assert.match((checkTxWithProof(bad, genesis) as { reason: string }).reason, /invalid: RECORD_EXISTS/);
      // ...and claiming OK for it does not verify under the codes root.
      const forged = {
        ...bad,
        receipt: { ...bad.receipt, code: 'OK' },
        codeProof: { ...bad.codeProof!, code: 'OK' },
      };
      assert.match(
        (checkTxWithProof(forged, genesis) as { reason: string }).reason,
        /validity code does not verify/,
      );
    } finally {
      await t.cleanup();
    }
  },
);
