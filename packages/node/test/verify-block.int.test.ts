/**
 * Step 1 of a commit (pipeline/verifyBlock.ts) on a block this node did not cut: only the
 * signature objects the node itself admitted skip the pool; every other signature, including
 * an equal copy of an admitted one, is checked, and a forged or malformed one is false. A
 * header that does not follow the head, or that the proposer did not sign, is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HashTag, hashTagged, toHex, utf8 } from '@medledger/crypto';
import { signBlockHeader, txRootOf, type Block, type BlockHeader, type SignedTx } from '@medledger/core';
import { verifyBlock } from '../src/pipeline/verifyBlock.js';
import { SignaturePool, type SigItem } from '../src/sigpool/pool.js';
import { enrollAll, makeTestLedger } from './helpers/ledger.js';

test('verifyBlock: admitted signature objects skip the pool; copies, forgeries and bad encodings do not', async () => {
  const t = await makeTestLedger();
  const pool = new SignaturePool(1);
  try {
    await enrollAll(t);
    const node = t.node;
    const anchorTx = (label: string, id: string): SignedTx =>
      t.wallet(label).tx({
        chainId: node.chainId,
        type: 'record.anchor',
        payload: { recordId: id, hash: toHex(hashTagged(HashTag.record, utf8(id))) },
        createdAt: Date.now(),
      });
    const admittedTx = anchorTx('alice', 'vb-admitted');
    const copied = anchorTx('alice', 'vb-copy');
    const copy: SignedTx = { body: copied.body, signatures: copied.signatures.map((s) => ({ ...s })) };
    const other = anchorTx('bob', 'vb-other');
    const forged: SignedTx = {
      body: anchorTx('bob', 'vb-forged').body,
      signatures: other.signatures.map((s) => ({ ...s })), // bob's signature of another body
    };
    const malformed: SignedTx = {
      body: anchorTx('carol', 'vb-malformed').body,
      signatures: [{ signer: t.member('carol').memberId, sig: 'not-base64url!' }],
    };
    const txs = [admittedTx, copy, other, forged, malformed];

    const head = node.head();
    const parent = node.getBlock(head.height)!.block.header;
    const header: BlockHeader = {
      chainId: node.chainId,
      height: head.height + 1,
      prevHash: head.hash,
      txRoot: txRootOf(txs),
      stateDigest: head.stateDigest,
      time: Math.max(Date.now(), head.time),
      proposer: 'hospitalB',
      txCount: txs.length,
    };
    const nodeKey = t.consortium.orgs.get('hospitalB')!.node.privateKey;
    const block: Block = { header, txs, proposerSig: signBlockHeader(header, nodeKey) };

    const sent: SigItem[] = [];
    const spy = { verify: (items: readonly SigItem[]) => (sent.push(...items), pool.verify(items)) };
    const admittedSet = new Set(admittedTx.signatures); // what this node verified at admission
    const known = await verifyBlock(
      block,
      parent,
      head.stateDigest,
      node.store,
      spy as unknown as SignaturePool,
      admittedSet,
    );
    assert.equal(sent.length, 4, 'every signature but the admitted object went to the pool');
    assert.equal(known(admittedTx.signatures[0]!, ''), true);
    assert.equal(known(copy.signatures[0]!, ''), true, 'a copy is checked, and it is valid');
    assert.equal(known(other.signatures[0]!, ''), true);
    assert.equal(known(forged.signatures[0]!, ''), false, 'a signature of another body is false');
    assert.equal(known(malformed.signatures[0]!, ''), false, 'a malformed signature is false');

    // The header must follow the head and carry the proposer's signature.
    const relinked: Block = { ...block, header: { ...header, prevHash: '00'.repeat(32) } };
    relinked.proposerSig = signBlockHeader(relinked.header, nodeKey);
    await assert.rejects(
      verifyBlock(relinked, parent, head.stateDigest, node.store, pool, admittedSet),
      (e: Error & { code?: string }) => e.code === 'BAD_BLOCK',
    );
    const wrongKey = t.consortium.orgs.get('hospitalA')!.node.privateKey;
    const missigned: Block = { ...block, proposerSig: signBlockHeader(header, wrongKey) };
    await assert.rejects(
      verifyBlock(missigned, parent, head.stateDigest, node.store, pool, admittedSet),
      /proposer signature does not verify/,
    );
  } finally {
    await pool.close();
    await t.cleanup();
  }
});
