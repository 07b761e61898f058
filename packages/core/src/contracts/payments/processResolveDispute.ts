/**
 * `pay.resolve` — the payer resolves an open dispute: `upheld` with a higher approved amount
 * (at most the total; the split is recomputed under the coverage's terms, and the payer then
 * owes the difference), or `rejected` with the adjudication unchanged. Either way with a note.
 */
import { ID, int, obj, onlyKeys, str } from '../../validate.js';
import { OK, fail, type Contract } from '../../contract.js';
import { malformed } from '../../errors.js';
import { getClaim, getCoverage, getDispute, pkeys, splitTotal } from './state.js';

const C = 'INVALID_PAYLOAD';

export interface ResolveDisputePayload {
  disputeId: string;
  outcome: 'upheld' | 'rejected';
  approved: number | null;
  note: string;
}

export const processResolveDispute: Contract<ResolveDisputePayload> = {
  type: 'pay.resolve',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['disputeId', 'outcome', 'approved', 'note'], 'payload', C);
    if (p.outcome !== 'upheld' && p.outcome !== 'rejected')
      malformed(C, 'payload.outcome', 'must be upheld or rejected');
    if ((p.outcome === 'upheld') !== (p.approved !== undefined))
      malformed(
        C,
        'payload.approved',
        'an upheld dispute names the new approved amount; a rejected one none',
      );
    return {
      disputeId: str(p.disputeId, 'payload.disputeId', C, 128, ID),
      outcome: p.outcome,
      approved: p.outcome === 'upheld' ? int(p.approved, 'payload.approved', C, 0) : null,
      note: str(p.note, 'payload.note', C, 500),
    };
  },
  execute(ctx, p) {
    const d = getDispute(ctx.state, p.disputeId);
    if (!d) return fail('UNKNOWN_DISPUTE', `no dispute ${p.disputeId}`);
    const claim = getClaim(ctx.state, d.claimId)!;
    const s = ctx.signers[0];
    if (ctx.signers.length !== 1 || s?.kind !== 'member' || s.org !== claim.payer)
      return fail('NOT_PAYER', "a dispute is resolved by a member of the claim's payer");
    if (d.status !== 'open') return fail('DISPUTE_CLOSED', `dispute ${p.disputeId} is ${d.status}`);
    const a = claim.adjudication!;
    let adjudication = a;
    if (p.outcome === 'upheld') {
      if (p.approved! <= a.approved || p.approved! > a.total)
        return fail(
          'INVALID_PAYLOAD',
          `an upheld dispute approves more than ${a.approved} and at most ${a.total}`,
        );
      const coverage = getCoverage(ctx.state, claim.coverageId)!;
      adjudication = { ...a, approved: p.approved!, ...splitTotal(a.total, p.approved!, coverage) };
    }
    const resolution = {
      by: s.id,
      approved: adjudication.approved,
      note: p.note,
      txId: ctx.txId,
      height: ctx.height,
      time: ctx.time,
    };
    ctx.state.put(pkeys.dispute(p.disputeId), { ...d, status: p.outcome, resolution });
    ctx.state.put(pkeys.claim(claim.claimId), { ...claim, adjudication, openDispute: null });
    ctx.emit({
      type: 'pay.dispute.resolved',
      patient: claim.patient,
      claimId: claim.claimId,
      disputeId: p.disputeId,
      outcome: p.outcome,
    });
    return OK;
  },
};
