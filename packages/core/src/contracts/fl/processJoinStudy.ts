/**
 * `fl.join` — a participating hospital's node agrees to take part in a study. The first round
 * opens when the last named participant joins (or, after the join deadline, with those who
 * joined, by `fl.advance`).
 */
import { OK, type Contract } from '../../contract.js';
import { C, ID, fail, nodeSigner, obj, onlyKeys, str } from './common.js';
import { saveRound, startStudy } from './rounds.js';
import { asJson, flKeys, editStudy } from './state.js';

export interface JoinStudyPayload {
  studyId: string;
}

export const processJoinStudy: Contract<JoinStudyPayload> = {
  type: 'fl.join',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['studyId'], 'payload', C);
    return { studyId: str(p.studyId, 'payload.studyId', C, 64, ID) };
  },
  execute(ctx, p) {
    const org = nodeSigner(ctx);
    if (org === undefined) return fail('UNAUTHORIZED', "a hospital joins with its node's key");
    const study = editStudy(ctx.state, p.studyId);
    if (!study) return fail('FL_UNKNOWN_STUDY', `no study ${p.studyId}`);
    if (!study.participants.includes(org))
      return fail('FL_NOT_PARTICIPANT', `${org} is not named by the study`);
    if (study.status !== 'joining') return fail('FL_STUDY_CLOSED', `study ${p.studyId} is ${study.status}`);
    if (study.joined.includes(org)) return fail('FL_ALREADY_POSTED', `${org} has joined already`);
    study.joined = [...study.joined, org].sort();
    ctx.emit({ type: 'fl.joined', studyId: p.studyId, org });
    if (study.joined.length === study.participants.length) {
      const round = startStudy(ctx, study);
      if (round) saveRound(ctx, study, round);
      else ctx.state.put(flKeys.study(study.studyId), asJson(study));
      return OK;
    }
    ctx.state.put(flKeys.study(study.studyId), asJson(study));
    return OK;
  },
};
