/**
 * How a round's aggregate becomes the next model — the rule every node re-applies, so the
 * model on the ledger follows from the aggregate on the ledger:
 *   round 0 (moments): the aggregate is (Σ x_j, Σ x_j²) over all records; mean_j = Σx_j / N,
 *     std_j = sqrt(Σx_j² / N − mean_j²) (1 when that is not positive);
 *   round r ≥ 1 (train): the aggregate is Σ_u n_u (w_u − w) over the participants' locally
 *     trained weights w_u; the new weights are w + aggregate / N (federated averaging,
 *     McMahan et al. 2017, weighted by record counts).
 * Only IEEE-754 addition, multiplication, division and square root are used: they are
 * correctly rounded, so every node computes the same bits.
 */
import { canonicalize, decodeFixedPoint, hashTaggedTextHex, utf8 } from '@medledger/crypto';
import type { FlModel, FlRoundKind, FlStudySpec } from './state.js';

export const FL_MODEL_TAG = 'medledger/fl/model/v1';

/** The context bytes of a round: every mask and share of the round is bound to it. */
export function roundContext(chainId: string, studyId: string, round: number): Uint8Array {
  return utf8(`medledger/fl/v1|${chainId}|${studyId}|${round}`);
}

/** Hash of a model: tagged SHA-256 of the canonical {mean, round, std, studyId, weights}, hex. */
export function modelHashOf(m: Pick<FlModel, 'studyId' | 'round' | 'mean' | 'std' | 'weights'>): string {
  return hashTaggedTextHex(
    FL_MODEL_TAG,
    canonicalize({ studyId: m.studyId, round: m.round, mean: m.mean, std: m.std, weights: m.weights }),
  );
}

/**
 * The model after a round, from the previous model (none before round 0), the unmasked
 * aggregate (elements of Z_q) and the number of records it covers.
 * @throws RangeError if the aggregate's length does not fit the round or `records` < 1
 */
export function nextModel(
  study: FlStudySpec,
  round: number,
  kind: FlRoundKind,
  previous: FlModel | undefined,
  aggregate: readonly bigint[],
  aggregateB64u: string,
  records: number,
): FlModel {
  const f = study.model.features;
  if (!(records >= 1)) throw new RangeError('a model needs at least one record');
  const sum = decodeFixedPoint(aggregate);
  let mean: number[];
  let std: number[];
  let weights: number[];
  if (kind === 'moments') {
    if (sum.length !== 2 * f) throw new RangeError('moments aggregate has the wrong length');
    mean = sum.slice(0, f).map((s) => s / records);
    std = sum.slice(f).map((s2, j) => {
      const v = s2 / records - mean[j]! * mean[j]!;
      return v > 0 ? Math.sqrt(v) : 1;
    });
    weights = new Array<number>(f + 1).fill(0);
  } else {
    if (!previous) throw new RangeError('a training round needs the previous model');
    if (sum.length !== f + 1) throw new RangeError('training aggregate has the wrong length');
    mean = [...previous.mean];
    std = [...previous.std];
    weights = previous.weights.map((w, j) => w + sum[j]! / records);
  }
  const m = { studyId: study.studyId, round, mean, std, weights };
  return { ...m, kind, records, aggregate: aggregateB64u, hash: modelHashOf(m) };
}
