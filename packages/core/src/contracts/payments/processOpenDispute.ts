/**
 * `pay.dispute` — the patient or the provider disputes an adjudicated claim, with a reason.
 * One open dispute per claim. The payer resolves it (`pay.resolve`).
 */
import { ID, obj, onlyKeys, str } from '../../validate.js';
import { OK, fail, type Contract } from '../../contract.js';
import { getClaim, getDispute, pkeys, type DisputeEntry } from './state.js';

const C = 'INVALID_PAYLOAD';

export interface OpenDisputePayload {
  disputeId: string;
  claimId: string;
  reason: string;
}

export const processOpenDispute: Contract<OpenDisputePayload> = {
  type: 'pay.dispute',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['disputeId', 'claimId', 'reason'], 'payload', C);
    return {
      disputeId: str(p.disputeId, 'payload.disputeId', C, 128, ID),
      claimId: str(p.claimId, 'payload.claimId', C, 128, ID),
      reason: str(p.reason, 'payload.reason', C, 500),
    };
  },
  execute(ctx, p) {
    const s = ctx.signers[0];
    const claim = getClaim(ctx.state, p.claimId);
    if (!claim) return fail('UNKNOWN_CLAIM', `no claim ${p.claimId}`);
    const party =
      s?.id === claim.patient
        ? 'patient'
        : s?.kind === 'member' && s.org === claim.provider
          ? 'provider'
          : undefined;
    if (ctx.signers.length !== 1 || party === undefined)
      return fail('UNAUTHORIZED', 'a claim is disputed by its patient or its provider');
    if (claim.status !== 'adjudicated')
      return fail('NOT_ADJUDICATED', `claim ${p.claimId} is not adjudicated`);
    if (claim.openDispute !== null) return fail('DISPUTE_OPEN', `dispute ${claim.openDispute} is open`);
    if (getDispute(ctx.state, p.disputeId)) return fail('DISPUTE_EXISTS', `dispute ${p.disputeId} exists`);
    const d: DisputeEntry = {
      ...p,
      openedBy: s!.id,
      party,
      status: 'open',
      resolution: null,
      txId: ctx.txId,
      height: ctx.height,
      time: ctx.time,
    };
    ctx.state.put(pkeys.dispute(p.disputeId), d);
    ctx.state.put(pkeys.claim(p.claimId), {
      ...claim,
      openDispute: p.disputeId,
      disputes: [...claim.disputes, p.disputeId],
    });
    ctx.emit({
      type: 'pay.dispute.opened',
      patient: claim.patient,
      claimId: p.claimId,
      disputeId: p.disputeId,
      party,
    });
    return OK;
  },
};
