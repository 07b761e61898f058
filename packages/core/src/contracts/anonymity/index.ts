/**
 * Contracts of the anonymity flows (issue 5): anonymous-credential issuers and their
 * revocation accumulators, group-signed (BBS04) and ring-signed (SAG / bLSAG) transactions
 * relayed by a node, enrolments that need a zero-knowledge predicate, and the log of reads
 * authenticated by a credential presentation. Also the pure
 * helpers the client and node share with them (message to sign, state keys, read decision).
 */
import type { Contract } from '../../contract.js';
import { processRegisterIssuer } from './processRegisterIssuer.js';
import { processUpdateAccumulator } from './processUpdateAccumulator.js';
import { processRegisterGroup } from './processRegisterGroup.js';
import { processRevokeGroupMember } from './processRevokeGroupMember.js';
import { processGroupSigned } from './processGroupSigned.js';
import { processPublishOpening } from './processPublishOpening.js';
import { processRegisterRingKey } from './processRegisterRingKey.js';
import { processRingSigned } from './processRingSigned.js';
import { processRegisterTrial } from './processRegisterTrial.js';
import { processEnrolTrial } from './processEnrolTrial.js';
import { processLogAnonymousRead } from './processLogAnonymousRead.js';

export * from './state.js';
export {
  ANON_TX_TAG,
  MAX_STATEMENT_BYTES,
  anonymousMessage,
  unsignedPayload,
  type AnonymousEnvelope,
  type JsonObject,
} from './common.js';
export * from './decideAnonymousRead.js';
export { processRegisterIssuer, type RegisterIssuerPayload } from './processRegisterIssuer.js';
export { processUpdateAccumulator, type UpdateAccumulatorPayload } from './processUpdateAccumulator.js';
export { processRegisterGroup, type RegisterGroupPayload } from './processRegisterGroup.js';
export { processRevokeGroupMember, type RevokeGroupMemberPayload } from './processRevokeGroupMember.js';
export { processGroupSigned, GROUP_SUBMIT, type GroupSignedPayload } from './processGroupSigned.js';
export { processPublishOpening, type PublishOpeningPayload } from './processPublishOpening.js';
export { processRegisterRingKey, type RegisterRingKeyPayload } from './processRegisterRingKey.js';
export {
  processRingSigned,
  RING_SUBMIT,
  MAX_LEDGER_RING,
  type RingSignedPayload,
} from './processRingSigned.js';
export { processRegisterTrial, type RegisterTrialPayload } from './processRegisterTrial.js';
export { processEnrolTrial, trialContext, trialScope, type EnrolTrialPayload } from './processEnrolTrial.js';
export {
  processLogAnonymousRead,
  anonReadContext,
  ANON_READ_REVEAL,
  type LogAnonymousReadPayload,
} from './processLogAnonymousRead.js';
export {
  accumulatorStatus,
  pseudonymIdOf,
  pseudonymIdOfJson,
  MAX_ACCUMULATOR_LAG,
} from './presentationFields.js';

export const anonymityContracts: Contract<never>[] = [
  processRegisterIssuer,
  processUpdateAccumulator,
  processRegisterGroup,
  processRevokeGroupMember,
  processGroupSigned,
  processPublishOpening,
  processRegisterRingKey,
  processRingSigned,
  processRegisterTrial,
  processEnrolTrial,
  processLogAnonymousRead,
] as unknown as Contract<never>[];
