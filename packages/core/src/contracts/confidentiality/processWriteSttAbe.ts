/**
 * `record.stt.abe` — the one-to-many option of the STT chain (survey §6.2.2): the record is
 * encrypted ONCE under an attribute policy with multi-authority CP-ABE
 * (`(doctor@hospitalB AND oncology@hospitalB) OR researcher@institute`) instead of being
 * wrapped for a list of receivers. The transaction carries the ABE ciphertext; whoever holds
 * attribute keys (issued off-chain by each organization to its members, bound to the member
 * id as GID) that satisfy the policy decrypts it, and nobody else — not even users pooling
 * their keys (collusion resistance).
 *
 * It reuses the STT state: `record:<recordId>` (mode 'stt', with `encryption: 'abe'` and the
 * policy) and the transmission DAG `stt:<recordId>`, whose entries carry the policy instead of
 * receivers (`to` is empty). First transmission: by one of the patient's care team; a re-share
 * under a new policy (`prev` = an ABE transmission of the record): by the care team or the
 * patient. Every authority named in the policy must be registered on the ledger
 * (`abe.authority`); the record entry pins the key versions used.
 *
 * What the contract checks without a pairing engine: the canonical policy, the authorities,
 * and that the ciphertext's framing carries exactly that policy with one row per leaf. Point
 * validity and integrity are checked by the decryptor (GCM over the policy and every row).
 *
 * Reads are logged as for an HPKE STT record: the client seals the record under a release key
 * that the sender's organization keeps off-chain (the record's `holder`) before the ABE layer,
 * so a reader needs both attribute keys and the release key, which the holder serves only for
 * an allowed `access.request` (the ledger checks the requester's certified attributes against
 * the policy, core/access/decideRecordRead). Erasure deletes the release key, which shreds the
 * record. The contract cannot see inside the ciphertext: a sender who skips the inner layer
 * makes a record whose reads are not logged — as any sender can disclose what it sends.
 */
import { G1_BYTES, G2_BYTES, GT_BYTES } from '@medledger/crypto/pairing';
import {
  attributeAuthority,
  parsePolicy,
  policyLeaves,
  policyToString,
  POLICY_MAX_LENGTH,
} from '@medledger/crypto/abe-policy';
import { decodeFields } from '@medledger/crypto/wire';
import type { Purpose } from '../../access/types.js';
import { OK, fail, type Contract } from '../../contract.js';
import { malformed } from '../../errors.js';
import { getMember } from '../../identity.js';
import { sttRecordEntry } from '../records/common.js';
import { RECORD_IDENTITY_KEYS, parsePrev, parsePurpose, parseRecordIdentity } from '../records/common.js';
import {
  asJson,
  getCareTeam,
  getRecord,
  appendTransmission,
  getTransmissions,
  keys,
  type Transmission,
} from '../../records/state.js';
import { obj, onlyKeys, str } from '../../validate.js';
import { C, b64, ckeys, framedString, getAbeAuthority } from './state.js';

export interface WriteSttAbePayload {
  recordId: string;
  patient: string;
  subject: string;
  category: string;
  resourceType: string;
  purpose: Purpose;
  prev: string | null;
  /** Canonical policy (`policyToString(parsePolicy(p))`). */
  policy: string;
  /** `AbeCiphertext.toBytes()`, base64url; encrypted with AAD = UTF-8 of the record id. */
  ciphertext: string;
}

const CT_TAG = 'ml-abe-ct/1';
/** Largest ABE ciphertext accepted (the transaction limit is 256 KiB, base64url inflates 4/3). */
export const ABE_MAX_CIPHERTEXT_BYTES = 180 * 1024;

/** Checks the framing of an ABE ciphertext against `policy` (no point decoding). */
function checkCiphertext(bytes: Uint8Array, policy: string, leaves: number): void {
  const path = 'payload.ciphertext';
  try {
    const [header, sealed] = decodeFields(CT_TAG, bytes, path, 2) as [Uint8Array, Uint8Array];
    const f = decodeFields(CT_TAG, header, path, undefined, 2);
    if (framedString(f[0]!, path) !== policy)
      malformed(C, path, 'carries another policy than payload.policy');
    if (f.length !== 2 + 4 * leaves) malformed(C, path, 'row count does not match the policy');
    if (f[1]!.length !== 12) malformed(C, path, 'iv must be 12 bytes');
    for (let i = 0; i < leaves; i++) {
      const o = 2 + 4 * i;
      const lens = [GT_BYTES, G2_BYTES, G2_BYTES, G1_BYTES];
      lens.forEach((n, j) => {
        if (f[o + j]!.length !== n) malformed(C, path, `row ${i} has a malformed component`);
      });
    }
    if (sealed.length < 16) malformed(C, path, 'payload too short');
  } catch (e) {
    if (e instanceof TypeError) malformed(C, path, e.message);
    throw e;
  }
}

export const processWriteSttAbe: Contract<WriteSttAbePayload> = {
  type: 'record.stt.abe',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, [...RECORD_IDENTITY_KEYS, 'purpose', 'prev', 'policy', 'ciphertext'], 'payload', C);
    const identity = parseRecordIdentity(p);
    const purpose = parsePurpose(p.purpose);
    const policy = str(p.policy, 'payload.policy', C, POLICY_MAX_LENGTH);
    let leaves: number;
    try {
      const tree = parsePolicy(policy);
      if (policyToString(tree) !== policy) malformed(C, 'payload.policy', 'must be in canonical form');
      leaves = policyLeaves(tree).length;
    } catch (e) {
      if (e instanceof TypeError || e instanceof RangeError) malformed(C, 'payload.policy', e.message);
      throw e;
    }
    checkCiphertext(b64(p.ciphertext, 'payload.ciphertext', ABE_MAX_CIPHERTEXT_BYTES), policy, leaves);
    return {
      ...identity,
      purpose,
      prev: parsePrev(p),
      policy,
      ciphertext: p.ciphertext as string,
    };
  },
  execute(ctx, p) {
    const sender = ctx.signers[0];
    if (ctx.signers.length !== 1 || sender?.kind !== 'member')
      return fail('UNAUTHORIZED', 'an STT transmission is signed by its sender alone');
    const authorities: { [org: string]: number } = {};
    for (const leaf of policyLeaves(parsePolicy(p.policy))) {
      const org = attributeAuthority(leaf);
      const a = getAbeAuthority(ctx.state, org);
      if (!a) return fail('UNKNOWN_AUTHORITY', `no ABE authority key registered for ${org}`);
      authorities[org] = a.version;
    }
    const team = getCareTeam(ctx.state, p.patient);
    const existing = getRecord(ctx.state, p.recordId);
    const path = getTransmissions(ctx.state, p.recordId);
    if (p.prev === null) {
      if (existing || ctx.state.get(ckeys.preRecord(p.recordId)) !== undefined)
        return fail('RECORD_EXISTS', `record ${p.recordId} already exists; re-share it with prev set`);
      const patient = getMember(ctx.state, p.patient);
      if (!patient || patient.role !== 'patient')
        return fail('UNKNOWN_PATIENT', 'payload.patient is not an enrolled patient');
      if (!team.includes(sender.id))
        return fail('NOT_RESPONSIBLE', `${sender.id} is not in the patient's care team`);
      ctx.state.put(
        keys.record(p.recordId),
        asJson({
          ...sttRecordEntry(ctx, p, sender, sender.org),
          encryption: 'abe',
          policy: p.policy,
          authorities,
        }),
      );
    } else {
      const rec = existing as (typeof existing & { encryption?: string }) | undefined;
      if (!rec || rec.mode !== 'stt' || rec.encryption !== 'abe')
        return fail('UNKNOWN_RECORD', `no ABE-encrypted STT record ${p.recordId}`);
      if (rec.erasedAt !== undefined) return fail('RECORD_ERASED', `record ${p.recordId} was erased`);
      if (
        rec.patientId !== p.patient ||
        rec.subject !== p.subject ||
        rec.category !== p.category ||
        rec.resourceType !== p.resourceType
      )
        return fail('INVALID_PAYLOAD', 'a re-share must carry the meta of the original transmission');
      if (!path.some((t) => t.txId === p.prev))
        return fail('UNKNOWN_TRANSMISSION', 'payload.prev is not a transmission of this record');
      if (sender.id !== p.patient && !team.includes(sender.id))
        return fail('NOT_RESPONSIBLE', 'an ABE record is re-encrypted by the patient or the care team');
    }
    const t: Transmission & { policy: string } = {
      txId: ctx.txId,
      from: sender.id,
      to: [],
      prev: p.prev,
      height: ctx.height,
      time: ctx.time,
      policy: p.policy,
    };
    appendTransmission(ctx.state, p.recordId, t);
    ctx.emit({
      type: 'record.transmitted',
      recordId: p.recordId,
      patient: p.patient,
      from: sender.id,
      to: [],
      policy: p.policy,
      prev: p.prev,
      purpose: p.purpose,
    });
    return OK;
  },
};
