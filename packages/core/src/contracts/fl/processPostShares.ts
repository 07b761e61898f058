/**
 * `fl.shares` — a participant of U1 deals t-of-|U1| Shamir shares of its mask key s^SK and of
 * a fresh self-mask seed b (Bonawitz et al., ShareKeys), each pair sealed (HPKE, envelope.ts)
 * to one other participant's `c` key and bound to the round, and commits to b. The ledger
 * checks the form: one envelope for every other member of U1, each for that member only;
 * anything else is recorded as a malformed contribution and the participant leaves the round.
 */
import { envelopeFromJson, envelopeReceiverIds, type JsonValue } from '@medledger/crypto';
import { OK, type Contract } from '../../contract.js';
import { HEX32 } from '../../validate.js';
import { C, fail, isLoaded, loadPost, obj, onlyKeys, parseRoundRef, str, type RoundRef } from './common.js';
import { afterPost, recordContribution, saveRound } from './rounds.js';
import { asJson, flKeys, type FlSharesPost } from './state.js';

export interface PostSharesPayload extends RoundRef {
  bCommit: string;
  shares: { [org: string]: JsonValue };
}

/** Largest sealed share pair accepted (JSON characters). */
const MAX_SHARE_CHARS = 2048;

function checkShares(
  shares: { [org: string]: JsonValue },
  recipients: readonly string[],
): string | undefined {
  const got = Object.keys(shares).sort();
  if (got.length !== recipients.length || got.some((o, i) => o !== recipients[i]))
    return `shares must go to exactly ${recipients.join(', ')}`;
  for (const org of got) {
    try {
      if (JSON.stringify(shares[org]).length > MAX_SHARE_CHARS) return `the share for ${org} is too large`;
      const ids = envelopeReceiverIds(envelopeFromJson(shares[org]));
      if (ids.length !== 1 || ids[0] !== org) return `the share for ${org} must be sealed to ${org} alone`;
    } catch {
      return `the share for ${org} is not a sealed envelope`;
    }
  }
  return undefined;
}

export const processPostShares: Contract<PostSharesPayload> = {
  type: 'fl.shares',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['studyId', 'round', 'bCommit', 'shares'], 'payload', C);
    return {
      ...parseRoundRef(p),
      bCommit: str(p.bCommit, 'payload.bCommit', C, 64, HEX32),
      shares: obj(p.shares, 'payload.shares', C) as { [org: string]: JsonValue },
    };
  },
  execute(ctx, p) {
    const loaded = loadPost(ctx, p);
    if (!isLoaded(loaded)) return loaded;
    const { study, round, org } = loaded;
    if (ctx.state.get(flKeys.shares(p.studyId, p.round, org)) !== undefined)
      return fail('FL_ALREADY_POSTED', `${org} dealt its shares already`);
    if (loaded.late || !['shares', 'keys'].includes(round.phase)) {
      recordContribution(round, org, { status: 'late', phase: 'shares', height: ctx.height });
      saveRound(ctx, study, round);
      return OK;
    }
    if (round.phase === 'keys') return fail('FL_WRONG_PHASE', 'the keys phase is still open');
    if (!round.expected.includes(org)) return fail('FL_NOT_IN_ROUND', `${org} posted no keys in this round`);
    const reason = checkShares(
      p.shares,
      round.expected.filter((o) => o !== org),
    );
    if (reason) {
      recordContribution(round, org, { status: 'malformed', phase: 'shares', reason, height: ctx.height });
    } else {
      const post: FlSharesPost = { bCommit: p.bCommit, shares: p.shares, height: ctx.height };
      ctx.state.put(flKeys.shares(p.studyId, p.round, org), asJson(post));
      round.posted = [...round.posted, org];
    }
    afterPost(ctx, study, round);
    return OK;
  },
};
