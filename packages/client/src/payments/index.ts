/**
 * Client side of payments (contracts in core/src/contracts/payments): transaction builders for
 * the provider, the payer and the patient; the payer's opening of a claim's encrypted total
 * (released sealed by the patient's HE key holder, `he.total`); the statement derived locally
 * from ledger reads, to compare with what any node serves; and the HTTP client.
 */
import { envelopeFromJson, fromB64u, fromUtf8, openEnvelope, utf8, type JsonValue } from '@medledger/crypto';
import { EncryptedAmount, HePublicKey } from '@medledger/crypto/he';
import { mapStateReader, type SignedTx, type TxBody, type TxType } from '@medledger/core';
import { ckeys, type HeClaim, type PublishedKeys } from '@medledger/core/contracts/confidentiality';
import { explanationOfBenefit } from '@medledger/core/contracts/payments';
import { pkeys, type ClaimEntry } from '@medledger/core/contracts/payments';
import type { LedgerSource, TxContext } from '../confidentiality.js';
import type { Receipt } from '../http.js';
import { LedgerApi } from '../ledgerApi.js';
import { API } from '../api/index.js';

type Json = { [k: string]: JsonValue };

const build = (c: TxContext, type: TxType, payload: Json): SignedTx =>
  c.wallet.txFromJson({ chainId: c.chainId, type, payload, createdAt: c.createdAt ?? Date.now() });

/** Terms of a coverage. */
export interface CoverageTerms {
  coverageId: string;
  patient: string;
  payer: string;
  start: number;
  end: number;
  copayCents: number;
  coinsurancePct: number;
}

/**
 * The body of `pay.coverage`, built by the payer's member and co-signed by the patient
 * (`wallet.signature(body)` on each side, then `assembleTx`).
 */
export function coverageBody(c: TxContext, t: CoverageTerms): TxBody {
  return c.wallet.body({
    chainId: c.chainId,
    type: 'pay.coverage',
    payload: { ...t },
    createdAt: c.createdAt ?? Date.now(),
    coSigners: [t.patient],
  });
}

/** `pay.claim` by the provider: each item a recorded service and its encrypted expense. */
export function submitClaimTx(
  c: TxContext,
  p: {
    claimId: string;
    patient: string;
    coverageId: string;
    items: { recordId: string; expenseId: string }[];
  },
): SignedTx {
  return build(c, 'pay.claim', {
    claimId: p.claimId,
    patient: p.patient,
    coverageId: p.coverageId,
    items: p.items.map((x, i) => ({ sequence: i + 1, recordId: x.recordId, expenseId: x.expenseId })),
  });
}

/**
 * The payer opens the total the key holder released to it (`he.total`) and checks it against
 * the aggregate on the ledger; returns the total and the randomness that proves it.
 * @throws Error if not released, not sealed to this member, or not matching the aggregate
 */
export async function openClaimOpening(
  source: LedgerSource,
  heClaimId: string,
  payer: { id: string; privateKey: Uint8Array },
): Promise<{ total: number; r: string }> {
  const claim = (await source.state(ckeys.claim(heClaimId))) as HeClaim | undefined;
  if (!claim || claim.status !== 'released' || claim.sealed === null)
    throw new Error(`the total of ${heClaimId} is not released yet`);
  const pt = await openEnvelope(envelopeFromJson(claim.sealed), payer, utf8(`he-total:${heClaimId}`));
  const { total, r } = JSON.parse(fromUtf8(pt)) as { total: string; r: string };
  const keys = (await source.state(ckeys.pubkeys(claim.patient))) as PublishedKeys | undefined;
  const pk = HePublicKey.fromBytes(fromB64u(keys!.he!));
  if (
    pk.key.encrypt(BigInt(total), BigInt(`0x${r}`)) !== EncryptedAmount.fromBytes(fromB64u(claim.aggregate)).c
  )
    throw new Error('the released total does not match the aggregate on the ledger');
  if (BigInt(total) > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('total out of range');
  return { total: Number(total), r };
}

/** `pay.adjudicate` by the payer, revealing the total with its proof. */
export function adjudicateTx(
  c: TxContext,
  p: { claimId: string; heClaimId: string; total: number; r: string; approved: number },
): SignedTx {
  return build(c, 'pay.adjudicate', { ...p });
}

/** `pay.payment` by the payer (exactly what it owes). */
export function payerPaymentTx(
  c: TxContext,
  p: { paymentId: string; claimId: string; amount: number },
): SignedTx {
  return build(c, 'pay.payment', { ...p });
}

/** `pay.patient-payment` by the patient. */
export function patientPaymentTx(
  c: TxContext,
  p: { paymentId: string; claimId: string; amount: number },
): SignedTx {
  return build(c, 'pay.patient-payment', { ...p });
}

/** `pay.dispute` by the patient or the provider. */
export function openDisputeTx(
  c: TxContext,
  p: { disputeId: string; claimId: string; reason: string },
): SignedTx {
  return build(c, 'pay.dispute', { ...p });
}

/** `pay.resolve` by the payer. */
export function resolveDisputeTx(
  c: TxContext,
  p: { disputeId: string; outcome: 'upheld' | 'rejected'; approved?: number; note: string },
): SignedTx {
  const payload: Json = { disputeId: p.disputeId, outcome: p.outcome, note: p.note };
  if (p.approved !== undefined) payload.approved = p.approved;
  return build(c, 'pay.resolve', payload);
}

/**
 * The statement of a claim, derived on this side from ledger reads (the same pure function the
 * nodes run), to compare with what a node serves.
 */
export async function deriveStatement(source: LedgerSource, claimId: string): Promise<Json | undefined> {
  const m = new Map<string, JsonValue>();
  const fetch = async (key: string): Promise<JsonValue | undefined> => {
    const v = await source.state(key);
    if (v !== undefined) m.set(key, v);
    return v;
  };
  const claim = (await fetch(pkeys.claim(claimId))) as ClaimEntry | undefined;
  if (!claim) return undefined;
  await fetch(pkeys.coverage(claim.coverageId));
  for (const id of claim.payments) await fetch(pkeys.payment(id));
  for (const id of claim.disputes) await fetch(pkeys.dispute(id));
  return explanationOfBenefit(mapStateReader(m), claimId);
}

/** A write through the payments routes: the receipt and the resulting FHIR resource if committed OK. */
export interface PaymentsWriteResult {
  txId: string;
  receipt: Receipt;
  resource?: Json;
}

export class PaymentsClient extends LedgerApi {
  /** Submits `pay.claim`; answers with the FHIR Claim. */
  submitClaim(tx: SignedTx): Promise<PaymentsWriteResult> {
    return this.call(API.payments.claim, { body: { tx } }) as Promise<PaymentsWriteResult>;
  }
  /** Submits `pay.adjudicate`; answers with the FHIR ClaimResponse. */
  adjudicate(tx: SignedTx): Promise<PaymentsWriteResult> {
    return this.call(API.payments.adjudicate, { body: { tx } }) as Promise<PaymentsWriteResult>;
  }
  /** Submits `pay.payment` or `pay.patient-payment`; a payer's answers with the PaymentReconciliation. */
  pay(tx: SignedTx): Promise<PaymentsWriteResult> {
    return this.call(API.payments.pay, { body: { tx } }) as Promise<PaymentsWriteResult>;
  }
  /** Submits `pay.coverage`, `pay.dispute` or `pay.resolve` and waits for its receipt. */
  submit(tx: SignedTx, waitMs = 30_000): Promise<Receipt> {
    return this.ledger.submitAndWait(tx, waitMs);
  }
  /** The statement (ExplanationOfBenefit) of a claim, for its patient, provider or payer. */
  statement(claimId: string): Promise<Json> {
    return this.call(API.payments.statement, { params: { id: claimId } }) as Promise<Json>;
  }
  /** The FHIR Claim, ClaimResponse and PaymentReconciliation views, for the same three parties. */
  claim(claimId: string): Promise<Json> {
    return this.call(API.payments.getClaim, { params: { id: claimId } }) as Promise<Json>;
  }
  claimResponse(claimId: string): Promise<Json> {
    return this.call(API.payments.claimResponse, { params: { id: claimId } }) as Promise<Json>;
  }
  paymentReconciliation(paymentId: string): Promise<Json> {
    return this.call(API.payments.payment, { params: { id: paymentId } }) as Promise<Json>;
  }
}
