import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex, randomBytes, generateP256KeyPair } from '@medledger/crypto';
import fc from 'fast-check';
import {
  blockHashOf,
  codeProofOf,
  codesRootOf,
  txInclusionProof,
  verifyCodeProof,
  verifyTxInclusion,
} from '../src/index.js';
import { MemChain, T0, enrollTx, makeFixture, makeTx } from './fixtures.js';

test('rfc6962: a transaction inclusion proof verifies from the header alone; a modified proof or header fails', async () => {
  const f = await makeFixture();
  const c = new MemChain(f);
  const a = await f.member('hospitalA', 'doctor', 'a');
  c.commit([enrollTx(f, 'hospitalA', a, T0)], T0 + 1);
  const txs = Array.from({ length: 13 }, (_, i) =>
    makeTx(
      f.chainId,
      'record.anchor',
      { recordId: `r${i}`, hash: toHex(randomBytes(32)) },
      [[a.id, a.keys.privateKey]],
      T0 + 2,
    ),
  );
  const block = c.makeBlock(txs, T0 + 3);
  c.apply(block);
  const nodeKey = f.orgs.hospitalA!.node.publicKey;
  for (let i = 0; i < txs.length; i++) {
    const proof = txInclusionProof(block, i);
    assert.ok(
      verifyTxInclusion({
        tx: txs[i]!,
        proof,
        header: block.header,
        trusted: { proposerSig: block.proposerSig, proposerKey: nodeKey },
      }),
      `tx ${i}`,
    );
    assert.ok(
      verifyTxInclusion({
        tx: txs[i]!,
        proof,
        header: block.header,
        trusted: { headerHash: blockHashOf(block.header) },
      }),
    );
  }
  const proof = txInclusionProof(block, 5);
  const ok = (p: Parameters<typeof verifyTxInclusion>[0]): boolean => verifyTxInclusion(p);
  const base = {
    tx: txs[5]!,
    proof,
    header: block.header,
    trusted: { proposerSig: block.proposerSig, proposerKey: nodeKey },
  };
  assert.equal(ok({ ...base, tx: txs[6]! }), false, 'another transaction');
  assert.equal(ok({ ...base, proof: { ...proof, index: 6 } }), false, 'another index');
  const flipped = [...proof.path];
  flipped[0] = (flipped[0]![0] === 'a' ? 'b' : 'a') + flipped[0]!.slice(1);
  assert.equal(ok({ ...base, proof: { ...proof, path: flipped } }), false, 'modified path');
  assert.equal(ok({ ...base, proof: { ...proof, path: proof.path.slice(1) } }), false, 'truncated path');
  assert.equal(ok({ ...base, proof: { ...proof, path: ['zz'] } }), false, 'garbage path');
  assert.equal(
    ok({ ...base, header: { ...block.header, time: block.header.time + 1 } }),
    false,
    'modified header (signature no longer matches)',
  );
  assert.equal(
    ok({ ...base, header: { ...block.header, txRoot: toHex(randomBytes(32)) } }),
    false,
    'modified root',
  );
  assert.equal(
    ok({
      ...base,
      trusted: { proposerSig: block.proposerSig, proposerKey: generateP256KeyPair().publicKey },
    }),
    false,
    'header signed by someone else',
  );
  assert.equal(
    ok({ ...base, trusted: { headerHash: toHex(randomBytes(32)) } }),
    false,
    'untrusted header hash',
  );
});

test('rfc6962: every code proof verifies under the codes root (leaves written out as text), and a wrong code fails', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.string({ maxLength: 12 })), {
        minLength: 1,
        maxLength: 40,
      }),
      (rows) => {
        const ids = rows.map(([id]) => toHex(id));
        const codes = rows.map(([, c]) => c);
        const root = codesRootOf(ids, codes);
        for (let i = 0; i < ids.length; i++) {
          const p = codeProofOf(ids, codes, i);
          assert.ok(verifyCodeProof(root, ids[i]!, p), `leaf ${i}`);
          assert.equal(verifyCodeProof(root, ids[i]!, { ...p, code: `${p.code}X` }), false);
        }
      },
    ),
    { numRuns: 100 },
  );
});
