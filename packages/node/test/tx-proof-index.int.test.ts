/**
 * `GET /v1/txs/:id` and checkpoints read a block's transaction ids and codes from the tx index
 * (txs_in_block) instead of parsing the block: the list must be the block's exactly, or the
 * proofs would not verify and a checkpoint's codes root would differ from other nodes'.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HashTag, hashTagged, toHex, utf8 } from '@medledger/crypto';
import { codesRootOf, txIdOf, verifyTxInclusion } from '@medledger/core';
import { enrollAll, makeTestLedger } from './helpers/ledger.js';

test('tx index by block: every block’s ids and codes are its own, in order; proofs from them verify; a block missing a row (a moved transaction) is read from its bytes', async () => {
  const t = await makeTestLedger({ nodeOrgs: ['hospitalA'] });
  try {
    await enrollAll(t);
    const txs = Array.from({ length: 23 }, (_, i) =>
      t.wallet('alice').tx({
        chainId: t.node.chainId,
        type: 'record.anchor',
        payload: { recordId: `idx-${i}`, hash: toHex(hashTagged(HashTag.record, utf8(`idx-${i}`))) },
        createdAt: Date.now(),
      }),
    );
    for (const tx of txs) await t.node.submit(tx);
    for (const tx of txs) assert.equal((await t.node.waitForReceipt(txIdOf(tx.body), 10_000))?.code, 'OK');
    const height = t.node.head().height;
    for (let h = 1; h <= height; h++) {
      const b = t.node.store.getBlock(h)!;
      const fromIndex = t.node.store.blockTxIds(h);
      assert.deepEqual(
        fromIndex.ids,
        b.block.txs.map((x) => txIdOf(x.body)),
        `ids of block ${h}`,
      );
      assert.deepEqual(fromIndex.codes, b.result.codes, `codes of block ${h}`);
      const inputs = t.node.checkpointInputs(h)!;
      assert.equal(codesRootOf(inputs.txIds, inputs.codes), codesRootOf(fromIndex.ids, b.result.codes));
      assert.equal(inputs.stateDigest, b.result.stateDigest);
      assert.equal(inputs.hash, b.hash);
    }
    for (const tx of txs) {
      const p = t.node.getTxWithProof(txIdOf(tx.body))!;
      assert.deepEqual(p.tx, tx);
      assert.ok(
        verifyTxInclusion({
          tx: p.tx,
          proof: p.proof,
          header: p.header,
          trusted: { headerHash: t.node.store.getBlockHash(p.header.height)! },
        }),
      );
      // Another transaction's bytes do not verify under this proof.
      const other = txs.find((x) => x !== tx)!;
      assert.equal(
        verifyTxInclusion({
          tx: other,
          proof: p.proof,
          header: p.header,
          trusted: { headerHash: t.node.store.getBlockHash(p.header.height)! },
        }),
        false,
      );
    }
    // A block whose index lost a row (its transaction moved to a later block) is read whole.
    const h = t.node.getTxWithProof(txIdOf(txs[0]!.body))!.header.height;
    const b = t.node.store.getBlock(h)!;
    t.node.store.db.prepare('DELETE FROM txs WHERE id = ?').run(txIdOf(b.block.txs[0]!.body));
    assert.deepEqual(
      t.node.store.blockTxIds(h).ids,
      b.block.txs.map((x) => txIdOf(x.body)),
    );
  } finally {
    await t.cleanup();
  }
});
