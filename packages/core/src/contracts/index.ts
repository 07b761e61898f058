/** The contracts every medledger chain runs, one rule per file. */
import { ContractRegistry, type Contract } from '../contract.js';
import { processAnchorRecord } from './records/processAnchorRecord.js';
import { processEnrollMember } from './registry/processEnrollMember.js';
import { processRevokeMember } from './registry/processRevokeMember.js';
import { processWriteDss } from './records/processWriteDss.js';
import { processWriteSpv } from './records/processWriteSpv.js';
import { processWriteStt } from './records/processWriteStt.js';
import { processEraseRecord } from './records/processEraseRecord.js';
import { processSetCareTeam } from './patients/processSetCareTeam.js';
import { processSetRecordQuorum } from './patients/processSetRecordQuorum.js';
import { processGrantConsent } from './consent/processGrantConsent.js';
import { processRevokeConsent } from './consent/processRevokeConsent.js';
import { processRequestAccess } from './access/processRequestAccess.js';
import { processLogAccess } from './access/processLogAccess.js';
import { confidentialityContracts } from './confidentiality/index.js';
import { anonymityContracts } from './anonymity/index.js';
import { consortiumContracts } from './consortium/index.js';
import { pharmacyContracts } from './pharmacy/index.js';
import { supplyContracts } from './supply/index.js';
import { paymentsContracts } from './payments/index.js';
import { flContracts } from './fl/index.js';

export { processAnchorRecord, anchorKey, type AnchorRecordPayload } from './records/processAnchorRecord.js';
export { processEnrollMember, type EnrollMemberPayload } from './registry/processEnrollMember.js';
export { processRevokeMember, type RevokeMemberPayload } from './registry/processRevokeMember.js';
export { ORG_MEMBER_ROLES, mayIssueRole } from './registry/roles.js';
export { processWriteDss, type WriteDssPayload } from './records/processWriteDss.js';
export { processWriteSpv, type WriteSpvPayload } from './records/processWriteSpv.js';
export { processWriteStt, type WriteSttPayload } from './records/processWriteStt.js';
export {
  processEraseRecord,
  DSS_ERASURE_REFUSAL,
  type EraseRecordPayload,
} from './records/processEraseRecord.js';
export { processSetCareTeam, type SetCareTeamPayload } from './patients/processSetCareTeam.js';
export { processSetRecordQuorum, type SetRecordQuorumPayload } from './patients/processSetRecordQuorum.js';
export { processGrantConsent, type GrantConsentPayload } from './consent/processGrantConsent.js';
export { processRevokeConsent, type RevokeConsentPayload } from './consent/processRevokeConsent.js';
export { processRequestAccess, type RequestAccessPayload } from './access/processRequestAccess.js';
export { processLogAccess, type AccessLogEntry, type LogAccessPayload } from './access/processLogAccess.js';

/** A registry with every built-in contract. */
export function defaultContracts(): ContractRegistry {
  const r = new ContractRegistry()
    .register(processEnrollMember)
    .register(processRevokeMember)
    .register(processAnchorRecord)
    .register(processSetCareTeam)
    .register(processSetRecordQuorum)
    .register(processWriteDss)
    .register(processWriteSpv)
    .register(processWriteStt)
    .register(processEraseRecord)
    .register(processGrantConsent)
    .register(processRevokeConsent)
    .register(processRequestAccess)
    .register(processLogAccess);
  for (const c of [
    ...confidentialityContracts,
    ...anonymityContracts,
    ...consortiumContracts,
    ...pharmacyContracts,
    ...supplyContracts,
    ...paymentsContracts,
    ...flContracts,
  ])
    r.register(c as Contract<unknown>);
  return r;
}

export * from './consortium/index.js';
export * from './txPayloads.js';
export * from './events.js';
export {
  confidentialityContracts,
  anonymityContracts,
  pharmacyContracts,
  supplyContracts,
  paymentsContracts,
  flContracts,
};
