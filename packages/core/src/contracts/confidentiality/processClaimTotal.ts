/**
 * `he.claim` — an insurer asks for the total of some of a patient's encrypted expenses. The
 * contract adds the ciphertexts itself (Paillier: multiplication mod n², pure bigint, fast
 * enough for a contract) and stores the aggregate; the key holder then releases the total
 * sealed to the insurer (`he.total`). Nobody ever decrypts an item.
 *
 * What keeps the insurer from learning an item through totals:
 * - consent: for every item, `decideRead` must allow the insurer for purpose 'payment' on a
 *   'billing' record (a grant with that scope; validateGrant confines insurers to it);
 * - at least HE_MIN_TERMS items per claim (a one-item "total" would be the item);
 * - items are claimed at most once (claims are disjoint): no differencing of two totals.
 * Residual leak (documented): a party that knows all items of a claim but one learns that one
 * from the total (e.g. a hospital colluding with the insurer on a two-item claim).
 */
import { EncryptedAmount, HePublicKey, heSum } from '@medledger/crypto/he';
import { fromB64u, toB64u } from '@medledger/crypto';
import { decideRead } from '../../access/decideRead.js';
import { OK, fail, type Contract } from '../../contract.js';
import { getGrants } from '../../records/state.js';
import { malformed } from '../../errors.js';
import { HEX32, ID, arr, obj, onlyKeys, str } from '../../validate.js';
import {
  C,
  HE_MIN_TERMS,
  ckeys,
  getHeClaim,
  getHeExpense,
  getPublishedKeys,
  type HeClaim,
  type HeExpense,
} from './state.js';

export interface ClaimTotalPayload {
  claimId: string;
  patient: string;
  expenseIds: string[];
}

export const processClaimTotal: Contract<ClaimTotalPayload> = {
  type: 'he.claim',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['claimId', 'patient', 'expenseIds'], 'payload', C);
    const expenseIds = arr(p.expenseIds, 'payload.expenseIds', C, 1, 1000).map((x, i) =>
      str(x, `payload.expenseIds[${i}]`, C, 128, ID),
    );
    if (new Set(expenseIds).size !== expenseIds.length)
      malformed(C, 'payload.expenseIds', 'duplicate expense');
    return {
      claimId: str(p.claimId, 'payload.claimId', C, 128, ID),
      patient: str(p.patient, 'payload.patient', C, 64, HEX32),
      expenseIds,
    };
  },
  execute(ctx, p) {
    const s = ctx.signers[0];
    if (ctx.signers.length !== 1 || s?.kind !== 'member')
      return fail('UNAUTHORIZED', 'a claim is signed by the requesting insurer member alone');
    if (getHeClaim(ctx.state, p.claimId)) return fail('CLAIM_EXISTS', `claim ${p.claimId} exists`);
    if (p.expenseIds.length < HE_MIN_TERMS)
      return fail('TOO_FEW_TERMS', `a total covers at least ${HE_MIN_TERMS} expenses`);
    const hk = getPublishedKeys(ctx.state, p.patient)?.he;
    if (hk === undefined) return fail('NO_HE_KEY', 'the patient has no HE key');
    const grants = getGrants(ctx.state, p.patient);
    const items: HeExpense[] = [];
    for (const id of p.expenseIds) {
      const e = getHeExpense(ctx.state, id);
      if (!e || e.patient !== p.patient) return fail('UNKNOWN_EXPENSE', `no expense ${id} of this patient`);
      if (e.claimId !== null)
        return fail('EXPENSE_CLAIMED', `expense ${id} is already in claim ${e.claimId}`);
      const d = decideRead(grants, {
        requester: { memberId: s.id, org: s.org, role: s.role },
        record: {
          recordId: id,
          patientId: p.patient,
          category: 'billing',
          resourceType: 'ChargeItem',
          org: e.org,
          authors: [e.author],
        },
        purpose: 'payment',
        at: ctx.time,
        height: ctx.height,
      });
      if (!d.allow) return fail('CLAIM_NOT_PERMITTED', `no payment consent for expense ${id}: ${d.code}`);
      items.push(e);
    }
    const pk = HePublicKey.fromBytes(fromB64u(hk));
    let aggregate: EncryptedAmount;
    try {
      aggregate = heSum(
        pk,
        items.map((e) => EncryptedAmount.fromBytes(fromB64u(e.amount))),
      );
    } catch (e) {
      return fail('INVALID_EXPENSE', (e as Error).message); // an item under a rotated key
    }
    const claim: HeClaim = {
      claimId: p.claimId,
      patient: p.patient,
      insurer: s.id,
      insurerOrg: s.org,
      expenseIds: p.expenseIds,
      aggregate: toB64u(aggregate.toBytes()),
      count: aggregate.count,
      status: 'requested',
      sealed: null,
      txId: ctx.txId,
      height: ctx.height,
      time: ctx.time,
    };
    for (const e of items) ctx.state.put(ckeys.expense(e.expenseId), { ...e, claimId: p.claimId });
    ctx.state.put(ckeys.claim(p.claimId), claim);
    ctx.emit({
      type: 'he.claim.requested',
      patient: p.patient,
      claimId: p.claimId,
      insurer: s.id,
      count: claim.count,
    });
    return OK;
  },
};
