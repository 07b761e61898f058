/**
 * Contracts of consortium governance (issue 10 §4): adding and removing organizations,
 * rotating a node's key and setting the record policy, each approved by k of n founders. Also the pure helpers the client
 * and the node share with them (proof of possession, state keys, `isActiveNodeKey`).
 */
import type { Contract } from '../../contract.js';
import { processAddOrg } from './processAddOrg.js';
import { processRemoveOrg } from './processRemoveOrg.js';
import { processRotateNodeKey } from './processRotateNodeKey.js';
import { processSetRecordPolicy } from './processSetRecordPolicy.js';

export * from './state.js';
export * from './proof.js';
export { founderApproval } from './approval.js';
export { processAddOrg, type AddOrgPayload } from './processAddOrg.js';
export { processRemoveOrg, type RemoveOrgPayload } from './processRemoveOrg.js';
export { processRotateNodeKey, type RotateNodeKeyPayload } from './processRotateNodeKey.js';
export { processSetRecordPolicy, type SetRecordPolicyPayload } from './processSetRecordPolicy.js';

export const consortiumContracts: Contract<never>[] = [
  processAddOrg,
  processRemoveOrg,
  processRotateNodeKey,
  processSetRecordPolicy,
] as unknown as Contract<never>[];
