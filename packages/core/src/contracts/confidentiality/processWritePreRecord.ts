/**
 * `pre.record` — a record encrypted with Umbral PRE (Nuñez 2018) to the patient's published
 * PRE key, so that the patient can later delegate it to an emergency grantee through m-of-n
 * proxies without being online (see processSetupEmergency.ts). Written by the patient or one
 * of his care team. The state keeps the record's meta and its capsule (all a proxy needs to
 * re-encrypt); the body stays in the transaction. The capsule's validity is checked by the
 * proxies and the grantee (Umbral verifies capsules and cfrags), not here.
 */
import { OK, fail, type Contract } from '../../contract.js';
import { malformed } from '../../errors.js';
import { RECORD_IDENTITY_KEYS, parseRecordIdentity } from '../records/common.js';
import { getMember } from '../../identity.js';
import { getCareTeam, getRecord } from '../../records/state.js';
import { obj, onlyKeys } from '../../validate.js';
import { toB64u } from '@medledger/crypto';
import { C, b64, ckeys, framed, getPreRecord, getPublishedKeys, type PreRecordEntry } from './state.js';

export interface WritePreRecordPayload {
  recordId: string;
  patient: string;
  subject: string;
  category: string;
  resourceType: string;
  /** `PreCiphertext.toBytes()`, base64url (capsule + body). */
  ciphertext: string;
}

export const PRE_MAX_CIPHERTEXT_BYTES = 180 * 1024;

export const processWritePreRecord: Contract<WritePreRecordPayload & { capsule: string }> = {
  type: 'pre.record',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, [...RECORD_IDENTITY_KEYS, 'ciphertext'], 'payload', C);
    const identity = parseRecordIdentity(p);
    const [capsule, body] = framed(
      b64(p.ciphertext, 'payload.ciphertext', PRE_MAX_CIPHERTEXT_BYTES),
      'ml-pre-ct/1',
      [undefined, undefined],
      'payload.ciphertext',
    ) as [Uint8Array, Uint8Array];
    if (capsule.length < 33 || capsule.length > 256) malformed(C, 'payload.ciphertext', 'malformed capsule');
    if (body.length < 16) malformed(C, 'payload.ciphertext', 'body too short');
    return {
      ...identity,
      ciphertext: p.ciphertext as string,
      capsule: toB64u(capsule),
    };
  },
  execute(ctx, p) {
    const s = ctx.signers[0];
    if (ctx.signers.length !== 1 || s?.kind !== 'member')
      return fail('UNAUTHORIZED', 'a PRE record is signed by its writer alone');
    const patient = getMember(ctx.state, p.patient);
    if (!patient || patient.role !== 'patient' || patient.revokedAt !== undefined)
      return fail('UNKNOWN_PATIENT', 'payload.patient is not an enrolled patient');
    if (s.id !== p.patient && !getCareTeam(ctx.state, p.patient).includes(s.id))
      return fail('NOT_RESPONSIBLE', 'a PRE record is written by the patient or his care team');
    if (getPublishedKeys(ctx.state, p.patient)?.pre === undefined)
      return fail('NO_PRE_KEY', 'the patient has not published a PRE key (keys.publish)');
    if (getPreRecord(ctx.state, p.recordId) || getRecord(ctx.state, p.recordId))
      return fail('RECORD_EXISTS', `record ${p.recordId} already exists`);
    const e: PreRecordEntry = {
      recordId: p.recordId,
      patient: p.patient,
      subject: p.subject,
      category: p.category,
      resourceType: p.resourceType,
      org: s.org,
      author: s.id,
      capsule: p.capsule,
      txId: ctx.txId,
      height: ctx.height,
    };
    ctx.state.put(ckeys.preRecord(p.recordId), e);
    ctx.emit({ type: 'pre.record.written', patient: p.patient, recordId: p.recordId, author: s.id });
    return OK;
  },
};
