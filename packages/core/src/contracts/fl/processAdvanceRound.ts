/**
 * `fl.advance` — after a deadline, closes what waits for participants that did not come: the
 * join phase (the study runs with those who joined), or the current round's keys, shares or
 * masked phase (the round goes on with those who posted). A round whose unmask phase is past
 * its deadline with fewer than t revealers, or with shares that do not unmask, fails. Sent by
 * the aggregator's node, a participant's node or the principal; never before the deadline, by
 * block time.
 */
import { OK, type Contract } from '../../contract.js';
import { C, ID, fail, obj, onlyKeys, str } from './common.js';
import { readRoundTranscript, recomputeRound } from './aggregate.js';
import { closePhase, failRound, saveRound, startStudy } from './rounds.js';
import { asJson, flKeys, editRound, editStudy, type FlStudy } from './state.js';
import type { TxContext } from '../../contract.js';

export interface AdvanceRoundPayload {
  studyId: string;
}

function entitled(ctx: TxContext, study: FlStudy): boolean {
  const s = ctx.signers[0];
  if (ctx.signers.length !== 1 || !s) return false;
  if (s.kind === 'member') return s.id === study.principal;
  return s.kind === 'node' && (s.org === study.aggregator || study.participants.includes(s.org));
}

export const processAdvanceRound: Contract<AdvanceRoundPayload> = {
  type: 'fl.advance',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['studyId'], 'payload', C);
    return { studyId: str(p.studyId, 'payload.studyId', C, 64, ID) };
  },
  execute(ctx, p) {
    const study = editStudy(ctx.state, p.studyId);
    if (!study) return fail('FL_UNKNOWN_STUDY', `no study ${p.studyId}`);
    if (!entitled(ctx, study))
      return fail('UNAUTHORIZED', 'a study is advanced by its principal, aggregator or participants');
    if (study.status === 'joining') {
      if (ctx.time < study.joinDeadline)
        return fail('FL_TOO_EARLY', `participants may join until ${study.joinDeadline}`);
      const round = startStudy(ctx, study);
      if (round) saveRound(ctx, study, round);
      else ctx.state.put(flKeys.study(study.studyId), asJson(study));
      return OK;
    }
    if (study.status !== 'running') return fail('FL_STUDY_CLOSED', `study ${p.studyId} is ${study.status}`);
    const round = editRound(ctx.state, p.studyId, study.round)!;
    if (ctx.time < round.deadline)
      return fail(
        'FL_TOO_EARLY',
        `the ${round.phase} phase of round ${round.round} runs until ${round.deadline}`,
      );
    if (round.phase === 'unmask') {
      if (round.posted.length < study.threshold) {
        const reason = `only ${round.posted.length} survivors revealed shares; ${study.threshold} are needed`;
        failRound(ctx, study, round, reason);
      } else {
        // Enough shares: the round fails only if they do not unmask (inconsistent shares).
        const r = recomputeRound(readRoundTranscript(ctx.state, ctx.tx.body.chainId, study, round));
        if (r.ok)
          return fail('FL_AWAITING_AGGREGATE', `round ${round.round} unmasks; the aggregator publishes it`);
        failRound(ctx, study, round, `the revealed shares do not unmask: ${r.message}`);
      }
    } else {
      closePhase(ctx, study, round);
    }
    saveRound(ctx, study, round);
    return OK;
  },
};
