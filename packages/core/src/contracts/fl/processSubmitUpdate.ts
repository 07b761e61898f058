/**
 * `fl.update` — a participant of U2 sends its masked update y_u (Bonawitz et al.,
 * MaskedInputCollection) with the number of records it used and a salted hash commitment to
 * (its update, the ids of those records), which it can open to an auditor. The ledger checks
 * the form: y_u has the round's dimension and every element is in Z_q, and the count is
 * positive. A malformed update is recorded as such (the participant then counts as dropped:
 * its pairwise masks are removed with its revealed mask key, its update is not used); an
 * update after the phase closed is recorded as late. Neither stalls the round.
 */
import { fromB64u, vectorFromBytes } from '@medledger/crypto';
import { OK, type Contract } from '../../contract.js';
import { B64U, HEX32 } from '../../validate.js';
import {
  C,
  fail,
  int,
  isLoaded,
  loadPost,
  obj,
  onlyKeys,
  parseRoundRef,
  str,
  type RoundRef,
} from './common.js';
import { afterPost, recordContribution, saveRound } from './rounds.js';
import { FL_MAX_RECORDS, asJson, flKeys, type FlUpdatePost } from './state.js';

export interface SubmitUpdatePayload extends RoundRef {
  masked: string;
  records: number;
  commitment: string;
}

function checkMasked(masked: string, dimension: number): string | undefined {
  let v: bigint[];
  try {
    v = vectorFromBytes(fromB64u(masked));
  } catch (e) {
    return `masked update: ${(e as Error).message}`;
  }
  if (v.length !== dimension) return `masked update has ${v.length} elements; the round has ${dimension}`;
  return undefined;
}

export const processSubmitUpdate: Contract<SubmitUpdatePayload> = {
  type: 'fl.update',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['studyId', 'round', 'masked', 'records', 'commitment'], 'payload', C);
    return {
      ...parseRoundRef(p),
      masked: str(p.masked, 'payload.masked', C, 120_000, B64U),
      records: int(p.records, 'payload.records', C, 0, Number.MAX_SAFE_INTEGER),
      commitment: str(p.commitment, 'payload.commitment', C, 64, HEX32),
    };
  },
  execute(ctx, p) {
    const loaded = loadPost(ctx, p);
    if (!isLoaded(loaded)) return loaded;
    const { study, round, org } = loaded;
    if (ctx.state.get(flKeys.update(p.studyId, p.round, org)) !== undefined)
      return fail('FL_ALREADY_POSTED', `${org} sent its update already`);
    const height = ctx.height;
    if (loaded.late || round.phase === 'unmask' || round.phase === 'done' || round.phase === 'failed') {
      recordContribution(round, org, { status: 'late', phase: 'masked', records: p.records, height });
      ctx.emit({ type: 'fl.contribution', studyId: p.studyId, round: p.round, org, status: 'late' });
      saveRound(ctx, study, round);
      return OK;
    }
    if (round.phase !== 'masked')
      return fail('FL_WRONG_PHASE', `round ${p.round} is in its ${round.phase} phase`);
    if (!round.expected.includes(org)) return fail('FL_NOT_IN_ROUND', `${org} dealt no shares in this round`);
    if (round.contributions[org]?.status === 'malformed')
      return fail('FL_ALREADY_POSTED', `${org} sent a malformed update already`);
    const reason =
      checkMasked(p.masked, round.dimension) ??
      (p.records < 1 || p.records > FL_MAX_RECORDS ? `records must be in [1, ${FL_MAX_RECORDS}]` : undefined);
    if (reason) {
      recordContribution(round, org, {
        status: 'malformed',
        phase: 'masked',
        records: p.records,
        reason,
        height,
      });
      ctx.emit({ type: 'fl.contribution', studyId: p.studyId, round: p.round, org, status: 'malformed' });
    } else {
      const post: FlUpdatePost = { masked: p.masked, records: p.records, commitment: p.commitment, height };
      ctx.state.put(flKeys.update(p.studyId, p.round, org), asJson(post));
      round.posted = [...round.posted, org];
    }
    afterPost(ctx, study, round);
    return OK;
  },
};
