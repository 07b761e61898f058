/**
 * The read decision for a member authenticated anonymously (a BBS credential presentation)
 * instead of by name: {@link decideRecordRead} (core/access), the one rule of `access.request`,
 * with the requester `{ memberId: <per-presentation pseudonym id>, org, role }` taken from the
 * disclosed, issuer-signed attributes and identity 'pseudonymous'. Role and organization
 * grants apply as for a named member; member grants, authorship and "the patient reads their
 * own record" cannot match a pseudonym (it is fresh for every presentation and is not a member
 * id), and a pseudonym is never an STT receiver. Pure: the state, the time and the height are
 * inputs.
 */
import { decideRecordRead, ledgerAttributes, type ReadView } from '../../access/decideRecordRead.js';
import type { Purpose, Requester } from '../../access/types.js';
import { getGrants, getRecord, getTransmissions, type RecordEntry } from '../../records/state.js';
import type { StateReader } from '../../state.js';

/** The outcome of {@link decideAnonymousRead}. */
export type AnonymousReadDecision =
  | {
      allow: true;
      code: 'OK';
      basis: string;
      grantId?: string;
      linkage: boolean;
      view: ReadView;
      record: RecordEntry;
    }
  | { allow: false; code: string; grantId?: string; record?: RecordEntry };

/**
 * Decides an anonymous read of `recordId` for `purpose` at block time `at` and state height
 * `height` (rules: core/access/decideRecordRead.ts).
 * @example decideAnonymousRead(node.store, { memberId: pseudonymId, org: 'institute', role: 'researcher' }, id, 'research', now, height)
 */
export function decideAnonymousRead(
  state: StateReader,
  requester: Requester,
  recordId: string,
  purpose: Purpose,
  at: number,
  height: number,
): AnonymousReadDecision {
  const record = getRecord(state, recordId);
  if (!record) return { allow: false, code: 'UNKNOWN_RECORD' };
  const d = decideRecordRead({
    record,
    requester,
    identity: 'pseudonymous',
    purpose,
    grants: getGrants(state, record.patientId),
    transmissions: getTransmissions(state, recordId),
    attributes: ledgerAttributes({ org: requester.org, role: requester.role }),
    at,
    height,
  });
  if (d.allow)
    return {
      allow: true,
      code: 'OK',
      basis: d.basis,
      linkage: d.linkage,
      view: d.view,
      record,
      ...(d.grantId === undefined ? {} : { grantId: d.grantId }),
    };
  return { allow: false, code: d.code, record, ...(d.grantId === undefined ? {} : { grantId: d.grantId }) };
}
