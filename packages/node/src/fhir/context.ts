/**
 * What the FHIR facade's services share: the node's record services (access decisions, the
 * access log, the indexes, the EHR store) and who is asking.
 */
import { PURPOSES, type MemberEntry, type Purpose } from '@medledger/core';
import type { RecordServices } from '../records/services.js';
import { fhirError } from './outcome.js';
import type { SmartScope } from './scopes.js';

/** The facade's view of the node. */
export interface FhirContext {
  records: RecordServices;
  now: () => number;
  /** How long a create or a Consent waits for its transaction to commit (ms). */
  commitWaitMs: number;
}

/** An authenticated request to the facade. */
export interface FhirRequester {
  member: MemberEntry;
  /** What the access token allows (everything for a signed medledger request). */
  scopes: readonly SmartScope[];
  /** Why the records are read (the `X-Purpose-Of-Use` header, default treatment). */
  purpose: Purpose;
}

/** v3 ActReason codes (IHE BALP / PCF) → medledger purposes. */
export const ACT_REASON: Readonly<Record<string, Purpose>> = {
  TREAT: 'treatment',
  ETREAT: 'emergency',
  BTG: 'emergency',
  HPAYMT: 'payment',
  HRESCH: 'research',
};

/** medledger purpose → v3 ActReason code. */
export const PURPOSE_CODE: Readonly<Record<Purpose, string>> = {
  treatment: 'TREAT',
  emergency: 'ETREAT',
  payment: 'HPAYMT',
  research: 'HRESCH',
};

/** The CodeSystem of v3 ActReason. */
export const ACT_REASON_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';

/**
 * The purpose of a request from `X-Purpose-Of-Use`: a v3 ActReason code (TREAT, HPAYMT,
 * HRESCH, ETREAT, BTG) or a medledger purpose; treatment when absent.
 */
export function purposeOf(header: string | undefined): Purpose {
  if (header === undefined || header === '') return 'treatment';
  const p = ACT_REASON[header] ?? (PURPOSES as readonly string[]).find((x) => x === header);
  if (p === undefined)
    throw fhirError(
      'MALFORMED_REQUEST',
      `X-Purpose-Of-Use must be one of ${Object.keys(ACT_REASON).join(', ')} or ${PURPOSES.join(', ')}`,
    );
  return p as Purpose;
}
