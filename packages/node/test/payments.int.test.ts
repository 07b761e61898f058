/**
 * Payments through a real node over HTTP (issue 16 §3): a provider claims for services it
 * recorded on the ledger, each priced by an encrypted expense; the payer obtains only the total
 * (the patient's key holder releases it, sealed) and adjudicates; payments by the payer and the
 * patient; a dispute opened and resolved; one statement, the same for provider, payer and
 * patient. Refused: a claim for a service the provider never recorded, a service claimed twice,
 * an adjudication by a payer the patient has no coverage with, a misstated total, a claim paid
 * twice, an overpayment.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalize, randomBytes, toHex } from '@medledger/crypto';
import { createHeKeyPair, type HeSecretKey } from '@medledger/crypto/he';
import {
  adjudicateTx,
  assembleTx,
  claimTx,
  coverageBody,
  deriveStatement,
  expenseTx,
  openClaimOpening,
  openDisputeTx,
  patientPaymentTx,
  payerPaymentTx,
  publishKeysTx,
  resolveDisputeTx,
  submitClaimTx,
} from '@medledger/client';
import type { ClaimEntry } from '@medledger/core/contracts/payments';
import { HeCustodianService } from '../src/confidentiality/heCustodian.js';
import { validateFhirRecord, validateFhirResource } from '../src/records/fhir.js';
import { httpCode, makeRxWorld, until, type Json, type Label, type RxWorld } from './helpers/rx.js';

let w: RxWorld;
let custodian: HeCustodianService;
let sk: HeSecretKey;
let chain: string | null = null;
const DAY = 86_400_000;

/** A service as the provider records it: an SPV record (commitment on the ledger). */
async function record(
  by: 'drA' | 'drB',
  recordId: string,
  resourceType: string,
  category: string,
): Promise<void> {
  const holder = by === 'drA' ? 'hospital' : 'clinic';
  const r = await w.commit(
    w.ctx(by).wallet.tx({
      chainId: w.node.chainId,
      type: 'record.spv',
      payload: {
        recordId,
        patient: w.id('pat'),
        subject: `ep-${recordId}`,
        category,
        resourceType,
        responsible: [w.id(by)],
        k: 1,
        prev: chain,
        commitment: toHex(randomBytes(32)),
        holder,
      },
      createdAt: Date.now(),
    }),
  );
  assert.equal(r.code, 'OK', r.message);
  chain = (w.node.stateValue(`record:${recordId}`) as { txId: string }).txId;
}

const expense = async (by: Label, expenseId: string, cents: number): Promise<void> => {
  const tx = await expenseTx(w.ctx(by), w.source(by), { expenseId, patient: w.id('pat'), cents });
  assert.equal((await w.commit(tx)).code, 'OK');
};
const claimOf = (id: string): ClaimEntry => w.node.stateValue(`pay:claim:${id}`) as ClaimEntry;

before(async () => {
  w = await makeRxWorld();
  const kp = await createHeKeyPair();
  sk = kp.secretKey;
  custodian = new HeCustodianService(w.node, w.consortium.orgs.get('hospital')!.node.privateKey).start();
  custodian.hold(w.id('pat'), sk);
  const pat = w.ctx('pat');
  assert.equal((await w.commit(publishKeysTx(pat, { he: kp.publicKey, heHolder: 'hospital' }))).code, 'OK');
  const team = pat.wallet.tx({
    chainId: w.node.chainId,
    type: 'patient.careteam',
    payload: { add: [w.id('drA'), w.id('drB')], remove: [] },
    createdAt: Date.now(),
  });
  assert.equal((await w.commit(team)).code, 'OK');
  const now = Date.now();
  const grant = pat.wallet.tx({
    chainId: w.node.chainId,
    type: 'consent.grant',
    payload: {
      grantId: 'g-insurer-pay',
      grantee: { kind: 'org', org: 'insurer' },
      scope: { categories: ['billing'] },
      purposes: ['payment'],
      notBefore: now - 60_000,
      notAfter: now + 30 * DAY,
    },
    createdAt: now,
  });
  assert.equal((await w.commit(grant)).code, 'OK');
  await record('drA', 'visit-1', 'Encounter', 'clinical');
  await record('drA', 'lab-1', 'Observation', 'lab');
  await record('drB', 'clinic-visit', 'Encounter', 'clinical');
  await expense('billing', 'e-visit', 150_00);
  await expense('billing', 'e-lab', 75_50);
  await expense('drB', 'e-clinic', 40_00);
  const body = coverageBody(w.ctx('claims'), {
    coverageId: 'cov-1',
    patient: w.id('pat'),
    payer: 'insurer',
    start: now - DAY,
    end: now + 365 * DAY,
    copayCents: 20_00,
    coinsurancePct: 20,
  });
  const onlyPayer = assembleTx(body, [w.wallet('claims').signature(body)]);
  await assert.rejects(w.commit(onlyPayer), httpCode('MALFORMED_TX'), 'the patient must co-sign');
  assert.equal(
    (await w.commit(assembleTx(body, [w.wallet('claims').signature(body), w.wallet('pat').signature(body)])))
      .code,
    'OK',
  );
});
after(async () => {
  custodian.stop();
  await w.cleanup();
});

test('claims: refused for a service the provider never recorded, or recorded by another provider, or already claimed', async () => {
  const api = w.payments('billing');
  const claim = (claimId: string, items: { recordId: string; expenseId: string }[]) =>
    api.submitClaim(
      submitClaimTx(w.ctx('billing'), { claimId, patient: w.id('pat'), coverageId: 'cov-1', items }),
    );
  assert.equal(
    (await claim('cl-0', [{ recordId: 'never-recorded', expenseId: 'e-visit' }])).receipt.code,
    'UNRECORDED_SERVICE',
  );
  assert.equal(
    (await claim('cl-0', [{ recordId: 'clinic-visit', expenseId: 'e-visit' }])).receipt.code,
    'UNRECORDED_SERVICE',
  );
  assert.equal(
    (await claim('cl-0', [{ recordId: 'visit-1', expenseId: 'e-clinic' }])).receipt.code,
    'UNKNOWN_EXPENSE',
  );
  assert.equal(
    (await claim('cl-0', [{ recordId: 'visit-1', expenseId: 'e-visit' }])).receipt.code,
    'TOO_FEW_ITEMS',
    'a one-item total would show the payer the item',
  );
  const ok = await claim('cl-1', [
    { recordId: 'visit-1', expenseId: 'e-visit' },
    { recordId: 'lab-1', expenseId: 'e-lab' },
  ]);
  assert.equal(ok.receipt.code, 'OK');
  const v = validateFhirRecord(ok.resource);
  assert.ok(v.ok, JSON.stringify(v));
  assert.ok(!JSON.stringify(ok.resource).includes('150'), 'no item amount in the Claim');
  assert.equal(
    (await claim('cl-2', [{ recordId: 'visit-1', expenseId: 'e-visit' }])).receipt.code,
    'SERVICE_ALREADY_CLAIMED',
  );
});

test('adjudication: only the covering payer, and only with the true total of the encrypted items', async () => {
  // The payer asks for the total of the claim's expenses; the patient's key holder releases it sealed to it.
  assert.equal(
    (
      await w.commit(
        claimTx(w.ctx('claims'), {
          claimId: 'he-cl-1',
          patient: w.id('pat'),
          expenseIds: ['e-visit', 'e-lab'],
        }),
      )
    ).code,
    'OK',
  );
  await until(
    () => (w.node.stateValue('he:claim:he-cl-1') as { status: string }).status === 'released',
    'the release',
  );
  const { total, r } = await openClaimOpening(w.source('claims'), 'he-cl-1', {
    id: w.id('claims'),
    privateKey: w.member('claims').encryption.privateKey,
  });
  assert.equal(total, 225_50);
  const adj = (by: 'claims' | 'claims2', t: number, approved: number) =>
    w
      .payments(by)
      .adjudicate(adjudicateTx(w.ctx(by), { claimId: 'cl-1', heClaimId: 'he-cl-1', total: t, r, approved }));
  assert.equal((await adj('claims2', total, total)).receipt.code, 'NO_COVERAGE');
  assert.equal(
    (await adj('claims', total - 100_00, 100_00)).receipt.code,
    'TOTAL_MISMATCH',
    'an understated total',
  );
  const ok = await adj('claims', total, 200_00);
  assert.equal(ok.receipt.code, 'OK');
  const v = validateFhirResource(ok.resource, 'ClaimResponse');
  assert.ok(v.ok, JSON.stringify(v));
  // copay 20.00, coinsurance 20%: the payer pays (200.00 − 20.00) × 80% = 144.00; the patient the rest of 225.50
  assert.deepEqual(
    [claimOf('cl-1').adjudication!.payerAmount, claimOf('cl-1').adjudication!.patientShare],
    [144_00, 81_50],
  );
  assert.equal((await adj('claims', total, 200_00)).receipt.code, 'ALREADY_ADJUDICATED');
});

test('payments: the payer pays exactly what it owes, once; the patient pays their share, never more', async () => {
  const pay = (id: string, amount: number) =>
    w.payments('claims').pay(payerPaymentTx(w.ctx('claims'), { paymentId: id, claimId: 'cl-1', amount }));
  const mine = (id: string, amount: number) =>
    w.payments('pat').pay(patientPaymentTx(w.ctx('pat'), { paymentId: id, claimId: 'cl-1', amount }));
  assert.equal((await pay('p-0', 100_00)).receipt.code, 'AMOUNT_MISMATCH');
  const ok = await pay('p-1', 144_00);
  assert.equal(ok.receipt.code, 'OK');
  const v = validateFhirResource(ok.resource, 'PaymentReconciliation');
  assert.ok(v.ok, JSON.stringify(v));
  assert.equal((await pay('p-2', 144_00)).receipt.code, 'CLAIM_ALREADY_PAID', 'paid twice');
  assert.equal((await pay('p-1', 144_00)).receipt.code, 'PAYMENT_EXISTS');
  assert.equal((await mine('pp-1', 50_00)).receipt.code, 'OK');
  assert.equal((await mine('pp-2', 50_00)).receipt.code, 'OVERPAYMENT', 'only 31.50 is owed');
  const wrongPayer = payerPaymentTx(w.ctx('claims2'), { paymentId: 'p-x', claimId: 'cl-1', amount: 1 });
  assert.equal((await w.payments('claims2').pay(wrongPayer)).receipt.code, 'NOT_PAYER');
});

test('disputes: opened by the patient and resolved by the payer on the ledger; the difference is then paid', async () => {
  const open = (id: string) =>
    openDisputeTx(w.ctx('pat'), {
      disputeId: id,
      claimId: 'cl-1',
      reason: 'the lab test was ordered by my doctor',
    });
  assert.equal((await w.commit(open('d-1'))).code, 'OK');
  assert.equal((await w.commit(open('d-2'))).code, 'DISPUTE_OPEN');
  const resolve = (by: 'claims' | 'claims2') =>
    resolveDisputeTx(w.ctx(by), {
      disputeId: 'd-1',
      outcome: 'upheld',
      approved: 225_50,
      note: 'medically necessary',
    });
  assert.equal((await w.commit(resolve('claims2'))).code, 'NOT_PAYER');
  assert.equal((await w.commit(resolve('claims'))).code, 'OK');
  assert.equal((await w.commit(resolve('claims'))).code, 'DISPUTE_CLOSED');
  // now (225.50 − 20.00) × 80% = 164.40 is owed by the payer: 20.40 more
  const more = await w
    .payments('claims')
    .pay(payerPaymentTx(w.ctx('claims'), { paymentId: 'p-3', claimId: 'cl-1', amount: 20_40 }));
  assert.equal(more.receipt.code, 'OK');
  assert.equal(
    (
      await w
        .payments('pat')
        .pay(patientPaymentTx(w.ctx('pat'), { paymentId: 'pp-3', claimId: 'cl-1', amount: 11_10 }))
    ).receipt.code,
    'OK',
  );
  assert.deepEqual([claimOf('cl-1').payerPaid, claimOf('cl-1').patientPaid], [164_40, 61_10]);
});

test('statement: one ExplanationOfBenefit, byte for byte the same for provider, payer and patient, and as derived from the ledger', async () => {
  const texts = await Promise.all(
    (['billing', 'claims', 'pat'] as const).map(async (l) =>
      canonicalize(await w.payments(l).statement('cl-1')),
    ),
  );
  assert.equal(new Set(texts).size, 1, 'the three parties read the same statement');
  const eob = JSON.parse(texts[0]!) as Json;
  assert.equal(
    canonicalize((await deriveStatement(w.source('pat'), 'cl-1'))!),
    texts[0],
    'and it is what the ledger says',
  );
  const v = validateFhirRecord(eob);
  assert.ok(v.ok, JSON.stringify(v));
  const totals = Object.fromEntries(
    (eob.total as { category: { coding: { code: string }[] }; amount: { value: number } }[]).map((t) => [
      t.category.coding[0]!.code,
      t.amount.value,
    ]),
  );
  assert.deepEqual(totals, {
    submitted: 225.5,
    eligible: 225.5,
    benefit: 164.4,
    'patient-share': 61.1,
    'paid-by-payer': 164.4,
    'paid-by-patient': 61.1,
    'patient-balance': 0,
  });
  assert.match(JSON.stringify(eob.processNote), /upheld/);
  for (const item of eob.item as Json[])
    assert.deepEqual(
      Object.keys(item).sort(),
      ['informationSequence', 'productOrService', 'sequence'],
      'items carry no amount',
    );
  for (const l of ['drB', 'claims2', 'ph1'] as const)
    await assert.rejects(w.payments(l).statement('cl-1'), httpCode('FORBIDDEN'));
  const response = validateFhirResource(await w.payments('pat').claimResponse('cl-1'), 'ClaimResponse');
  assert.ok(response.ok);
  const recon = validateFhirResource(
    await w.payments('billing').paymentReconciliation('p-3'),
    'PaymentReconciliation',
  );
  assert.ok(recon.ok);
});
