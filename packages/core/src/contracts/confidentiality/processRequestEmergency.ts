/**
 * `emergency.request` — an emergency doctor asks for a patient's PRE record under an
 * emergency set-up. The ledger decides with the core's one decision function (`decideRead`,
 * purpose 'emergency') against the set-up's grant at this block's time and height; only a
 * grant-based allow counts (the kfrags were made for that grant's grantee). The request and
 * its outcome are the audit entry (`emergency:request:<txId>`), denied attempts included, and
 * the `emergency.requested` event (with `patient`) is how the patient is notified. On allow,
 * the set-up's proxies re-encrypt (`emergency.cfrag`). The doctor may say why the glass is
 * broken with a coded reason ({@link EMERGENCY_REASONS}): coded, not free text, so no clinical
 * detail reaches the ledger, which every member can read.
 */
import { decideRead } from '../../access/decideRead.js';
import { OK, fail, type Contract } from '../../contract.js';
import { getGrant } from '../../records/state.js';
import { malformed } from '../../errors.js';
import { ID, obj, onlyKeys, str } from '../../validate.js';
import { C, ckeys, getEmergencySetup, getPreRecord, type EmergencyRequest } from './state.js';

/** Why a doctor breaks the glass (the request's optional `reason`). */
export const EMERGENCY_REASONS = [
  'patient-unconscious',
  'life-threatening',
  'unable-to-consent',
  'urgent-treatment',
] as const;
export type EmergencyReason = (typeof EMERGENCY_REASONS)[number];

export interface RequestEmergencyPayload {
  setupId: string;
  recordId: string;
  reason?: EmergencyReason;
}

export const processRequestEmergency: Contract<RequestEmergencyPayload> = {
  type: 'emergency.request',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['setupId', 'recordId', 'reason'], 'payload', C);
    const reason = p.reason;
    if (reason !== undefined && !(EMERGENCY_REASONS as readonly unknown[]).includes(reason))
      malformed(C, 'payload.reason', `one of ${EMERGENCY_REASONS.join(', ')}`);
    return {
      setupId: str(p.setupId, 'payload.setupId', C, 128, ID),
      recordId: str(p.recordId, 'payload.recordId', C, 128, ID),
      ...(reason === undefined ? {} : { reason: reason as EmergencyReason }),
    };
  },
  execute(ctx, p) {
    const who = ctx.signers[0];
    if (ctx.signers.length !== 1 || who?.kind !== 'member')
      return fail('UNAUTHORIZED', 'an emergency request is signed by the requesting member alone');
    const setup = getEmergencySetup(ctx.state, p.setupId);
    if (!setup) return fail('UNKNOWN_SETUP', `no emergency set-up ${p.setupId}`);
    const rec = getPreRecord(ctx.state, p.recordId);
    if (!rec || rec.patient !== setup.patient)
      return fail('UNKNOWN_RECORD', `no PRE record ${p.recordId} of the set-up's patient`);
    const grant = getGrant(ctx.state, setup.grantId);
    const d = decideRead(grant ? [grant] : [], {
      requester: { memberId: who.id, org: who.org, role: who.role },
      record: {
        recordId: rec.recordId,
        patientId: rec.patient,
        category: rec.category,
        resourceType: rec.resourceType,
        org: rec.org,
        authors: [rec.author],
      },
      purpose: 'emergency',
      at: ctx.time,
      height: ctx.height,
    });
    const allow = d.allow && d.basis === 'grant' && d.grantId === setup.grantId;
    const code = allow ? 'OK' : d.allow ? 'NOT_EMERGENCY_GRANTEE' : d.code;
    const entry: EmergencyRequest = {
      requestId: ctx.txId,
      setupId: p.setupId,
      recordId: p.recordId,
      patient: setup.patient,
      requester: who.id,
      allow,
      code,
      threshold: setup.threshold,
      ...(p.reason === undefined ? {} : { reason: p.reason }),
      cfrags: [],
      height: ctx.height,
      time: ctx.time,
    };
    ctx.state.put(ckeys.request(ctx.txId), entry);
    ctx.emit({
      type: 'emergency.requested',
      patient: setup.patient,
      requestId: ctx.txId,
      setupId: p.setupId,
      recordId: p.recordId,
      requester: who.id,
      ...(p.reason === undefined ? {} : { reason: p.reason }),
      allow,
      code,
    });
    return OK;
  },
};
