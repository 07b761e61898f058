/**
 * ECDSA malleability (crypto/sig.ts): (r, s) and (r, n − s) both verify under plain ECDSA.
 * The ledger accepts only the low-S form wherever it checks a P-256 signature: transaction
 * signatures, block proposer signatures and checkpoint signatures.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromB64u, toB64u } from '@medledger/crypto';
import {
  signCheckpoint,
  verifyBlockHeaderSignature,
  verifyCheckpointSignature,
  type CheckpointBody,
} from '../src/index.js';
import { MemChain, T0, enrollTx, highSForm, makeFixture, makeTx } from './fixtures.js';

const high = (sig: string): string => toB64u(highSForm(fromB64u(sig)));

test('low-S: a transaction whose signature is the high-S form of a valid one commits as BAD_SIGNATURE', async () => {
  const f = await makeFixture();
  const c = new MemChain(f);
  const a = await f.member('hospitalA', 'doctor', 'a');
  assert.deepEqual(c.commit([enrollTx(f, 'hospitalA', a, T0 + 1)], T0 + 2), ['OK']);
  const hash = 'ab'.repeat(32);
  const good = makeTx(
    f.chainId,
    'record.anchor',
    { recordId: 'g', hash },
    [[a.id, a.keys.privateKey]],
    T0 + 3,
  );
  const t = makeTx(f.chainId, 'record.anchor', { recordId: 'm', hash }, [[a.id, a.keys.privateKey]], T0 + 3);
  const malleated = { body: t.body, signatures: [{ signer: a.id, sig: high(t.signatures[0]!.sig) }] };
  assert.deepEqual(c.commit([malleated, good], T0 + 4), ['BAD_SIGNATURE', 'OK']);
});

test('low-S: block proposer and checkpoint signatures in high-S form do not verify', async () => {
  const f = await makeFixture();
  const c = new MemChain(f);
  const block = c.makeBlock([], T0 + 1);
  const nodeKeys = f.orgs[c.proposer]!.node;
  assert.ok(verifyBlockHeaderSignature(block.header, block.proposerSig, nodeKeys.publicKey));
  assert.equal(
    verifyBlockHeaderSignature(block.header, high(block.proposerSig), nodeKeys.publicKey),
    false,
    'block signature, high-S',
  );
  const body: CheckpointBody = {
    chainId: f.chainId,
    height: 1,
    blockHash: '11'.repeat(32),
    stateDigest: '22'.repeat(32),
    codesRoot: '33'.repeat(32),
  };
  const cp = signCheckpoint(body, c.proposer, nodeKeys.privateKey);
  assert.ok(verifyCheckpointSignature(body, cp.sig, nodeKeys.publicKey));
  assert.equal(
    verifyCheckpointSignature(body, high(cp.sig), nodeKeys.publicKey),
    false,
    'checkpoint, high-S',
  );
});
