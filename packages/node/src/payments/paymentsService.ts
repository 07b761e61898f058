/**
 * The payments routes' service: submits payment transactions and serves the FHIR forms of the
 * payment facts — Claim, ClaimResponse, PaymentReconciliation and the statement
 * (ExplanationOfBenefit) — derived from the ledger by core's pure functions, so every node and
 * every party gets the same bytes, and validated against the FHIR R4 definitions before they
 * are served. Only the claim's patient, the provider's staff and the payer's staff read them.
 */
import type { JsonValue } from '@medledger/crypto';
import { LedgerError, type MemberEntry } from '@medledger/core';
import { getClaim, getPayment, type ClaimEntry } from '@medledger/core/contracts/payments';
import {
  claimResource,
  claimResponseResource,
  explanationOfBenefit,
  paymentReconciliationResource,
} from '@medledger/core/contracts/payments';
import type { Receipt } from '@medledger/client';
import type { LedgerView } from '../ledgerView.js';
import { validateFhirRecord, validateFhirResource } from '../records/fhir.js';
import { parseDomainTx, submitAndWait } from '../domainTx.js';

type Json = { [k: string]: JsonValue };

/** The FHIR forms served. */
export type PaymentView = 'Claim' | 'ClaimResponse' | 'PaymentReconciliation' | 'ExplanationOfBenefit';

/** Which transaction each write route takes, and the view it answers with. */
const WRITES = {
  claims: { types: ['pay.claim'], view: 'Claim' },
  adjudications: { types: ['pay.adjudicate'], view: 'ClaimResponse' },
  payments: { types: ['pay.payment', 'pay.patient-payment'], view: 'PaymentReconciliation' },
} as const;
export type PaymentWrite = keyof typeof WRITES;

/**
 * A FHIR form, checked against the R4 definitions (the records' rules too for Claim and
 * ExplanationOfBenefit, which name a patient and an author).
 * @throws LedgerError FHIR_INVALID if a derived resource does not validate (a bug, never the caller's fault)
 */
export function checkedView(view: PaymentView, r: Json): Json {
  const v =
    view === 'Claim' || view === 'ExplanationOfBenefit'
      ? validateFhirRecord(r)
      : validateFhirResource(r, view);
  if (!v.ok)
    throw new LedgerError(
      { code: 'FHIR_INVALID' },
      `derived ${view} is not valid FHIR R4: ${v.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    );
  return r;
}

export class PaymentsService {
  readonly #node: LedgerView;
  constructor(node: LedgerView) {
    this.#node = node;
  }

  /** The claim, if `member` is its patient or staff of its provider or payer. */
  claimFor(member: MemberEntry, claimId: string): ClaimEntry {
    const c = getClaim(this.#node.store, claimId);
    if (!c) throw new LedgerError({ code: 'NOT_FOUND' }, `no claim ${claimId}`);
    if (member.id !== c.patient && member.org !== c.provider && member.org !== c.payer)
      throw new LedgerError({ code: 'FORBIDDEN' }, 'a claim is read by its patient, provider and payer only');
    return c;
  }

  /** A FHIR form of a claim for one of its parties. */
  view(member: MemberEntry, view: Exclude<PaymentView, 'PaymentReconciliation'>, claimId: string): Json {
    this.claimFor(member, claimId);
    const s = this.#node.store;
    const r =
      view === 'Claim'
        ? claimResource(s, claimId)
        : view === 'ClaimResponse'
          ? claimResponseResource(s, claimId)
          : explanationOfBenefit(s, claimId);
    if (!r) throw new LedgerError({ code: 'NOT_FOUND' }, `claim ${claimId} has no ${view} yet`);
    return checkedView(view, r);
  }

  /** The PaymentReconciliation of a payer's payment, for the claim's parties. */
  payment(member: MemberEntry, paymentId: string): Json {
    const p = getPayment(this.#node.store, paymentId);
    if (!p) throw new LedgerError({ code: 'NOT_FOUND' }, `no payment ${paymentId}`);
    this.claimFor(member, p.claimId);
    const r = paymentReconciliationResource(this.#node.store, paymentId);
    if (!r)
      throw new LedgerError(
        { code: 'NOT_FOUND' },
        `payment ${paymentId} is the patient's: it has no PaymentReconciliation`,
      );
    return checkedView('PaymentReconciliation', r);
  }

  /** Submits a payment transaction; if it commits OK, answers with its FHIR form too. */
  async write(
    kind: PaymentWrite,
    body: unknown,
  ): Promise<{ txId: string; receipt: Receipt; resource?: Json }> {
    const w = WRITES[kind];
    const tx = parseDomainTx((body as { tx?: unknown } | null)?.tx, w.types);
    const out = await submitAndWait(this.#node, tx);
    if (out.receipt.code !== 'OK') return out;
    const p = tx.body.payload as { claimId?: string; paymentId?: string };
    const s = this.#node.store;
    const r =
      w.view === 'Claim'
        ? claimResource(s, p.claimId!)
        : w.view === 'ClaimResponse'
          ? claimResponseResource(s, p.claimId!)
          : paymentReconciliationResource(s, p.paymentId!);
    return r ? { ...out, resource: checkedView(w.view, r) } : out;
  }
}
