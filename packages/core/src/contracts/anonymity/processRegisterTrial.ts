/**
 * `anon.trial.register` — a sponsor organization opens an enrolment that requires a
 * zero-knowledge predicate: the participant proves, from a BBS credential of one of
 * `issuers`, that the hidden birth date (YYYYMMDD attribute `attribute`) makes them at least
 * `minAge` years old at the date of the enrolment block, without revealing it. Signed by the
 * sponsor's root key. Enrolments: `anon.trial.enrol`.
 */
import { OK, fail, type Contract } from '../../contract.js';
import { ID, arr, int, obj, onlyKeys, str } from '../../validate.js';
import { malformed } from '../../errors.js';
import { C } from './common.js';
import { anonKeys, asJson, getTrial, type TrialEntry } from './state.js';

export interface RegisterTrialPayload {
  trialId: string;
  minAge: number;
  issuers: string[];
  attribute: string;
}

export const processRegisterTrial: Contract<RegisterTrialPayload> = {
  type: 'anon.trial.register',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['trialId', 'minAge', 'issuers', 'attribute'], 'payload', C);
    const issuers = arr(p.issuers, 'payload.issuers', C, 1, 32).map((o, i) =>
      str(o, `payload.issuers[${i}]`, C, 64, ID),
    );
    if (new Set(issuers).size !== issuers.length) malformed(C, 'payload.issuers', 'must be distinct');
    return {
      trialId: str(p.trialId, 'payload.trialId', C, 64, ID),
      minAge: int(p.minAge, 'payload.minAge', C, 0, 150),
      issuers,
      attribute: str(p.attribute, 'payload.attribute', C, 64, ID),
    };
  },
  execute(ctx, p) {
    const org = ctx.signers[0];
    if (ctx.signers.length !== 1 || org?.kind !== 'org')
      return fail('UNAUTHORIZED', 'a trial is registered by its sponsor organization root key');
    if (getTrial(ctx.state, p.trialId)) return fail('TRIAL_EXISTS', `trial ${p.trialId} already exists`);
    const entry: TrialEntry = { ...p, sponsor: org.org, registeredAt: ctx.height };
    ctx.state.put(anonKeys.trial(p.trialId), asJson(entry));
    ctx.emit({ type: 'anon.trial.registered', trialId: p.trialId, sponsor: org.org });
    return OK;
  },
};
