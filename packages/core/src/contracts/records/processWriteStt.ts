/**
 * `record.stt` — a record encrypted to its receivers (survey §6.2, secure transmission &
 * tracking). The body is encrypted once; its content key is wrapped for each receiver
 * (HPKE, RFC 9180). Each transmission names the previous transmission of the same record,
 * so a record's path forms a DAG (survey Fig. 7) the patient can inspect.
 *
 * - First transmission (`prev` null): sent by one of the patient's responsible doctors.
 * - Re-share (`prev` = an earlier transmission of this record): sent by a receiver of that
 *   transmission, to receivers the patient's consent allows for `purpose` (or care team).
 *
 * The body is also sealed under a release key that the sender's organization keeps
 * off-chain (`holder`): a receiver obtains it through an audited `access.request`, which is
 * how decryptions are logged and how erasure (deleting the release key) shreds the record.
 */
import { envelopeFromJson, type JsonValue } from '@medledger/crypto';
import { decideRead } from '../../access/decideRead.js';
import type { Purpose } from '../../access/types.js';
import { OK, type Contract } from '../../contract.js';
import { getMember } from '../../identity.js';
import {
  asJson,
  getCareTeam,
  getGrants,
  getRecord,
  appendTransmission,
  getTransmissions,
  keys,
  type Transmission,
} from '../../records/state.js';
import { HEX32, ID, arr, obj, onlyKeys, str } from '../../validate.js';
import { C, fail, sttRecordEntry } from './common.js';
import { RECORD_IDENTITY_KEYS, parsePrev, parsePurpose, parseRecordIdentity } from './common.js';
import { malformed } from '../../errors.js';

export interface WriteSttPayload {
  recordId: string;
  patient: string;
  subject: string;
  category: string;
  resourceType: string;
  receivers: string[];
  purpose: Purpose;
  prev: string | null;
  holder: string;
  /** The HPKE envelope (JSON form): well formed, opaque to the contract except for its receiver ids. */
  envelope: { [k: string]: JsonValue };
}

export const processWriteStt: Contract<WriteSttPayload> = {
  type: 'record.stt',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(
      p,
      [...RECORD_IDENTITY_KEYS, 'receivers', 'purpose', 'prev', 'holder', 'envelope'],
      'payload',
      C,
    );
    const identity = parseRecordIdentity(p);
    const purpose = parsePurpose(p.purpose);
    const receivers = arr(p.receivers, 'payload.receivers', C, 1, 64).map((x, i) =>
      str(x, `payload.receivers[${i}]`, C, 64, HEX32),
    );
    if (new Set(receivers).size !== receivers.length) malformed(C, 'payload.receivers', 'duplicate receiver');
    const envelope = obj(p.envelope, 'payload.envelope', C) as { [k: string]: JsonValue };
    arr(envelope.receivers, 'payload.envelope.receivers', C, 1, 64);
    // A whole envelope (version, suite, canonical base64url of the right lengths), or a receiver
    // would be handed a record nobody can open.
    let wrapped: string[];
    try {
      wrapped = envelopeFromJson(envelope).receivers.map((r) => r.id);
    } catch (e) {
      return malformed(C, 'payload.envelope', (e as Error).message);
    }
    if ([...wrapped].sort().join() !== [...receivers].sort().join())
      malformed(C, 'payload.envelope', 'must wrap the content key for exactly the listed receivers');
    return {
      ...identity,
      receivers,
      purpose,
      prev: parsePrev(p),
      holder: str(p.holder, 'payload.holder', C, 64, ID),
      envelope,
    };
  },
  execute(ctx, p) {
    const sender = ctx.signers[0];
    if (ctx.signers.length !== 1 || sender?.kind !== 'member')
      return fail('UNAUTHORIZED', 'an STT transmission is signed by its sender alone');
    if (sender.org !== p.holder)
      return fail('INVALID_PAYLOAD', "payload.holder must be the sender's organization");
    for (const r of p.receivers) {
      const m = getMember(ctx.state, r);
      if (!m || m.revokedAt !== undefined || m.encryptionKey === undefined)
        return fail('BAD_RECEIVER', `${r} is not an enrolled member with an encryption key`);
    }
    const team = getCareTeam(ctx.state, p.patient);
    const existing = getRecord(ctx.state, p.recordId);
    const path = getTransmissions(ctx.state, p.recordId);
    if (p.prev === null) {
      if (existing)
        return fail('RECORD_EXISTS', `record ${p.recordId} already exists; re-share it with prev set`);
      const patient = getMember(ctx.state, p.patient);
      if (!patient || patient.role !== 'patient')
        return fail('UNKNOWN_PATIENT', 'payload.patient is not an enrolled patient');
      if (!team.includes(sender.id))
        return fail('NOT_RESPONSIBLE', `${sender.id} is not in the patient's care team`);
      ctx.state.put(keys.record(p.recordId), asJson(sttRecordEntry(ctx, p, sender, p.holder)));
    } else {
      if (!existing || existing.mode !== 'stt') return fail('UNKNOWN_RECORD', `no STT record ${p.recordId}`);
      if (existing.erasedAt !== undefined) return fail('RECORD_ERASED', `record ${p.recordId} was erased`);
      if (
        existing.patientId !== p.patient ||
        existing.subject !== p.subject ||
        existing.category !== p.category ||
        existing.resourceType !== p.resourceType
      ) {
        return fail('INVALID_PAYLOAD', 'a re-share must carry the meta of the original transmission');
      }
      const from = path.find((t) => t.txId === p.prev);
      if (!from) return fail('UNKNOWN_TRANSMISSION', 'payload.prev is not a transmission of this record');
      if (!from.to.includes(sender.id))
        return fail('NOT_A_RECEIVER', 'only a receiver of the previous transmission can re-share it');
      const grants = getGrants(ctx.state, p.patient);
      for (const r of p.receivers) {
        if (team.includes(r)) continue;
        const m = getMember(ctx.state, r)!;
        const d = decideRead(grants, {
          requester: { memberId: r, org: m.org, role: m.role },
          record: existing,
          purpose: p.purpose,
          at: ctx.time,
          height: ctx.height,
        });
        if (!d.allow)
          return fail(
            'RECEIVER_NOT_PERMITTED',
            `the patient's consent does not let ${r} receive this record for ${p.purpose}: ${d.code}`,
          );
      }
    }
    const t: Transmission = {
      txId: ctx.txId,
      from: sender.id,
      to: p.receivers,
      prev: p.prev,
      height: ctx.height,
      time: ctx.time,
    };
    appendTransmission(ctx.state, p.recordId, t);
    ctx.emit({
      type: 'record.transmitted',
      recordId: p.recordId,
      patient: p.patient,
      from: sender.id,
      to: p.receivers,
      prev: p.prev,
      purpose: p.purpose,
    });
    return OK;
  },
};
