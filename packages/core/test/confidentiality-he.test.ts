/**
 * Encrypted expenses (Paillier): hospitals post items under the patient's key, the insurer's
 * claim is summed by the contract under consent, minimum size and disjointness rules, and only
 * the patient's key holder releases the total, sealed to the insurer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { envelopeToJson, fromB64u, sealEnvelope, toB64u, utf8, type JsonValue } from '@medledger/crypto';
import { EncryptedAmount, createHeKeyPair, heDecrypt, heEncrypt } from '@medledger/crypto/he';
import type { SignedTx } from '../src/index.js';
import { cworld, grantTx } from './confidentiality-world.js';

test('he: the insurer’s claim is summed on the ledger; items are never decrypted, claimed once, at least two', async () => {
  const w = await cworld();
  const { publicKey, secretKey } = await createHeKeyPair();
  const expense = (id: string, cents: number, by = w.baker): SignedTx =>
    w.tx(by, 'he.expense', {
      expenseId: id,
      patient: w.bob.id,
      amount: toB64u(heEncrypt(publicKey, cents).toBytes()),
    });
  assert.deepEqual(w.run(expense('e-0', 1)), ['NO_HE_KEY']);
  assert.deepEqual(
    w.run(w.tx(w.bob, 'keys.publish', { he: toB64u(publicKey.toBytes()), heHolder: 'gpclinic' })),
    ['OK'],
  );
  assert.deepEqual(w.run(expense('e-x', 1, w.claims)), ['UNAUTHORIZED'], 'insurers do not post expenses');
  assert.deepEqual(w.run(expense('e-x', 1, w.bob)), ['UNAUTHORIZED']);
  const foreign = w.tx(w.baker, 'he.expense', {
    expenseId: 'e-f',
    patient: w.bob.id,
    amount: toB64u(new EncryptedAmount(publicKey.n2, 1).toBytes()),
  });
  assert.deepEqual(w.run(foreign), ['INVALID_PAYLOAD'], 'out of range for the patient key');
  assert.deepEqual(w.run(expense('e-1', 12_550), expense('e-2', 9_900, w.gp), expense('e-3', 40_000)), [
    'OK',
    'OK',
    'OK',
  ]);
  const claim = (id: string, ids: string[]): SignedTx =>
    w.tx(w.claims, 'he.claim', { claimId: id, patient: w.bob.id, expenseIds: ids });
  assert.deepEqual(w.run(claim('c-1', ['e-1', 'e-2'])), ['CLAIM_NOT_PERMITTED'], 'no consent yet');
  assert.deepEqual(
    w.run(
      grantTx(w, 'g-pay', { kind: 'role', org: 'insurer', role: 'insurer' }, { categories: ['billing'] }, [
        'payment',
      ]),
    ),
    ['OK'],
  );
  assert.deepEqual(w.run(claim('c-0', ['e-1'])), ['TOO_FEW_TERMS'], 'a one-item total is the item');
  assert.deepEqual(w.run(claim('c-1', ['e-1', 'e-2'])), ['OK']);
  assert.deepEqual(w.run(claim('c-2', ['e-2', 'e-3'])), ['EXPENSE_CLAIMED'], 'no differencing of two totals');
  const c = w.state<{ aggregate: string; count: number; status: string; insurer: string }>('he:claim:c-1');
  assert.equal(c.count, 2);
  assert.equal(heDecrypt(secretKey, EncryptedAmount.fromBytes(fromB64u(c.aggregate))), 22_450n);
  // Release: only the key holder (patient or the custodian's node), sealed to the insurer.
  const sealed = envelopeToJson(
    await sealEnvelope({
      plaintext: utf8('{"total":"22450"}'),
      receivers: [{ id: w.claims.id, publicKey: w.enc.get(w.claims.id)!.publicKey }],
      aad: utf8('he-total:c-1'),
    }),
  );
  assert.deepEqual(w.run(w.tx(w.claims, 'he.total', { claimId: 'c-1', sealed: sealed as never })), [
    'UNAUTHORIZED',
  ]);
  assert.deepEqual(w.run(w.tx('node:hospitalA', 'he.total', { claimId: 'c-1', sealed: sealed as never })), [
    'UNAUTHORIZED',
  ]);
  const toOther = envelopeToJson(
    await sealEnvelope({
      plaintext: utf8('{}'),
      receivers: [{ id: w.baker.id, publicKey: w.enc.get(w.baker.id)!.publicKey }],
      aad: utf8('he-total:c-1'),
    }),
  );
  assert.deepEqual(w.run(w.tx('node:gpclinic', 'he.total', { claimId: 'c-1', sealed: toOther as never })), [
    'INVALID_PAYLOAD',
  ]);
  // An envelope the insurer could not open is refused (found by the fuzzer).
  const s = sealed as unknown as { [k: string]: JsonValue };
  for (const [what, bad] of [
    ['a padded nonce', { ...s, nonce: `${s.nonce as string}=` }],
    ['another suite', { ...s, suite: 'none' }],
    ['a ciphertext that is no base64url', { ...s, ciphertext: `+${(s.ciphertext as string).slice(1)}` }],
  ] as const)
    assert.deepEqual(
      w.run(w.tx('node:gpclinic', 'he.total', { claimId: 'c-1', sealed: bad as never })),
      ['INVALID_PAYLOAD'],
      what,
    );
  assert.deepEqual(w.run(w.tx('node:gpclinic', 'he.total', { claimId: 'c-1', sealed: sealed as never })), [
    'OK',
  ]);
  assert.deepEqual(w.run(w.tx(w.bob, 'he.total', { claimId: 'c-1', sealed: sealed as never })), [
    'ALREADY_RELEASED',
  ]);
});
