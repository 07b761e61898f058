/**
 * One transaction, one outcome, forever: a transaction whose signatures verify commits once,
 * whatever its validity code, so a refused transaction cannot be revived later when the state
 * would let it through. A copy that fails before its signatures are checked (bad signature,
 * unknown signer, expired) does not count: nobody can block a transaction by racing a badly
 * signed copy of it into a block first.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromB64u, toB64u } from '@medledger/crypto';
import { countsAsCommitted, type SignedTx } from '../src/index.js';
import { MemChain, T0, enrollTx, makeFixture, makeTx, type Fixture, type Member } from './fixtures.js';

const revokeTx = (f: Fixture, m: Member, at: number): SignedTx =>
  makeTx(
    f.chainId,
    'registry.revoke',
    { memberId: m.id, reason: 'left' },
    [['org:hospitalA', f.orgs.hospitalA!.root.privateKey]],
    at,
  );

test('security: a transaction refused with a contract code is a duplicate forever, in the same block and later', async () => {
  const f = await makeFixture();
  const c = new MemChain(f);
  const carol = await f.member('hospitalA', 'nurse', 'carol');
  const dave = await f.member('hospitalA', 'nurse', 'dave');
  // Revoking a member not yet enrolled is refused; once she is enrolled the same signed
  // revocation must not come back to life.
  const early = revokeTx(f, carol, T0);
  assert.deepEqual(c.commit([early], T0 + 1), ['UNKNOWN_MEMBER']);
  assert.deepEqual(c.commit([enrollTx(f, 'hospitalA', carol, T0 + 1)], T0 + 2), ['OK']);
  assert.deepEqual(c.commit([early], T0 + 3), ['DUPLICATE_TX'], 'replayed in a later block');
  assert.equal((c.state.get(`member:${carol.id}`) as { revokedAt?: number }).revokedAt, undefined);
  // In one block: refused, then enrolled, then replayed.
  const inOne = revokeTx(f, dave, T0 + 4);
  assert.deepEqual(c.commit([inOne, enrollTx(f, 'hospitalA', dave, T0 + 4), inOne], T0 + 5), [
    'UNKNOWN_MEMBER',
    'OK',
    'DUPLICATE_TX',
  ]);
});

test('security: a badly signed copy does not use up the transaction', async () => {
  const f = await makeFixture();
  const c = new MemChain(f);
  const carol = await f.member('hospitalA', 'nurse', 'carol');
  assert.deepEqual(c.commit([enrollTx(f, 'hospitalA', carol, T0)], T0 + 1), ['OK']);
  const tx = revokeTx(f, carol, T0 + 1);
  const sig = fromB64u(tx.signatures[0]!.sig);
  sig[10] = sig[10]! ^ 1;
  const forged: SignedTx = { body: tx.body, signatures: [{ ...tx.signatures[0]!, sig: toB64u(sig) }] };
  assert.deepEqual(c.commit([forged], T0 + 2), ['BAD_SIGNATURE']);
  assert.deepEqual(c.commit([tx], T0 + 3), ['OK'], 'the genuine transaction still commits');
});

test('rule: which validity codes use up a transaction', () => {
  for (const code of ['OK', 'UNKNOWN_MEMBER', 'INVALID_PAYLOAD', 'UNKNOWN_TYPE', 'QUORUM_NOT_MET'])
    assert.equal(countsAsCommitted(code), true, code);
  for (const code of [
    'WRONG_CHAIN',
    'TX_EXPIRED',
    'TX_FROM_FUTURE',
    'DUPLICATE_TX',
    'UNKNOWN_SIGNER',
    'ORG_REMOVED',
    'SIGNER_REVOKED',
    'CERT_NOT_VALID',
    'BAD_SIGNATURE',
  ])
    assert.equal(countsAsCommitted(code), false, code);
});
