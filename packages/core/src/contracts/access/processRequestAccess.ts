/**
 * `access.request` — a member asks to read a record for a purpose; the ledger decides, with
 * the one decision function of the core, at the block's time and height, and the request
 * and its outcome are the access-log entry (survey property: tracking and auditing). Denied
 * attempts are recorded too: the transaction is valid and its outcome is a denial.
 *
 * The decision is {@link decideRecordRead}'s (core/access), the one rule for every mode:
 * - SPV: decided by the patient's consent; on allow, the holding organization's node serves
 *   the record encrypted to the requester.
 * - STT: the receivers of a transmission (HPKE), or the members whose certified attributes
 *   satisfy the record's policy (ABE), may obtain the record's release key from its holder.
 * - DSS: the record is readable by every member; the request only logs the read.
 * An erased record is denied to everyone (RECORD_ERASED). The stored entry carries the view
 * (identified, linked, de-identified) the holder serves.
 */
import { decideRecordRead, ledgerAttributes } from '../../access/decideRecordRead.js';
import type { Purpose } from '../../access/types.js';
import { OK, fail, type Contract } from '../../contract.js';
import { getMember } from '../../identity.js';
import {
  asJson,
  getGrants,
  getRecord,
  getTransmissions,
  keys,
  type AccessDecisionEntry,
} from '../../records/state.js';
import { ID, obj, onlyKeys, str } from '../../validate.js';
import { parsePurpose } from '../records/common.js';

export interface RequestAccessPayload {
  recordId: string;
  purpose: Purpose;
}

const C = 'INVALID_PAYLOAD';

export const processRequestAccess: Contract<RequestAccessPayload> = {
  type: 'access.request',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['recordId', 'purpose'], 'payload', C);
    const purpose = parsePurpose(p.purpose);
    return { recordId: str(p.recordId, 'payload.recordId', C, 128, ID), purpose: purpose as Purpose };
  },
  execute(ctx, p) {
    const requester = ctx.signers[0];
    if (ctx.signers.length !== 1 || requester?.kind !== 'member')
      return fail('UNAUTHORIZED', 'an access request is signed by the requesting member alone');
    const record = getRecord(ctx.state, p.recordId);
    if (!record) return fail('UNKNOWN_RECORD', `no record ${p.recordId}`);
    const member = getMember(ctx.state, requester.id);
    const r = decideRecordRead({
      record,
      requester: { memberId: requester.id, org: requester.org, role: requester.role },
      identity: 'named',
      purpose: p.purpose,
      grants: getGrants(ctx.state, record.patientId),
      transmissions: getTransmissions(ctx.state, p.recordId),
      attributes: member ? ledgerAttributes(member) : [],
      at: ctx.time,
      height: ctx.height,
    });
    const d: Pick<AccessDecisionEntry, 'allow' | 'code'> & Partial<AccessDecisionEntry> = r.allow
      ? {
          allow: true,
          code: 'OK',
          basis: r.basis,
          linkage: r.linkage,
          view: r.view,
          ...(r.grantId === undefined ? {} : { grantId: r.grantId }),
          ...(r.linkGrantId === undefined ? {} : { linkGrantId: r.linkGrantId }),
        }
      : { allow: false, code: r.code, ...(r.grantId === undefined ? {} : { grantId: r.grantId }) };
    const entry: AccessDecisionEntry = {
      requester: requester.id,
      recordId: p.recordId,
      patient: record.patientId,
      purpose: p.purpose,
      mode: record.mode,
      height: ctx.height,
      time: ctx.time,
      ...(record.holder === undefined ? {} : { holder: record.holder }),
      ...d,
    };
    ctx.state.put(keys.access(ctx.txId), asJson(entry));
    ctx.emit({ type: 'access.decided', ...(asJson(entry) as object) });
    return OK;
  },
};
