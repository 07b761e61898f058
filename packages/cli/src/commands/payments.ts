/**
 * `medledger demo payments` — payments that agree for provider, payer and patient (survey
 * §7.2) on a fresh node, every step checked over HTTP: a coverage co-signed by insurer and
 * patient; services the hospital records and prices as encrypted expenses (Paillier, under the
 * patient's key held by the hospital's node); a FHIR Claim; an adjudication on the total alone,
 * checked by the ledger against the encrypted items (ClaimResponse); payments
 * (PaymentReconciliation) and the patient's share; a dispute opened and resolved; one
 * statement (ExplanationOfBenefit) identical for the three parties. Exits 1 if a check fails.
 */
import { canonicalize, fromB64u, randomBytes, sha256, toHex, utf8, type JsonValue } from '@medledger/crypto';
import { EncryptedAmount, createHeKeyPair } from '@medledger/crypto/he';
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
import type { SignedTx } from '@medledger/core';
import type { ClaimEntry } from '@medledger/core/contracts/payments';
import { HeCustodianService } from '@medledger/node';
import { openDemoConsortium, type DemoConsortium } from './demoConsortium.js';
import { demoSteps, eur, type DemoSteps } from './demoSteps.js';

const DAY = 86_400_000;
type Json = { [k: string]: JsonValue };

/** Steps 1-2: coverage, Ana's HE key in custody at the hospital, services and their encrypted prices. */
async function setupSteps(w: DemoConsortium, s: DemoSteps): Promise<HeCustodianService> {
  const ok = async (tx: SignedTx): Promise<boolean> => (await s.codeOf(w.commit(tx))) === 'OK';
  s.section("Ana's coverage, and her HE key in custody at the hospital's node");
  const now = Date.now();
  const body = coverageBody(w.ctx('claims'), {
    coverageId: 'cov-1',
    patient: w.id('ana'),
    payer: 'insurer',
    start: now - DAY,
    end: now + 365 * DAY,
    copayCents: 20_00,
    coinsurancePct: 20,
  });
  const signed = assembleTx(body, [w.wallet('claims').signature(body), w.wallet('ana').signature(body)]);
  s.check(
    await ok(signed),
    `coverage cov-1, co-signed by the insurer and Ana: copay ${eur(20_00)}, coinsurance 20%`,
  );
  const { publicKey, secretKey } = await createHeKeyPair();
  const custodian = new HeCustodianService(w.node, w.nodeKey('hospital')).start();
  custodian.hold(w.id('ana'), secretKey);
  s.check(
    await ok(publishKeysTx(w.ctx('ana'), { he: publicKey, heHolder: 'hospital' })),
    "Ana's Paillier key published; the hospital's node holds the secret key",
  );

  s.section('The hospital records two services and prices them encrypted under Ana’s key');
  const team = w.ctx('ana').wallet.tx({
    chainId: w.node.chainId,
    type: 'patient.careteam',
    payload: { add: [w.id('dr-a')], remove: [] },
    createdAt: Date.now(),
  });
  let prev: string | null = null;
  const services: string[] = [];
  if (await ok(team))
    for (const [recordId, resourceType, category] of [
      ['visit-1', 'Encounter', 'clinical'],
      ['lab-1', 'Observation', 'lab'],
    ] as const) {
      const tx = w.ctx('dr-a').wallet.tx({
        chainId: w.node.chainId,
        type: 'record.spv',
        payload: {
          recordId,
          patient: w.id('ana'),
          subject: `ep-${recordId}`,
          category,
          resourceType,
          responsible: [w.id('dr-a')],
          k: 1,
          prev,
          commitment: toHex(randomBytes(32)),
          holder: 'hospital',
        },
        createdAt: Date.now(),
      });
      if (await ok(tx)) {
        prev = (w.node.stateValue(`record:${recordId}`) as { txId: string }).txId;
        services.push(`${recordId} (${resourceType})`);
      }
    }
  s.check(services.length === 2, `recorded on the ledger by Dr A (SPV commitments): ${services.join(', ')}`);
  const prices = [
    ['e-visit', 150_00],
    ['e-lab', 75_50],
  ] as const;
  let posted = 0;
  for (const [expenseId, cents] of prices)
    if (
      await ok(
        await expenseTx(w.ctx('billing'), w.source('billing'), { expenseId, patient: w.id('ana'), cents }),
      )
    )
      posted++;
  const item = EncryptedAmount.fromBytes(
    fromB64u((w.node.stateValue('he:expense:e-visit') as { amount: string }).amount),
  );
  s.check(
    posted === 2 && item.c > publicKey.n && item.c < publicKey.n2,
    `prices posted as Paillier ciphertexts mod n² (${item.toBytes().length} bytes each, he.expense): only the key holder reads an item`,
  );
  return custodian;
}

/** Steps 3-4: the claim and its adjudication on the total alone. */
async function claimSteps(w: DemoConsortium, s: DemoSteps): Promise<void> {
  s.section('The hospital claims (FHIR Claim)');
  const claim = (claimId: string, items: { recordId: string; expenseId: string }[]) =>
    w
      .payments('billing')
      .submitClaim(
        submitClaimTx(w.ctx('billing'), { claimId, patient: w.id('ana'), coverageId: 'cov-1', items }),
      );
  const never = await s.codeOf(claim('cl-0', [{ recordId: 'mri-1', expenseId: 'e-visit' }]));
  s.check(
    never === 'UNRECORDED_SERVICE',
    `a claim for a service the hospital never recorded is refused (${never})`,
  );
  const c1 = await claim('cl-1', [
    { recordId: 'visit-1', expenseId: 'e-visit' },
    { recordId: 'lab-1', expenseId: 'e-lab' },
  ]);
  s.check(
    c1.receipt.code === 'OK' && c1.resource?.resourceType === 'Claim',
    'claim cl-1 for visit-1 and lab-1 committed; its FHIR Claim (validated) carries no item amount',
  );
  const twice = await s.codeOf(claim('cl-2', [{ recordId: 'visit-1', expenseId: 'e-visit' }]));
  s.check(
    twice === 'SERVICE_ALREADY_CLAIMED',
    `the same visit claimed again, under another id, is refused (${twice})`,
  );

  s.section('The insurer adjudicates on the total alone (FHIR ClaimResponse)');
  const now = Date.now();
  const grant = w.ctx('ana').wallet.tx({
    chainId: w.node.chainId,
    type: 'consent.grant',
    payload: {
      grantId: 'g-pay',
      grantee: { kind: 'org', org: 'insurer' },
      scope: { categories: ['billing'] },
      purposes: ['payment'],
      notBefore: now - 60_000,
      notAfter: now + 30 * DAY,
    },
    createdAt: now,
  });
  await w.commit(grant);
  await w.commit(
    claimTx(w.ctx('claims'), { claimId: 'he-cl-1', patient: w.id('ana'), expenseIds: ['e-visit', 'e-lab'] }),
  );
  let opening: { total: number; r: string } | undefined;
  for (let i = 0; i < 300 && !opening; i++)
    opening = await openClaimOpening(w.source('claims'), 'he-cl-1', {
      id: w.id('claims'),
      privateKey: w.member('claims').encryption.privateKey,
    }).catch(async () => {
      await new Promise((r) => setTimeout(r, 20));
      return undefined;
    });
  s.check(
    opening?.total === 225_50,
    `with Ana's payment consent, the hospital's node releases only the sum, sealed to the insurer: ${eur(opening?.total ?? 0)}`,
  );
  const { total, r } = opening!;
  const adj = (by: 'claims' | 'claims-2', t: number, approved: number) =>
    w
      .payments(by)
      .adjudicate(adjudicateTx(w.ctx(by), { claimId: 'cl-1', heClaimId: 'he-cl-1', total: t, r, approved }));
  const stranger = await s.codeOf(adj('claims-2', total, total));
  s.check(stranger === 'NO_COVERAGE', `an insurer Ana has no coverage with cannot adjudicate (${stranger})`);
  const under = await s.codeOf(adj('claims', total - 100_00, 100_00));
  s.check(
    under === 'TOTAL_MISMATCH',
    `an understated total does not open the encrypted aggregate (${under})`,
  );
  const done = await adj('claims', total, 200_00);
  const a = (w.node.stateValue('pay:claim:cl-1') as ClaimEntry).adjudication;
  s.check(
    done.receipt.code === 'OK' && a !== null,
    `adjudicated: ${eur(200_00)} eligible; the insurer pays ${eur(a?.payerAmount ?? 0)}, Ana's share ${eur(a?.patientShare ?? 0)} (ClaimResponse validated)`,
  );
}

/** Steps 5-6: payments, a dispute and its resolution. */
async function paymentSteps(w: DemoConsortium, s: DemoSteps): Promise<void> {
  s.section('Payments (FHIR PaymentReconciliation) and Ana’s share');
  const pay = (id: string, cents: number) =>
    w
      .payments('claims')
      .pay(payerPaymentTx(w.ctx('claims'), { paymentId: id, claimId: 'cl-1', amount: cents }));
  const mine = (id: string, cents: number) =>
    s.codeOf(
      w
        .payments('ana')
        .pay(patientPaymentTx(w.ctx('ana'), { paymentId: id, claimId: 'cl-1', amount: cents })),
    );
  const p1 = await pay('p-1', 144_00);
  s.check(
    p1.receipt.code === 'OK' && p1.resource?.resourceType === 'PaymentReconciliation',
    `the insurer pays ${eur(144_00)} (PaymentReconciliation validated)`,
  );
  const twice = await s.codeOf(pay('p-2', 144_00));
  s.check(twice === 'CLAIM_ALREADY_PAID', `paying the claim a second time is refused (${twice})`);
  const ana = await mine('pp-1', 50_00);
  const over = await mine('pp-2', 50_00);
  s.check(
    ana === 'OK' && over === 'OVERPAYMENT',
    `Ana pays ${eur(50_00)}; ${eur(50_00)} more than she owes is refused (${over})`,
  );

  s.section('Ana disputes the lab item; the insurer resolves on the ledger');
  const open = await s.codeOf(
    w.commit(
      openDisputeTx(w.ctx('ana'), {
        disputeId: 'd-1',
        claimId: 'cl-1',
        reason: 'the lab test was ordered by my doctor',
      }),
    ),
  );
  s.check(open === 'OK', 'dispute d-1 opened by Ana');
  const res = await s.codeOf(
    w.commit(
      resolveDisputeTx(w.ctx('claims'), {
        disputeId: 'd-1',
        outcome: 'upheld',
        approved: 225_50,
        note: 'medically necessary',
      }),
    ),
  );
  const c = w.node.stateValue('pay:claim:cl-1') as ClaimEntry;
  const owed = c.adjudication!.payerAmount - c.payerPaid;
  const more = await pay('p-3', owed);
  const rest = c.adjudication!.patientShare - c.patientPaid;
  const last = await mine('pp-3', rest);
  s.check(
    res === 'OK' && more.receipt.code === 'OK' && last === 'OK',
    `upheld, ${eur(225_50)} eligible: the insurer owes ${eur(owed)} more and pays it; Ana pays her remaining ${eur(rest)}`,
  );
}

/** Step 7: one statement for everyone. */
async function statementSteps(w: DemoConsortium, s: DemoSteps): Promise<void> {
  s.section('One statement for the three parties (FHIR ExplanationOfBenefit, derived from the ledger)');
  const texts = await Promise.all(
    (['billing', 'claims', 'ana'] as const).map(async (l) =>
      canonicalize(await w.payments(l).statement('cl-1')),
    ),
  );
  s.check(
    new Set(texts).size === 1,
    `the hospital, the insurer and Ana read the same bytes (SHA-256 ${toHex(sha256(utf8(texts[0]!))).slice(0, 16)}…)`,
  );
  const local = await deriveStatement(w.source('ana'), 'cl-1');
  s.check(
    local !== undefined && canonicalize(local) === texts[0],
    'and Ana derives it herself from the ledger state: identical; the node validated it as FHIR R4',
  );
  const eob = JSON.parse(texts[0]!) as Json;
  const totals = Object.fromEntries(
    (eob.total as { category: { coding: { code: string }[] }; amount: { value: number } }[]).map((t) => [
      t.category.coding[0]!.code,
      Math.round(t.amount.value * 100),
    ]),
  );
  s.check(
    totals['patient-balance'] === 0 && totals.submitted === 225_50,
    `totals: submitted ${eur(totals.submitted!)}, insurer ${eur(totals.benefit!)}, paid ${eur(totals['paid-by-payer']!)} + ${eur(totals['paid-by-patient']!)} by Ana, balance ${eur(totals['patient-balance']!)}`,
  );
  const outsider = await s.codeOf(w.payments('dr-b').statement('cl-1'));
  s.check(outsider === 'FORBIDDEN', `a clinic that is no party to the claim is refused (${outsider})`);
}

export async function demoPayments(o: { out: (line: string) => void }): Promise<void> {
  const w = await openDemoConsortium();
  const s = demoSteps(o.out);
  let custodian: HeCustodianService | undefined;
  try {
    o.out(
      `medledger demo payments — claims, payments and one statement (survey §7.2) on one node (${w.url}, data in ${w.dir})`,
    );
    o.out(
      `the patient "Ana" is member ${w.id('ana').slice(0, 12)}…; the insurer never sees an item's amount`,
    );
    custodian = await setupSteps(w, s);
    await claimSteps(w, s);
    await paymentSteps(w, s);
    await statementSteps(w, s);
    s.section('The whole ledger verifies');
    custodian.stop();
    await w.close();
    const v = await w.verify();
    s.check(
      v.ok,
      v.ok
        ? `${v.height} blocks, ${v.txs} transactions: hash chain, Merkle roots, signatures, state digests`
        : v.reason,
    );
    o.out('\ndemo complete: every check passed');
  } finally {
    custodian?.stop();
    await w.close().catch(() => undefined);
    w.remove();
  }
}
