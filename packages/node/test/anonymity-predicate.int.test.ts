/**
 * Flow 4 of issue 5, through a real node and its HTTP API: a trial enrolment that requires a
 * zero-knowledge proof of age >= 18 at the block's date from a BBS credential, without
 * revealing the birth date. The node verifies the proof at admission and attests it with its
 * node key; the contract checks the attested request against the ledger; anyone re-verifies
 * the proof from the block.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  presentCredential,
  presentationRequestFromJson,
  presentationToJson,
} from '@medledger/crypto/credentials';
import { timeToDateNumber } from '@medledger/crypto/zk';
import { MedledgerHttpError } from '@medledger/client';
import { makeAnonLedger } from './helpers/anonymity.js';

const today = timeToDateNumber(Date.now());

test('zk predicate: an adult enrols without revealing the birth date; once per trial; a minor cannot prove the predicate', async () => {
  const a = await makeAnonLedger({
    extraMembers: [
      { label: 'adam', org: 'hospitalB', role: 'patient' },
      { label: 'tim', org: 'hospitalB', role: 'patient' },
    ],
    birthDates: { adam: 19800501, tim: today - 160_000 },
  });
  try {
    await a.submit(a.t.orgWallet('hospitalA'), 'anon.trial.register', {
      trialId: 'trial-9',
      minAge: 18,
      issuers: ['hospitalB'],
      attribute: 'birthDate',
    });
    let adam = await a.anon.requestCredential({ issuer: 'hospitalB', ...a.signer('adam') });
    const tim = await a.anon.refresh(
      'hospitalB',
      await a.anon.requestCredential({ issuer: 'hospitalB', ...a.signer('tim') }),
    );
    adam = await a.anon.refresh('hospitalB', adam);

    const r = await a.anon.enrol({ trialId: 'trial-9', issuer: 'hospitalB', held: adam, waitMs: 10_000 });
    assert.equal(r.receipt?.code, 'OK');
    const tx = a.t.node.getTxWithProof(r.txId)!.tx;
    assert.deepEqual(tx.body.signers, ['node:hospitalA'], 'attested by the node');
    const text = JSON.stringify(tx);
    assert.ok(
      !text.includes('19800501') && !text.includes(a.id('adam')),
      'neither the birth date nor the member is on the ledger',
    );
    assert.equal(
      await a.verifier.auditEnrolment(r.txId),
      true,
      'anyone re-verifies the proof from the block',
    );

    await assert.rejects(
      a.anon.enrol({ trialId: 'trial-9', issuer: 'hospitalB', held: adam }),
      (e: unknown) => e instanceof MedledgerHttpError && e.code === 'ALREADY_ENROLLED',
    );
    await assert.rejects(
      a.anon.enrol({ trialId: 'trial-9', issuer: 'hospitalB', held: tim }),
      (e: unknown) => e instanceof RangeError && /predicate on birthDate does not hold/.test(e.message),
      'a false predicate cannot be proven',
    );

    // A proof of a weaker predicate (age >= 16) answered to the node's age >= 18 challenge is refused.
    const res = await fetch(`${a.anon.baseUrl}/v1/anon/trials/trial-9/challenge`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ issuer: 'hospitalB' }),
    });
    const ch = (await res.json()) as { challengeId: string; request: { predicates: { max: number }[] } };
    const weaker = presentationRequestFromJson({
      ...ch.request,
      predicates: [{ attribute: 'birthDate', min: 0, max: today - 160_000 }],
    });
    const p = await presentCredential(tim.credential, weaker, tim.witness);
    const sent = await fetch(`${a.anon.baseUrl}/v1/anon/trials/trial-9/enrol`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ challengeId: ch.challengeId, presentation: presentationToJson(p) }),
    });
    assert.equal(sent.status, 401);
    assert.equal(((await sent.json()) as { code: string }).code, 'PRESENTATION_INVALID');
  } finally {
    await a.close();
  }
});
