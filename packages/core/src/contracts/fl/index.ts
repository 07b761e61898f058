/**
 * Contracts of federated-learning studies with secure aggregation (survey §7.1): a study is
 * opened by a researcher, joined by hospitals' nodes, and run round by round — keys, shares,
 * masked updates, unmasking (Bonawitz et al. 2017) — with an aggregate every node re-derives,
 * contribution records for each participant, and the model after each round. Also the pure
 * helpers the client and node share with them (state keys, transcript recomputation, model rule).
 */
import type { Contract } from '../../contract.js';
import { processOpenStudy } from './processOpenStudy.js';
import { processJoinStudy } from './processJoinStudy.js';
import { processPostKeys } from './processPostKeys.js';
import { processPostShares } from './processPostShares.js';
import { processSubmitUpdate } from './processSubmitUpdate.js';
import { processPostUnmask } from './processPostUnmask.js';
import { processAggregateRound } from './processAggregateRound.js';
import { processAdvanceRound } from './processAdvanceRound.js';

export * from './state.js';
export { roundContext, modelHashOf, nextModel, FL_MODEL_TAG } from './model.js';
export {
  readRoundTranscript,
  recomputeRound,
  MAX_SUBSETS,
  type RoundTranscript,
  type RecomputeResult,
} from './aggregate.js';
export { processOpenStudy, type OpenStudyPayload } from './processOpenStudy.js';
export { processJoinStudy, type JoinStudyPayload } from './processJoinStudy.js';
export { processPostKeys, type PostKeysPayload } from './processPostKeys.js';
export { processPostShares, type PostSharesPayload } from './processPostShares.js';
export { processSubmitUpdate, type SubmitUpdatePayload } from './processSubmitUpdate.js';
export { processPostUnmask, type PostUnmaskPayload } from './processPostUnmask.js';
export { processAggregateRound, type AggregateRoundPayload } from './processAggregateRound.js';
export { processAdvanceRound, type AdvanceRoundPayload } from './processAdvanceRound.js';

export const flContracts: Contract<never>[] = [
  processOpenStudy,
  processJoinStudy,
  processPostKeys,
  processPostShares,
  processSubmitUpdate,
  processPostUnmask,
  processAggregateRound,
  processAdvanceRound,
] as unknown as Contract<never>[];
