/**
 * The read decision for a member authenticated anonymously (a BBS credential presentation)
 * instead of by name: the same rules as `access.request` (contracts/access), with the
 * requester `{ memberId: <per-presentation pseudonym id>, org, role }` taken from the
 * disclosed, issuer-signed attributes. Role and organization grants apply as for a named
 * member; member grants, authorship and "the patient reads their own record" cannot match a
 * pseudonym (it is fresh for every presentation and is not a member id), so they never allow.
 * Pure: the state, the time and the height are inputs.
 */
import { decideRead } from '../../access/decideRead.js';
import type { Purpose, Requester } from '../../access/types.js';
import { getGrants, getRecord, getTransmissions, type RecordEntry } from '../../records/state.js';
import type { StateReader } from '../../state.js';

/** The outcome of {@link decideAnonymousRead}. */
export type AnonymousReadDecision =
  | { allow: true; code: 'OK'; basis: string; grantId?: string; linkage: boolean; record: RecordEntry }
  | { allow: false; code: string; grantId?: string; record?: RecordEntry };

/**
 * Decides an anonymous read of `recordId` for `purpose` at block time `at` and state height
 * `height`. DSS records are readable by any authenticated member (as for named requests); an
 * STT record only by its receivers, which a pseudonym never is (NOT_A_RECEIVER); an SPV record
 * by the patient's consent through `decideRead`; erased records by nobody.
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
  if (record.erasedAt !== undefined) return { allow: false, code: 'RECORD_ERASED', record };
  if (record.mode === 'dss') return { allow: true, code: 'OK', basis: 'member', linkage: true, record };
  if (record.mode === 'stt') {
    const receiver = getTransmissions(state, recordId).some((t) => t.to.includes(requester.memberId));
    return receiver
      ? { allow: true, code: 'OK', basis: 'receiver', linkage: true, record }
      : { allow: false, code: 'NOT_A_RECEIVER', record };
  }
  const d = decideRead(getGrants(state, record.patientId), { requester, record, purpose, at, height });
  if (d.allow)
    return {
      allow: true,
      code: 'OK',
      basis: d.basis,
      linkage: d.linkage,
      record,
      ...(d.grantId === undefined ? {} : { grantId: d.grantId }),
    };
  return { allow: false, code: d.code, record, ...(d.grantId === undefined ? {} : { grantId: d.grantId }) };
}
