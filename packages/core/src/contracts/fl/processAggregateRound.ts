/**
 * `fl.aggregate` — the study's aggregator publishes a round's aggregate and the hash of the
 * model that follows. Every node recomputes both from the round's posts on the ledger
 * (aggregate.ts: shares → self seeds and dropped keys → unmasked sum → model.ts) and refuses
 * a claim that differs. The round is then done: contribution records are final (included,
 * with its record count; dropped; absent; late; malformed), the model is stored with the
 * aggregate it follows from, and the next round opens — or the study is done.
 */
import { OK, type Contract } from '../../contract.js';
import { B64U, HEX32 } from '../../validate.js';
import { C, fail, nodeSigner, obj, onlyKeys, parseRoundRef, str, type RoundRef } from './common.js';
import { readRoundTranscript, recomputeRound } from './aggregate.js';
import { completeContributions, openRound, saveRound } from './rounds.js';
import { asJson, flKeys, editRound, editStudy } from './state.js';

export interface AggregateRoundPayload extends RoundRef {
  /** The unmasked sum, 16 bytes per element, base64url. */
  aggregate: string;
  modelHash: string;
}

export const processAggregateRound: Contract<AggregateRoundPayload> = {
  type: 'fl.aggregate',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['studyId', 'round', 'aggregate', 'modelHash'], 'payload', C);
    return {
      ...parseRoundRef(p),
      aggregate: str(p.aggregate, 'payload.aggregate', C, 120_000, B64U),
      modelHash: str(p.modelHash, 'payload.modelHash', C, 64, HEX32),
    };
  },
  execute(ctx, p) {
    const study = editStudy(ctx.state, p.studyId);
    if (!study) return fail('FL_UNKNOWN_STUDY', `no study ${p.studyId}`);
    if (nodeSigner(ctx) !== study.aggregator)
      return fail('FL_NOT_AGGREGATOR', `the aggregate is published by the node of ${study.aggregator}`);
    const round = editRound(ctx.state, p.studyId, p.round);
    if (study.status !== 'running' || p.round !== study.round || round?.phase !== 'unmask')
      return fail('FL_WRONG_PHASE', `round ${p.round} is not unmasking`);
    const r = recomputeRound(readRoundTranscript(ctx.state, ctx.tx.body.chainId, study, round));
    if (!r.ok) return fail(r.code, r.message);
    if (r.aggregateB64u !== p.aggregate)
      return fail('FL_AGGREGATE_MISMATCH', 'the aggregate does not follow from the round on the ledger');
    if (r.model.hash !== p.modelHash)
      return fail('FL_MODEL_MISMATCH', `the model that follows has hash ${r.model.hash}`);
    ctx.state.put(flKeys.model(p.studyId, p.round), asJson(r.model));
    round.phase = 'done';
    round.records = r.records;
    round.modelHash = r.model.hash;
    round.closedAt = ctx.time;
    round.closedHeight = ctx.height;
    for (const org of round.u3 ?? []) {
      const records = (ctx.state.get(flKeys.update(p.studyId, p.round, org)) as { records: number }).records;
      round.contributions[org] = { status: 'included', records };
    }
    completeContributions(study, round);
    ctx.emit({
      type: 'fl.model',
      studyId: p.studyId,
      round: p.round,
      hash: r.model.hash,
      records: r.records,
    });
    ctx.state.put(flKeys.round(p.studyId, p.round), asJson(round));
    if (p.round >= study.hyper.rounds) {
      study.status = 'done';
      ctx.emit({ type: 'fl.study', studyId: study.studyId, status: 'done' });
      ctx.state.put(flKeys.study(study.studyId), asJson(study));
      return OK;
    }
    saveRound(ctx, study, openRound(ctx, study, p.round + 1));
    return OK;
  },
};
