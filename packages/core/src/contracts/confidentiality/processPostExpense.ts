/**
 * `he.expense` — a care delivery organization posts one of a patient's expenses encrypted
 * under the patient's Paillier key (EUROCRYPT'99; crypto/src/he.ts), in integer cents. The
 * amount is hidden from everyone but the key holder (the patient, or the organization he
 * named as custodian with `keys.publish {heHolder}`); insurers add ciphertexts through
 * `he.claim`. Checked here (pure bigint, no decryption): the signer is staff of a CDO, the
 * patient published an HE key, the ciphertext is one item in range for that key. Not
 * checked: that the amount is honest (no range proof; the signed transaction makes the
 * hospital accountable for it).
 */
import { EncryptedAmount, HePublicKey } from '@medledger/crypto/he';
import { fromB64u } from '@medledger/crypto';
import { OK, fail, type Contract } from '../../contract.js';
import { getMember, getOrg } from '../../identity.js';
import { HEX32, ID, obj, onlyKeys, str } from '../../validate.js';
import { malformed } from '../../errors.js';
import { appendToList } from '../../stateList.js';
import { C, b64, ckeys, getHeExpense, getPublishedKeys, type HeExpense } from './state.js';

export interface PostExpensePayload {
  expenseId: string;
  patient: string;
  /** `heEncrypt(patientPk, cents).toBytes()`, base64url. */
  amount: string;
}

export const processPostExpense: Contract<PostExpensePayload> = {
  type: 'he.expense',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['expenseId', 'patient', 'amount'], 'payload', C);
    let x: EncryptedAmount;
    try {
      x = EncryptedAmount.fromBytes(b64(p.amount, 'payload.amount', 2048));
    } catch (e) {
      return malformed(C, 'payload.amount', (e as Error).message);
    }
    if (x.count !== 1) malformed(C, 'payload.amount', 'must encrypt one item');
    return {
      expenseId: str(p.expenseId, 'payload.expenseId', C, 128, ID),
      patient: str(p.patient, 'payload.patient', C, 64, HEX32),
      amount: p.amount as string,
    };
  },
  execute(ctx, p) {
    const s = ctx.signers[0];
    if (ctx.signers.length !== 1 || s?.kind !== 'member' || s.role === 'patient')
      return fail('UNAUTHORIZED', 'an expense is posted by one staff member of a care organization');
    if (getOrg(ctx.state, s.org)?.role !== 'cdo')
      return fail('UNAUTHORIZED', 'expenses are posted by care delivery organizations');
    const patient = getMember(ctx.state, p.patient);
    if (!patient || patient.role !== 'patient')
      return fail('UNKNOWN_PATIENT', 'payload.patient is not an enrolled patient');
    const hk = getPublishedKeys(ctx.state, p.patient)?.he;
    if (hk === undefined) return fail('NO_HE_KEY', 'the patient has not published an HE key (keys.publish)');
    const pk = HePublicKey.fromBytes(fromB64u(hk));
    const c = EncryptedAmount.fromBytes(fromB64u(p.amount)).c;
    if (c <= 0n || c >= pk.n2)
      return fail('INVALID_PAYLOAD', "payload.amount is not a ciphertext of the patient's key");
    if (getHeExpense(ctx.state, p.expenseId)) return fail('EXPENSE_EXISTS', `expense ${p.expenseId} exists`);
    const e: HeExpense = {
      expenseId: p.expenseId,
      patient: p.patient,
      org: s.org,
      author: s.id,
      amount: p.amount,
      txId: ctx.txId,
      height: ctx.height,
      time: ctx.time,
      claimId: null,
    };
    ctx.state.put(ckeys.expense(p.expenseId), e);
    appendToList(ctx.state, ckeys.expenses(p.patient), p.expenseId);
    ctx.emit({ type: 'he.expense.posted', patient: p.patient, expenseId: p.expenseId, org: s.org });
    return OK;
  },
};
