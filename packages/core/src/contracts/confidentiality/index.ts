/** Contracts of the confidentiality schemes (ABE-encrypted STT, emergency PRE, HE sums, PEKS). */
import type { Contract } from '../../contract.js';
import { processPublishKeys } from './processPublishKeys.js';
import { processRegisterAbeAuthority } from './processRegisterAbeAuthority.js';
import { processWriteSttAbe } from './processWriteSttAbe.js';
import { processWritePreRecord } from './processWritePreRecord.js';
import { processSetupEmergency } from './processSetupEmergency.js';
import { processRevokeKFrags } from './processRevokeKFrags.js';
import { processRequestEmergency } from './processRequestEmergency.js';
import { processPostCFrag } from './processPostCFrag.js';
import { processPostExpense } from './processPostExpense.js';
import { processClaimTotal } from './processClaimTotal.js';
import { processReleaseTotal } from './processReleaseTotal.js';
import { processPostPeksIndex } from './processPostPeksIndex.js';

export * from './state.js';
export { EMERGENCY_REASONS, type EmergencyReason } from './processRequestEmergency.js';

export const confidentialityContracts: Contract<never>[] = [
  processPublishKeys,
  processRegisterAbeAuthority,
  processWriteSttAbe,
  processWritePreRecord,
  processSetupEmergency,
  processRevokeKFrags,
  processRequestEmergency,
  processPostCFrag,
  processPostExpense,
  processClaimTotal,
  processReleaseTotal,
  processPostPeksIndex,
] as unknown as Contract<never>[];
