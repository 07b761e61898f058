/**
 * `fl.unmask` — a survivor (member of U3) reveals, from the shares dealt to it, a share of the
 * self-mask seed b_u of every u ∈ U3 and a share of the mask key s_w^SK of every w ∈ U2 \ U3
 * (Bonawitz et al., Unmasking). U3 is fixed on the ledger before anyone reveals, so an honest
 * participant never reveals both kinds of share for the same participant. Once t survivors
 * have posted, the aggregator can publish the round's aggregate.
 */
import { fromB64u, shamirShareFromBytes } from '@medledger/crypto';
import { OK, type Contract } from '../../contract.js';
import { B64U } from '../../validate.js';
import { C, fail, isLoaded, loadPost, obj, onlyKeys, parseRoundRef, str, type RoundRef } from './common.js';
import { saveRound } from './rounds.js';
import { asJson, flKeys, type FlUnmaskPost } from './state.js';

export interface PostUnmaskPayload extends RoundRef {
  b: { [org: string]: string };
  s: { [org: string]: string };
}

function parseShares(v: unknown, path: string): { [org: string]: string } {
  const o = obj(v, path, C);
  const out: { [org: string]: string } = {};
  for (const [k, x] of Object.entries(o)) out[k] = str(x, `${path}.${k}`, C, 128, B64U);
  return out;
}

function checkOwners(
  got: { [org: string]: string },
  want: readonly string[],
  kind: string,
): string | undefined {
  const keys = Object.keys(got).sort();
  const sorted = [...want].sort();
  if (keys.length !== sorted.length || keys.some((k, i) => k !== sorted[i]))
    return `${kind} shares must be for exactly ${sorted.join(', ') || 'nobody'}`;
  for (const k of keys) {
    try {
      shamirShareFromBytes(1, fromB64u(got[k]!));
    } catch {
      return `the ${kind} share for ${k} is not a field element`;
    }
  }
  return undefined;
}

export const processPostUnmask: Contract<PostUnmaskPayload> = {
  type: 'fl.unmask',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['studyId', 'round', 'b', 's'], 'payload', C);
    return { ...parseRoundRef(p), b: parseShares(p.b, 'payload.b'), s: parseShares(p.s, 'payload.s') };
  },
  execute(ctx, p) {
    const loaded = loadPost(ctx, p);
    if (!isLoaded(loaded)) return loaded;
    const { study, round, org } = loaded;
    if (loaded.late || round.phase !== 'unmask')
      return fail('FL_WRONG_PHASE', `round ${p.round} is not unmasking (${round.phase})`);
    if (!round.expected.includes(org))
      return fail('FL_NOT_IN_ROUND', `${org} is not a survivor of this round`);
    if (round.posted.includes(org)) return fail('FL_ALREADY_POSTED', `${org} revealed its shares already`);
    const u3 = round.u3 ?? [];
    const dropped = (round.u2 ?? []).filter((o) => !u3.includes(o));
    const bad = checkOwners(p.b, u3, 'self-mask') ?? checkOwners(p.s, dropped, 'mask-key');
    if (bad) return fail('FL_BAD_UNMASK', bad);
    const post: FlUnmaskPost = { b: p.b, s: p.s, height: ctx.height };
    ctx.state.put(flKeys.unmask(p.studyId, p.round, org), asJson(post));
    round.posted = [...round.posted, org];
    saveRound(ctx, study, round);
    return OK;
  },
};
