/**
 * `fl.keys` — a participant opens its part in a round with two fresh X25519 public keys
 * (Bonawitz et al., AdvertiseKeys): `c` receives the Shamir shares the others deal to it,
 * `s` agrees the pairwise masks. Keys of the wrong size are recorded as a malformed
 * contribution; keys after the phase closed as a late one.
 */
import { fromB64u } from '@medledger/crypto';
import { OK, type Contract } from '../../contract.js';
import { B64U } from '../../validate.js';
import { C, fail, isLoaded, loadPost, obj, onlyKeys, parseRoundRef, str, type RoundRef } from './common.js';
import { afterPost, recordContribution, saveRound } from './rounds.js';
import { asJson, flKeys, type FlKeysPost } from './state.js';

export interface PostKeysPayload extends RoundRef {
  c: string;
  s: string;
}

export const processPostKeys: Contract<PostKeysPayload> = {
  type: 'fl.keys',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['studyId', 'round', 'c', 's'], 'payload', C);
    return {
      ...parseRoundRef(p),
      c: str(p.c, 'payload.c', C, 64, B64U),
      s: str(p.s, 'payload.s', C, 64, B64U),
    };
  },
  execute(ctx, p) {
    const loaded = loadPost(ctx, p);
    if (!isLoaded(loaded)) return loaded;
    const { study, round, org } = loaded;
    if (ctx.state.get(flKeys.keys(p.studyId, p.round, org)) !== undefined)
      return fail('FL_ALREADY_POSTED', `${org} posted its keys already`);
    if (loaded.late || round.phase !== 'keys') {
      recordContribution(round, org, { status: 'late', phase: 'keys', height: ctx.height });
      saveRound(ctx, study, round);
      return OK;
    }
    if (!round.expected.includes(org)) return fail('FL_NOT_IN_ROUND', `${org} is not active in this study`);
    const bad = [p.c, p.s].some((k) => {
      try {
        return fromB64u(k).length !== 32;
      } catch {
        return true;
      }
    });
    if (bad || p.c === p.s) {
      const reason = bad ? 'keys must be 32-byte X25519 public keys' : 'the two keys must differ';
      recordContribution(round, org, { status: 'malformed', phase: 'keys', reason, height: ctx.height });
    } else {
      const post: FlKeysPost = { c: p.c, s: p.s, height: ctx.height };
      ctx.state.put(flKeys.keys(p.studyId, p.round, org), asJson(post));
      round.posted = [...round.posted, org];
    }
    afterPost(ctx, study, round);
    return OK;
  },
};
