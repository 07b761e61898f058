/**
 * `pay.patient-payment` — the patient records a payment of their share of a claim, signed by
 * the patient. At most what the patient still owes (OVERPAYMENT otherwise; CLAIM_ALREADY_PAID
 * when nothing is owed).
 */
import { OK, fail, type Contract } from '../../contract.js';
import { parsePaymentPayload, type RecordPaymentPayload } from './processRecordPayment.js';
import { balances, getClaim, getPayment, pkeys, type PaymentEntry } from './state.js';

export const processPatientPayment: Contract<RecordPaymentPayload> = {
  type: 'pay.patient-payment',
  parse: parsePaymentPayload,
  execute(ctx, p) {
    const s = ctx.signers[0];
    const claim = getClaim(ctx.state, p.claimId);
    if (!claim) return fail('UNKNOWN_CLAIM', `no claim ${p.claimId}`);
    if (ctx.signers.length !== 1 || s?.id !== claim.patient)
      return fail('UNAUTHORIZED', "a patient's payment is signed by the patient");
    if (getPayment(ctx.state, p.paymentId)) return fail('PAYMENT_EXISTS', `payment ${p.paymentId} exists`);
    if (claim.status !== 'adjudicated')
      return fail('NOT_ADJUDICATED', `claim ${p.claimId} is not adjudicated`);
    const owed = balances(claim).patient;
    if (owed <= 0) return fail('CLAIM_ALREADY_PAID', `the patient owes nothing on claim ${p.claimId}`);
    if (p.amount > owed) return fail('OVERPAYMENT', `the patient owes ${owed} cents on claim ${p.claimId}`);
    const e: PaymentEntry = {
      ...p,
      by: 'patient',
      org: s.org,
      member: s.id,
      txId: ctx.txId,
      height: ctx.height,
      time: ctx.time,
    };
    ctx.state.put(pkeys.payment(p.paymentId), e);
    ctx.state.put(pkeys.claim(p.claimId), {
      ...claim,
      patientPaid: claim.patientPaid + p.amount,
      payments: [...claim.payments, p.paymentId],
    });
    ctx.emit({
      type: 'pay.payment.recorded',
      patient: claim.patient,
      claimId: p.claimId,
      amount: p.amount,
      by: 'patient',
    });
    return OK;
  },
};
