/**
 * `GET /v1/txs/:id` and checkpoints read a block's transaction ids and codes from the tx index
 * (txs_in_block) instead of parsing the block: the list must be the block's exactly, or the
 * proofs would not verify and a checkpoint's codes root would differ from other nodes'.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HashTag, hashTagged, toHex, utf8 } from '@medledger/crypto';
import {
  codeProofOfText,
  codesRootOf,
  txIdOf,
  txInclusionProofOfIds,
  verifyCodeProof,
  verifyTxInclusion,
} from '@medledger/core';
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
      const inputs = t.node.store.blockIndex.checkpointInputs(h)!;
      assert.equal(inputs.codesRoot, codesRootOf(fromIndex.ids, b.result.codes));
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

test('block index: a block of 300 transactions (a multi-byte character in one) is served from its stored run heads and offsets, with the proofs of the whole block; without its row, or with a row moved, the slower way gives the same; a tampered head is refused; opening the node restores missing rows, and passes over a damaged block', async () => {
  const t = await makeTestLedger({ nodeOrgs: ['hospitalA'], timeoutMs: 1000 });
  try {
    await enrollAll(t);
    const txs = Array.from({ length: 300 }, (_, i) =>
      i === 150
        ? // A transaction whose text has multi-byte characters (refused: there is no such record,
          // but it is in the block with its code).
          t.wallet('alice').tx({
            chainId: t.node.chainId,
            type: 'record.erase',
            payload: { recordId: 'nowhere', reason: 'zurückgezogen — é' },
            createdAt: Date.now(),
          })
        : t.wallet('alice').tx({
            chainId: t.node.chainId,
            type: 'record.anchor',
            payload: { recordId: `idx-${i}`, hash: toHex(hashTagged(HashTag.record, utf8(`b-${i}`))) },
            createdAt: Date.now(),
          }),
    );
    await Promise.all(txs.map((tx) => t.node.submit(tx)));
    for (const [i, tx] of txs.entries())
      assert.equal(
        (await t.node.waitForReceipt(txIdOf(tx.body), 10_000))?.code,
        i === 150 ? 'UNKNOWN_RECORD' : 'OK',
      );
    const h = t.node.getTxWithProof(txIdOf(txs[150]!.body))!.header.height;
    const b = t.node.store.getBlock(h)!;
    assert.ok(b.block.txs.length > 100, `one big block (${b.block.txs.length} transactions)`);
    const ids = b.block.txs.map((x) => txIdOf(x.body));
    const row = t.node.store.db
      .prepare('SELECT run, length(tx_heads) AS n FROM block_index WHERE height = ?')
      .get(h) as { run: number; n: number } | undefined;
    assert.deepEqual(row, { run: 16, n: 32 * Math.ceil(ids.length / 16) });
    const serveAll = () =>
      ids.map((id, i) => {
        const p = t.node.store.blockIndex.txWithProof(h, i)!;
        return {
          tx: p.tx,
          header: p.header,
          sig: p.proposerSig,
          proof: p.proof,
          code: t.node.store.blockIndex.codeProof(h, i),
          id,
        };
      });
    const fromIndex = serveAll();
    const root = t.node.store.blockIndex.checkpointInputs(h)!.codesRoot;
    assert.equal(root, codesRootOf(ids, b.result.codes));
    for (const [i, p] of fromIndex.entries()) {
      // The transaction cut out by byte offset is the block's, past the multi-byte character.
      assert.deepEqual(p.tx, b.block.txs[i]);
      assert.deepEqual(p.header, b.block.header);
      assert.equal(p.sig, b.block.proposerSig);
      assert.deepEqual(p.proof, txInclusionProofOfIds(h, ids, i));
      assert.deepEqual(p.code, codeProofOfText(ids, b.result.codes, i));
      assert.ok(
        verifyTxInclusion({ tx: p.tx, proof: p.proof, header: p.header, trusted: { headerHash: b.hash } }),
      );
      assert.ok(verifyCodeProof(root, p.id, p.code));
    }
    // A row of the tx index moved to a later block: that run is read from the block's bytes.
    t.node.store.db.prepare('DELETE FROM txs WHERE id = ?').run(ids[40]!);
    assert.deepEqual(t.node.store.blockIndex.txWithProof(h, 41)!.proof, fromIndex[41]!.proof);
    assert.deepEqual(t.node.store.blockIndex.codeProof(h, 41), fromIndex[41]!.code);
    // A tampered stored head: the run's ids no longer hash to it, and the proof is refused.
    const heads = t.node.store.db
      .prepare('SELECT tx_heads FROM block_index WHERE height = ?')
      .pluck()
      .get(h) as Buffer;
    const bad = Buffer.from(heads);
    bad[32 * 5] = bad[32 * 5]! ^ 1;
    t.node.store.db.prepare('UPDATE block_index SET tx_heads = ? WHERE height = ?').run(bad, h);
    assert.throws(() => t.node.store.blockIndex.txWithProof(h, 5 * 16 + 3), /do not match its head/);
    // A block stored before the index existed (no row): the slower way, the same answers.
    t.node.store.db.prepare('DELETE FROM block_index WHERE height = ?').run(h);
    const old = serveAll();
    assert.deepEqual(old, fromIndex);
    assert.equal(t.node.store.blockIndex.checkpointInputs(h)!.codesRoot, root);
    // Opening the node gives every block without a row (a ledger from before the table) its row,
    // as its commit writes it; the tampered row was deleted above, so this one is the block's.
    const rowsOf = () =>
      t.node.store.db.prepare('SELECT * FROM block_index ORDER BY height').all() as { height: number }[];
    const untouched = rowsOf().filter((r) => r.height !== h);
    t.node.store.db.prepare('DELETE FROM block_index').run();
    await t.reopen();
    const back = rowsOf();
    assert.deepEqual(
      back.filter((r) => r.height !== h),
      untouched,
    );
    assert.ok(back.some((r) => r.height === h));
    assert.deepEqual(t.node.store.blockIndex.txWithProof(h, 150)!.proof, fromIndex[150]!.proof);
    assert.deepEqual(t.node.store.blockIndex.codeProof(h, 150), fromIndex[150]!.code);
    // A damaged block (bytes that do not parse) gets no row, and the node still opens and
    // indexes the others.
    assert.ok(h > 1, 'the enrollments are in an earlier block');
    t.node.store.db.prepare('DELETE FROM block_index').run();
    const data = t.node.store.db.prepare('SELECT data FROM blocks WHERE height = 1').pluck().get() as Buffer;
    t.node.store.db.prepare('UPDATE blocks SET data = ? WHERE height = 1').run(Buffer.from('{"damaged":'));
    await t.reopen();
    assert.deepEqual(
      rowsOf().map((r) => r.height),
      back.map((r) => r.height).filter((x) => x !== 1),
    );
    t.node.store.db.prepare('UPDATE blocks SET data = ? WHERE height = 1').run(data);
  } finally {
    await t.cleanup();
  }
});
