/** The contracts every medledger chain runs. */
import { ContractRegistry } from '../contract.js';
import { processAnchorRecord } from './records/processAnchorRecord.js';
import { processEnrollMember } from './registry/processEnrollMember.js';
import { processRevokeMember } from './registry/processRevokeMember.js';

export { processAnchorRecord, recordKey, type AnchorRecordPayload } from './records/processAnchorRecord.js';
export { processEnrollMember, type EnrollMemberPayload } from './registry/processEnrollMember.js';
export { processRevokeMember, type RevokeMemberPayload } from './registry/processRevokeMember.js';

/** A registry with every built-in contract. */
export function defaultContracts(): ContractRegistry {
  return new ContractRegistry()
    .register(processEnrollMember)
    .register(processRevokeMember)
    .register(processAnchorRecord);
}
