/**
 * The FHIR R4 forms of the payment facts on the ledger: Claim, ClaimResponse,
 * PaymentReconciliation and the statement, an ExplanationOfBenefit. Each is a pure function of
 * the state, so the provider, the payer and the patient — or any node — derive the same bytes
 * from the same ledger, and a statement cannot differ between them. Items carry no amounts:
 * they stay encrypted on the ledger (he.expense); totals are those the adjudication revealed
 * and the contract checked. The node validates each resource against the R4 definitions
 * before serving it (node/src/payments).
 *
 * Codes: claim type and use from HL7 (claim-type `professional`); totals with the adjudication
 * codes `submitted`, `eligible`, `benefit` (terminology.hl7.org CodeSystem adjudication), plus
 * medledger codes `patient-share`, `paid-by-payer`, `paid-by-patient`, `patient-balance`
 * (https://medledger.dev/adjudication) for what FHIR R4 has no code for.
 */
import type { JsonValue } from '@medledger/crypto';
import type { StateReader } from '../../state.js';
import {
  CURRENCY,
  balances,
  getClaim,
  getCoverage,
  getDispute,
  getPayment,
  type ClaimEntry,
  type PaymentEntry,
} from './state.js';

type R = { [k: string]: JsonValue };

const ADJ = 'http://terminology.hl7.org/CodeSystem/adjudication';
const ML_ADJ = 'https://medledger.dev/adjudication';
const RECORD_TYPE = 'https://medledger.dev/record-type';

/** A FHIR dateTime of a block time. */
export const fhirTime = (ms: number): string => new Date(ms).toISOString();
/** A FHIR Money of cents. */
export const money = (cents: number): R => ({ value: cents / 100, currency: CURRENCY });
const cc = (system: string, code: string): R => ({ coding: [{ system, code }] });
const total = (system: string, code: string, cents: number): R => ({
  category: cc(system, code),
  amount: money(cents),
});
const ref = (type: string, id: string): R => ({ reference: `${type}/${id}` });

function items(c: ClaimEntry): { supportingInfo: R[]; item: R[] } {
  return {
    supportingInfo: c.items.map((it) => ({
      sequence: it.sequence,
      category: cc('http://terminology.hl7.org/CodeSystem/claiminformationcategory', 'info'),
      valueReference: ref(it.resourceType, it.recordId),
    })),
    item: c.items.map((it) => ({
      sequence: it.sequence,
      informationSequence: [it.sequence],
      productOrService: cc(RECORD_TYPE, it.resourceType),
    })),
  };
}

const common = (c: ClaimEntry): R => ({
  type: cc('http://terminology.hl7.org/CodeSystem/claim-type', 'professional'),
  use: 'claim',
  patient: ref('Patient', c.patient),
});

/** The Claim as the provider submitted it. */
export function claimResource(s: StateReader, claimId: string): R | undefined {
  const c = getClaim(s, claimId);
  if (!c) return undefined;
  return {
    resourceType: 'Claim',
    id: c.claimId,
    status: 'active',
    ...common(c),
    created: fhirTime(c.time),
    provider: ref('Organization', c.provider),
    priority: cc('http://terminology.hl7.org/CodeSystem/processpriority', 'normal'),
    insurance: [{ sequence: 1, focal: true, coverage: ref('Coverage', c.coverageId) }],
    ...items(c),
  };
}

/** The ClaimResponse of an adjudicated claim. */
export function claimResponseResource(s: StateReader, claimId: string): R | undefined {
  const c = getClaim(s, claimId);
  const a = c?.adjudication;
  if (!c || !a) return undefined;
  return {
    resourceType: 'ClaimResponse',
    id: c.claimId,
    status: 'active',
    ...common(c),
    created: fhirTime(a.time),
    insurer: ref('Organization', c.payer),
    requestor: ref('Organization', c.provider),
    request: ref('Claim', c.claimId),
    outcome: 'complete',
    disposition:
      a.approved === a.total ? 'approved in full' : a.approved === 0 ? 'denied' : 'approved in part',
    total: [
      total(ADJ, 'submitted', a.total),
      total(ADJ, 'eligible', a.approved),
      total(ADJ, 'benefit', a.payerAmount),
      total(ML_ADJ, 'patient-share', a.patientShare),
    ],
  };
}

/** The PaymentReconciliation of a payer's payment. */
export function paymentReconciliationResource(s: StateReader, paymentId: string): R | undefined {
  const p = getPayment(s, paymentId);
  if (!p || p.by !== 'payer') return undefined;
  const c = getClaim(s, p.claimId)!;
  return {
    resourceType: 'PaymentReconciliation',
    id: p.paymentId,
    status: 'active',
    created: fhirTime(p.time),
    paymentIssuer: ref('Organization', p.org),
    requestor: ref('Organization', c.provider),
    outcome: 'complete',
    paymentDate: fhirTime(p.time).slice(0, 10),
    paymentAmount: money(p.amount),
    detail: [
      {
        type: cc('http://terminology.hl7.org/CodeSystem/payment-type', 'payment'),
        request: ref('Claim', c.claimId),
        payee: ref('Organization', c.provider),
        date: fhirTime(p.time).slice(0, 10),
        amount: money(p.amount),
      },
    ],
  };
}

/**
 * The statement of a claim: an ExplanationOfBenefit with the items (without amounts), the
 * adjudicated totals, what the payer and the patient paid and still owe, and every dispute.
 */
export function explanationOfBenefit(s: StateReader, claimId: string): R | undefined {
  const c = getClaim(s, claimId);
  if (!c) return undefined;
  const a = c.adjudication;
  const pays = c.payments.map((id) => getPayment(s, id)).filter((p): p is PaymentEntry => p !== undefined);
  const bal = balances(c);
  const notes = c.disputes.flatMap((id, i) => {
    const d = getDispute(s, id);
    if (!d) return [];
    const r = d.resolution;
    const text =
      `dispute ${d.disputeId} opened by the ${d.party} at ${fhirTime(d.time)}: ${d.reason}` +
      (r
        ? `; ${d.status} at ${fhirTime(r.time)} (approved ${money(r.approved).value} ${CURRENCY}): ${r.note}`
        : '; open');
    return [{ number: i + 1, type: 'display', text }];
  });
  const coverage = getCoverage(s, c.coverageId);
  const lastPayer = pays.filter((p) => p.by === 'payer').at(-1);
  const eob: R = {
    resourceType: 'ExplanationOfBenefit',
    id: c.claimId,
    status: 'active',
    ...common(c),
    created: fhirTime(c.time),
    insurer: ref('Organization', c.payer),
    provider: ref('Organization', c.provider),
    claim: ref('Claim', c.claimId),
    outcome: a ? 'complete' : 'queued',
    insurance: [{ focal: true, coverage: ref('Coverage', c.coverageId) }],
    ...items(c),
  };
  if (coverage) eob.benefitPeriod = { start: fhirTime(coverage.start), end: fhirTime(coverage.end) };
  if (a) {
    eob.disposition =
      a.approved === a.total ? 'approved in full' : a.approved === 0 ? 'denied' : 'approved in part';
    eob.total = [
      total(ADJ, 'submitted', a.total),
      total(ADJ, 'eligible', a.approved),
      total(ADJ, 'benefit', a.payerAmount),
      total(ML_ADJ, 'patient-share', a.patientShare),
      total(ML_ADJ, 'paid-by-payer', c.payerPaid),
      total(ML_ADJ, 'paid-by-patient', c.patientPaid),
      total(ML_ADJ, 'patient-balance', bal.patient),
    ];
  }
  if (lastPayer)
    eob.payment = {
      type: cc(
        'http://terminology.hl7.org/CodeSystem/ex-paymenttype',
        bal.payer === 0 ? 'complete' : 'partial',
      ),
      date: fhirTime(lastPayer.time).slice(0, 10),
      amount: money(c.payerPaid),
    };
  if (notes.length > 0) eob.processNote = notes;
  return eob;
}
