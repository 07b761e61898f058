/** Payload parsing and signer checks shared by the fl contracts. */
import { fail, type ContractResult, type TxContext } from '../../contract.js';
import { malformed } from '../../errors.js';
import { ID, int, obj, onlyKeys, str, type Obj } from '../../validate.js';
import { editRound, editStudy, type FlRound, type FlStudy } from './state.js';

export const C = 'INVALID_PAYLOAD';
export { fail, obj, onlyKeys, str, int, ID, type Obj };

/** The study and round a post is for. */
export interface RoundRef {
  studyId: string;
  round: number;
}

export function parseRoundRef(p: Obj): RoundRef {
  return {
    studyId: str(p.studyId, 'payload.studyId', C, 64, ID),
    round: int(p.round, 'payload.round', C, 0, 1000),
  };
}

/** A finite number in [min, max]. */
export function num(v: unknown, path: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) malformed(C, path, 'must be a finite number');
  if (v < min || v > max) malformed(C, path, `must be in [${min}, ${max}]`);
  return v;
}

/** The organization of a `node:<org>` signer, the only kind that posts for a participant. */
export function nodeSigner(ctx: TxContext): string | undefined {
  const s = ctx.signers[0];
  return ctx.signers.length === 1 && s?.kind === 'node' ? s.org : undefined;
}

/**
 * Loads a running study and the round a participant's post names, with the poster's org.
 * `late` is true when the post names an earlier round than the current one.
 */
export function loadPost(
  ctx: TxContext,
  ref: RoundRef,
): { study: FlStudy; round: FlRound; org: string; late: boolean } | ContractResult {
  const org = nodeSigner(ctx);
  if (org === undefined) return fail('UNAUTHORIZED', "a participant's post is signed by its node key");
  const study = editStudy(ctx.state, ref.studyId);
  if (!study) return fail('FL_UNKNOWN_STUDY', `no study ${ref.studyId}`);
  if (!study.participants.includes(org)) return fail('FL_NOT_PARTICIPANT', `${org} is not a participant`);
  if (ref.round > study.round || study.status === 'joining')
    return fail('FL_WRONG_ROUND', `round ${ref.round} has not started`);
  const round = editRound(ctx.state, ref.studyId, ref.round);
  if (!round) return fail('FL_WRONG_ROUND', `round ${ref.round} has not started`);
  return { study, round, org, late: ref.round < study.round || study.status !== 'running' };
}

/** Type guard: a loaded post rather than a failure. */
export function isLoaded<T extends object>(r: T | ContractResult): r is T {
  return !('code' in r);
}
