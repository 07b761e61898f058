/**
 * `fl.open` — a researcher of a research organization opens a federated study: the model,
 * the hyperparameters and number of rounds, the records it uses, the participating hospitals,
 * the unmasking threshold and the aggregator. Eligibility is fixed by who opens it: a record
 * counts only if the researcher (the study's principal) may read it for research under the
 * patient's consent (`decideRead`), decided against the state each round opened at.
 */
import { OK, type Contract } from '../../contract.js';
import { getOrg } from '../../identity.js';
import { malformed } from '../../errors.js';
import { arr } from '../../validate.js';
import { C, ID, fail, int, num, obj, onlyKeys, str } from './common.js';
import {
  FL_MAX_FEATURES,
  FL_MAX_PARTICIPANTS,
  asJson,
  flKeys,
  getStudy,
  getStudyIds,
  type FlStudy,
  type FlStudySpec,
} from './state.js';

export type OpenStudyPayload = FlStudySpec;

const KEYS = [
  'studyId',
  'title',
  'model',
  'hyper',
  'selection',
  'participants',
  'threshold',
  'aggregator',
  'phaseMs',
  'joinMs',
  'dp',
] as const;

export const processOpenStudy: Contract<OpenStudyPayload> = {
  type: 'fl.open',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, KEYS, 'payload', C);
    const m = obj(p.model, 'payload.model', C);
    onlyKeys(m, ['kind', 'features'], 'payload.model', C);
    if (m.kind !== 'logreg') malformed(C, 'payload.model.kind', 'must be logreg');
    const h = obj(p.hyper, 'payload.hyper', C);
    onlyKeys(h, ['rounds', 'localEpochs', 'learningRate', 'l2'], 'payload.hyper', C);
    const s = obj(p.selection, 'payload.selection', C);
    onlyKeys(s, ['resourceType', 'category', 'code'], 'payload.selection', C);
    const participants = arr(p.participants, 'payload.participants', C, 2, FL_MAX_PARTICIPANTS).map((x, i) =>
      str(x, `payload.participants[${i}]`, C, 64, ID),
    );
    if (new Set(participants).size !== participants.length)
      malformed(C, 'payload.participants', 'must be distinct');
    const sorted = [...participants].sort();
    if (sorted.some((x, i) => x !== participants[i])) malformed(C, 'payload.participants', 'must be sorted');
    const localEpochs = int(h.localEpochs, 'payload.hyper.localEpochs', C, 1, 1000);
    let dp: FlStudySpec['dp'];
    if (p.dp !== undefined) {
      const d = obj(p.dp, 'payload.dp', C);
      onlyKeys(d, ['clip', 'noiseMultiplier', 'delta'], 'payload.dp', C);
      if (localEpochs !== 1) malformed(C, 'payload.hyper.localEpochs', 'must be 1 with differential privacy');
      dp = {
        clip: num(d.clip, 'payload.dp.clip', 1e-6, 1e6),
        noiseMultiplier: num(d.noiseMultiplier, 'payload.dp.noiseMultiplier', 0, 1e6),
        delta: num(d.delta, 'payload.dp.delta', 1e-300, 0.01),
      };
    }
    const spec: FlStudySpec = {
      studyId: str(p.studyId, 'payload.studyId', C, 64, ID),
      title: str(p.title, 'payload.title', C, 200),
      model: { kind: 'logreg', features: int(m.features, 'payload.model.features', C, 1, FL_MAX_FEATURES) },
      hyper: {
        rounds: int(h.rounds, 'payload.hyper.rounds', C, 1, 1000),
        localEpochs,
        learningRate: num(h.learningRate, 'payload.hyper.learningRate', 1e-6, 100),
        l2: num(h.l2, 'payload.hyper.l2', 0, 100),
      },
      selection: {
        resourceType: str(s.resourceType, 'payload.selection.resourceType', C, 64, /^[A-Z][A-Za-z]+$/),
        category: str(s.category, 'payload.selection.category', C, 32, /^[a-z][a-z0-9-]*$/),
        code: str(s.code, 'payload.selection.code', C, 256),
      },
      participants,
      threshold: int(p.threshold, 'payload.threshold', C, 2, participants.length),
      aggregator: str(p.aggregator, 'payload.aggregator', C, 64, ID),
      phaseMs: int(p.phaseMs, 'payload.phaseMs', C, 100, 86_400_000),
      joinMs: int(p.joinMs, 'payload.joinMs', C, 100, 30 * 86_400_000),
    };
    if (dp) spec.dp = dp;
    return spec;
  },
  execute(ctx, p) {
    const signer = ctx.signers[0];
    if (ctx.signers.length !== 1 || signer?.kind !== 'member' || signer.role !== 'researcher')
      return fail('UNAUTHORIZED', 'a study is opened by a researcher alone');
    if (getOrg(ctx.state, signer.org)?.role !== 'research')
      return fail('UNAUTHORIZED', "the researcher's organization is not a research organization");
    if (getStudy(ctx.state, p.studyId)) return fail('FL_STUDY_EXISTS', `study ${p.studyId} already exists`);
    for (const org of p.participants) {
      if (getOrg(ctx.state, org)?.role !== 'cdo')
        return fail(
          'FL_BAD_STUDY',
          `participant ${org} is not a care delivery organization of the consortium`,
        );
    }
    if (!getOrg(ctx.state, p.aggregator))
      return fail('FL_BAD_STUDY', `aggregator ${p.aggregator} is not a consortium organization`);
    const study: FlStudy = {
      ...p,
      principal: signer.id,
      org: signer.org,
      openedAt: ctx.time,
      openedHeight: ctx.height,
      joinDeadline: ctx.time + p.joinMs,
      joined: [],
      status: 'joining',
      round: 0,
      active: [],
    };
    ctx.state.put(flKeys.study(p.studyId), asJson(study));
    ctx.state.put(flKeys.studies(), [...getStudyIds(ctx.state), p.studyId]);
    ctx.emit({ type: 'fl.study', studyId: p.studyId, status: 'joining', participants: p.participants });
    return OK;
  },
};
