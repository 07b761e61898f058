/**
 * The life of a round, shared by the fl contracts. A phase closes when every participant it
 * waits for has posted (or posted something malformed), or, after its deadline, when anyone
 * entitled sends `fl.advance`; it then continues with whoever posted, if they are at least the
 * threshold t, and fails the round (and the study) otherwise. The ledger fixes who is in U1,
 * U2 and U3, so every participant sees the same sets: the consistency check that Bonawitz et
 * al. need an extra round and signatures for is the ledger's ordering here.
 */
import type { TxContext } from '../../contract.js';
import {
  asJson,
  flKeys,
  roundDimension,
  type FlContribution,
  type FlPhase,
  type FlRound,
  type FlStudy,
} from './state.js';

const NEXT: Partial<Record<FlPhase, { next: FlPhase; set: 'u1' | 'u2' | 'u3'; what: string }>> = {
  keys: { next: 'shares', set: 'u1', what: 'posted keys' },
  shares: { next: 'masked', set: 'u2', what: 'dealt shares' },
  masked: { next: 'unmask', set: 'u3', what: 'sent a valid masked update' },
};

/** Writes a study and a round. */
export function saveRound(ctx: TxContext, study: FlStudy, round: FlRound): void {
  ctx.state.put(flKeys.study(study.studyId), asJson(study));
  ctx.state.put(flKeys.round(round.studyId, round.round), asJson(round));
}

/** Opens round `r` of a running study in its keys phase (the caller saves the study). */
export function openRound(ctx: TxContext, study: FlStudy, r: number): FlRound {
  const kind = r === 0 ? 'moments' : 'train';
  const round: FlRound = {
    studyId: study.studyId,
    round: r,
    kind,
    dimension: roundDimension(study, kind),
    phase: 'keys',
    deadline: ctx.time + study.phaseMs,
    openedAt: ctx.time,
    openedHeight: ctx.height,
    expected: [...study.active],
    posted: [],
    contributions: {},
  };
  study.round = r;
  ctx.emit({ type: 'fl.round', studyId: study.studyId, round: r, phase: 'keys' });
  return round;
}

/** Starts a study with the participants that joined, or fails it if they are too few. */
export function startStudy(ctx: TxContext, study: FlStudy): FlRound | undefined {
  study.active = [...study.joined].sort();
  if (study.active.length < study.threshold) {
    study.status = 'failed';
    study.failure = `only ${study.active.length} of the ${study.threshold} participants needed joined`;
    ctx.emit({ type: 'fl.study', studyId: study.studyId, status: 'failed' });
    return undefined;
  }
  study.status = 'running';
  ctx.emit({ type: 'fl.study', studyId: study.studyId, status: 'running' });
  return openRound(ctx, study, 0);
}

/** Whether a participant's post in the current phase was recorded as malformed. */
export function failedInPhase(round: FlRound, org: string): boolean {
  const c = round.contributions[org];
  return c?.status === 'malformed' && c.phase === round.phase;
}

/** Every participant the phase waits for has posted or was recorded malformed in it. */
export function phaseComplete(round: FlRound): boolean {
  return round.expected.every((o) => round.posted.includes(o) || failedInPhase(round, o));
}

/** Records a late or malformed contribution; an earlier malformed record is kept. */
export function recordContribution(round: FlRound, org: string, c: FlContribution): void {
  if (round.contributions[org]?.status === 'malformed') return;
  round.contributions[org] = c;
}

/** Fails the round and the study; contributions are completed as of now. */
export function failRound(ctx: TxContext, study: FlStudy, round: FlRound, reason: string): void {
  round.phase = 'failed';
  round.failure = reason;
  round.closedAt = ctx.time;
  round.closedHeight = ctx.height;
  completeContributions(study, round);
  study.status = 'failed';
  study.failure = `round ${round.round}: ${reason}`;
  ctx.emit({ type: 'fl.round', studyId: study.studyId, round: round.round, phase: 'failed' });
  ctx.emit({ type: 'fl.study', studyId: study.studyId, status: 'failed' });
}

/**
 * Closes the keys, shares or masked phase with whoever posted in it: the next phase, or a
 * failed round when fewer than the threshold did.
 */
export function closePhase(ctx: TxContext, study: FlStudy, round: FlRound): void {
  const step = NEXT[round.phase];
  if (!step) throw new RangeError(`phase ${round.phase} is not closed by posts`);
  const set = round.expected.filter((o) => round.posted.includes(o));
  if (set.length < study.threshold) {
    failRound(
      ctx,
      study,
      round,
      `only ${set.length} participants ${step.what}; ${study.threshold} are needed`,
    );
    return;
  }
  round[step.set] = set;
  round.phase = step.next;
  round.expected = set;
  round.posted = [];
  round.deadline = ctx.time + study.phaseMs;
  ctx.emit({ type: 'fl.round', studyId: study.studyId, round: round.round, phase: step.next });
}

/** After a post: closes the phase if it is complete, and saves. */
export function afterPost(ctx: TxContext, study: FlStudy, round: FlRound): void {
  if (round.phase !== 'unmask' && phaseComplete(round)) closePhase(ctx, study, round);
  saveRound(ctx, study, round);
}

/**
 * The final contribution record of every participant without one: where it stopped — absent
 * (no keys), or dropped in the first phase it did not post in. A participant that did all it
 * was asked until the round ended gets no record here (the aggregate marks U3 'included').
 * Late and malformed records stay as they were.
 */
export function completeContributions(study: FlStudy, round: FlRound): void {
  const current = round.phase === 'failed' ? failedPhase(round) : 'unmask';
  const steps: [phase: 'keys' | 'shares' | 'masked' | 'unmask', done: readonly string[] | undefined][] = [
    ['keys', round.u1],
    ['shares', round.u2],
    ['masked', round.u3],
  ];
  for (const org of study.active) {
    if (round.contributions[org]) continue;
    for (const [phase, done] of steps) {
      const finished = done ?? (phase === current ? round.posted : undefined);
      if (finished === undefined) break; // the round never reached this phase
      if (!finished.includes(org)) {
        round.contributions[org] = { status: phase === 'keys' ? 'absent' : 'dropped', phase };
        break;
      }
    }
  }
}

/** The phase a failed round failed in: the first whose participant set was never fixed. */
function failedPhase(round: FlRound): 'keys' | 'shares' | 'masked' | 'unmask' {
  if (!round.u1) return 'keys';
  if (!round.u2) return 'shares';
  if (!round.u3) return 'masked';
  return 'unmask';
}
