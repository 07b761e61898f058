/**
 * `pay.payment` — the payer records its payment of a claim (the ledger side of a FHIR
 * PaymentReconciliation). The amount must be exactly what the payer still owes: a claim is
 * never paid twice (CLAIM_ALREADY_PAID once nothing is owed; a payment id is used once). A
 * dispute upheld in the patient's or provider's favour raises what is owed, and the difference
 * is then paid by a further payment.
 */
import { ID, int, obj, onlyKeys, str } from '../../validate.js';
import { OK, fail, type Contract } from '../../contract.js';
import { balances, getClaim, getPayment, pkeys, type PaymentEntry } from './state.js';

const C = 'INVALID_PAYLOAD';

export interface RecordPaymentPayload {
  paymentId: string;
  claimId: string;
  amount: number;
}

export const parsePaymentPayload = (payload: unknown): RecordPaymentPayload => {
  const p = obj(payload, 'payload', C);
  onlyKeys(p, ['paymentId', 'claimId', 'amount'], 'payload', C);
  return {
    paymentId: str(p.paymentId, 'payload.paymentId', C, 128, ID),
    claimId: str(p.claimId, 'payload.claimId', C, 128, ID),
    amount: int(p.amount, 'payload.amount', C, 1),
  };
};

export const processRecordPayment: Contract<RecordPaymentPayload> = {
  type: 'pay.payment',
  parse: parsePaymentPayload,
  execute(ctx, p) {
    const s = ctx.signers[0];
    const claim = getClaim(ctx.state, p.claimId);
    if (!claim) return fail('UNKNOWN_CLAIM', `no claim ${p.claimId}`);
    if (ctx.signers.length !== 1 || s?.kind !== 'member' || s.org !== claim.payer)
      return fail('NOT_PAYER', "a claim's payment is recorded by a member of its payer");
    if (getPayment(ctx.state, p.paymentId)) return fail('PAYMENT_EXISTS', `payment ${p.paymentId} exists`);
    if (claim.status !== 'adjudicated')
      return fail('NOT_ADJUDICATED', `claim ${p.claimId} is not adjudicated`);
    const owed = balances(claim).payer;
    if (owed <= 0) return fail('CLAIM_ALREADY_PAID', `claim ${p.claimId} is paid: the payer owes nothing`);
    if (p.amount !== owed)
      return fail('AMOUNT_MISMATCH', `the payer owes ${owed} cents on claim ${p.claimId}`);
    const e: PaymentEntry = {
      ...p,
      by: 'payer',
      org: s.org,
      member: s.id,
      txId: ctx.txId,
      height: ctx.height,
      time: ctx.time,
    };
    ctx.state.put(pkeys.payment(p.paymentId), e);
    ctx.state.put(pkeys.claim(p.claimId), {
      ...claim,
      payerPaid: claim.payerPaid + p.amount,
      payments: [...claim.payments, p.paymentId],
    });
    ctx.emit({
      type: 'pay.payment.recorded',
      patient: claim.patient,
      claimId: p.claimId,
      amount: p.amount,
      by: 'payer',
    });
    return OK;
  },
};
