/**
 * Recomputing a round's aggregate from what the ledger holds (Bonawitz et al. 2017,
 * Unmasking). The aggregator's `fl.aggregate` is checked against this by every node, and a
 * client re-runs it over a round's transcript (`verifyRound`): nobody has to trust the
 * aggregator's arithmetic.
 *
 * For each survivor u ∈ U3 the self-mask seed b_u is rebuilt from t revealed shares and must
 * match the commitment u posted with its shares; for each participant w ∈ U2 \ U3 that dealt
 * shares but sent no valid update, the mask key s_w^SK is rebuilt and must match its posted
 * public key. Shares come from the `fl.unmask` posts in participant order; if the first t do
 * not open to the commitment (a wrong share), other subsets of t are tried, at most
 * {@link MAX_SUBSETS} of them, so that one bad share cannot block a round that has spares.
 */
import {
  fromB64u,
  shamirCombine,
  shamirShareFromBytes,
  selfMaskCommitment,
  toHex,
  unmaskSum,
  vectorFromBytes,
  vectorToBytes,
  x25519PublicKeyOf,
  toB64u,
  type ShamirShare,
} from '@medledger/crypto';
import type { StateReader } from '../../state.js';
import { nextModel, roundContext } from './model.js';
import {
  flKeys,
  getModel,
  participantX,
  type FlKeysPost,
  type FlModel,
  type FlRound,
  type FlSharesPost,
  type FlStudy,
  type FlUnmaskPost,
  type FlUpdatePost,
} from './state.js';

/** Subsets of t shares tried per secret before giving up. */
export const MAX_SUBSETS = 64;

/** Everything the ledger holds about a round that its aggregate depends on. */
export interface RoundTranscript {
  chainId: string;
  study: FlStudy;
  round: FlRound;
  /** The model before this round (undefined for round 0). */
  previous?: FlModel;
  keys: { [org: string]: FlKeysPost };
  shares: { [org: string]: FlSharesPost };
  updates: { [org: string]: FlUpdatePost };
  unmasks: { [org: string]: FlUnmaskPost };
}

export type RecomputeResult =
  | { ok: true; aggregate: bigint[]; aggregateB64u: string; records: number; model: FlModel }
  | { ok: false; code: string; message: string };

/** Reads a round's transcript from state (the posts of U2 and the unmask posts of the phase). */
export function readRoundTranscript(
  state: StateReader,
  chainId: string,
  study: FlStudy,
  round: FlRound,
): RoundTranscript {
  const id = study.studyId;
  const r = round.round;
  const t: RoundTranscript = { chainId, study, round, keys: {}, shares: {}, updates: {}, unmasks: {} };
  const previous = r > 0 ? getModel(state, id, r - 1) : undefined;
  if (previous) t.previous = previous;
  for (const org of round.u2 ?? []) {
    const k = state.get(flKeys.keys(id, r, org)) as FlKeysPost | undefined;
    const s = state.get(flKeys.shares(id, r, org)) as FlSharesPost | undefined;
    const u = state.get(flKeys.update(id, r, org)) as FlUpdatePost | undefined;
    if (k) t.keys[org] = k;
    if (s) t.shares[org] = s;
    if (u) t.updates[org] = u;
  }
  for (const org of unmaskPosters(round)) {
    const m = state.get(flKeys.unmask(id, r, org)) as FlUnmaskPost | undefined;
    if (m) t.unmasks[org] = m;
  }
  return t;
}

/** Who posted unmask shares: the current posters in the unmask phase, or U3 of a done round. */
function unmaskPosters(round: FlRound): string[] {
  return round.phase === 'unmask' ? round.posted : (round.u3 ?? []);
}

/** Subsets of size k of [0, n), in lexicographic order, at most `limit` of them. */
function subsets(n: number, k: number, limit: number): number[][] {
  const out: number[][] = [];
  const pick = (start: number, acc: number[]): void => {
    if (out.length >= limit) return;
    if (acc.length === k) {
      out.push([...acc]);
      return;
    }
    for (let i = start; i <= n - (k - acc.length); i++) pick(i + 1, [...acc, i]);
  };
  pick(0, []);
  return out;
}

/** Rebuilds one 32-byte secret from the revealed shares, accepting the first subset that checks. */
function rebuild(
  shares: readonly ShamirShare[],
  threshold: number,
  check: (secret: Uint8Array) => boolean,
): Uint8Array | undefined {
  for (const idx of subsets(shares.length, threshold, MAX_SUBSETS)) {
    try {
      const secret = shamirCombine(
        idx.map((i) => shares[i]!),
        32,
      );
      if (check(secret)) return secret;
    } catch {
      // a share set that does not even give a 32-byte value: try the next subset
    }
  }
  return undefined;
}

/**
 * The aggregate of a round in its unmask phase (or done), the records it covers and the model
 * that follows. Fails with a code when the transcript is incomplete or no subset of shares
 * opens a secret to its commitment.
 */
export function recomputeRound(t: RoundTranscript): RecomputeResult {
  const { study, round } = t;
  const u2 = round.u2 ?? [];
  const u3 = round.u3 ?? [];
  const fail = (code: string, message: string): RecomputeResult => ({ ok: false, code, message });
  const posters = Object.keys(t.unmasks).sort((a, b) => participantX(study, a) - participantX(study, b));
  if (posters.length < study.threshold)
    return fail('FL_NOT_ENOUGH_SHARES', `${posters.length} unmask posts; ${study.threshold} are needed`);
  const context = roundContext(t.chainId, study.studyId, round.round);
  const revealed = (owner: string, kind: 'b' | 's'): ShamirShare[] =>
    posters.flatMap((p) => {
      const v = t.unmasks[p]![kind][owner];
      return v === undefined ? [] : [shamirShareFromBytes(participantX(study, p), fromB64u(v))];
    });
  try {
    const survivors = [];
    let records = 0;
    for (const u of u3) {
      const keys = t.keys[u];
      const dealt = t.shares[u];
      const update = t.updates[u];
      if (!keys || !dealt || !update) return fail('FL_TRANSCRIPT', `the posts of ${u} are incomplete`);
      const selfSeed = rebuild(
        revealed(u, 'b'),
        study.threshold,
        (b) => toHex(selfMaskCommitment(b, context)) === dealt.bCommit,
      );
      if (!selfSeed)
        return fail('FL_UNMASK_FAILED', `no ${study.threshold} shares open the self mask of ${u}`);
      survivors.push({
        id: u,
        masked: vectorFromBytes(fromB64u(update.masked)),
        selfSeed,
        publicKey: fromB64u(keys.s),
      });
      records += update.records;
    }
    const dropped = [];
    for (const w of u2.filter((o) => !u3.includes(o))) {
      const keys = t.keys[w];
      if (!keys) return fail('FL_TRANSCRIPT', `the keys of ${w} are missing`);
      const privateKey = rebuild(
        revealed(w, 's'),
        study.threshold,
        (sk) => toB64u(x25519PublicKeyOf(sk)) === keys.s,
      );
      if (!privateKey)
        return fail('FL_UNMASK_FAILED', `no ${study.threshold} shares open the mask key of ${w}`);
      dropped.push({ id: w, privateKey });
    }
    const aggregate = unmaskSum({ survivors, dropped, length: round.dimension, context });
    const aggregateB64u = toB64u(vectorToBytes(aggregate));
    const model = nextModel(study, round.round, round.kind, t.previous, aggregate, aggregateB64u, records);
    return { ok: true, aggregate, aggregateB64u, records, model };
  } catch (e) {
    return fail('FL_TRANSCRIPT', `the round's posts do not aggregate: ${(e as Error).message}`);
  }
}
