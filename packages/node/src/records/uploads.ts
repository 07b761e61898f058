/**
 * What members upload to their organization's node, off the ledger:
 * - an SPV record (survey §6.3) with the salt of its commitment, by a responsible doctor of
 *   this organization: validated as FHIR R4 (fhir.ts), stored encrypted at rest in the EHR
 *   store, the salt in the vault, both pending until the `record.spv` commits (blockActions.ts);
 * - an STT release key (§6.2), by the sender, pending until its first transmission commits;
 * - a research study key (§8), by the patient, for a grant with linkage.
 * Errors name fields, never values.
 */
import { canonicalBytes, commit, fromB64u, toHex, type JsonValue } from '@medledger/crypto';
import { LedgerError, getCareTeam, getGrant, getMember, getRecord, type MemberEntry } from '@medledger/core';
import { B64U, HEX32, ID, obj, onlyKeys, str } from '@medledger/core/validate';
import type { EhrStore } from '../ehr/types.js';
import type { LedgerView } from '../ledgerView.js';
import { validateFhirRecord } from './fhir.js';
import type { ReleaseKeyVault } from './vault.js';

/** What the upload handlers need from the services. */
export interface UploadContext {
  node: LedgerView;
  org: string;
  ehr: EhrStore;
  vault: ReleaseKeyVault;
  now: () => number;
  pendingTtlMs: number;
}

const M = 'MALFORMED_REQUEST';

/** Response of {@link uploadSpv}. */
export interface SpvUploadResult {
  recordId: string;
  /** The commitment the `record.spv` transaction must carry, hex. */
  commitment: string;
  subject: string;
  category: string;
  resourceType: string;
  /** The upload is erased if no matching `record.spv` commits before this time (ms). */
  pendingUntil: number;
}

/**
 * Stores an SPV record uploaded by `member` (pending until its `record.spv` commits).
 * @param body `{ recordId, patient, resource, salt }`: patient = the patient's member id
 *   (checks the care team), salt = base64url of the 32-byte commitment salt
 * @throws LedgerError MALFORMED_REQUEST, FORBIDDEN (not a doctor of this org), UNKNOWN_PATIENT,
 *   NOT_RESPONSIBLE, RECORD_EXISTS, INVALID_RECORD (FHIR issues: paths only); EhrError
 *   DUPLICATE_RECORD / ERASED
 */
export async function uploadSpv(
  ctx: UploadContext,
  member: MemberEntry,
  body: unknown,
): Promise<SpvUploadResult> {
  const b = obj(body, 'body', M);
  onlyKeys(b, ['recordId', 'patient', 'resource', 'salt'], 'body', M);
  const recordId = str(b.recordId, 'body.recordId', M, 128, ID);
  const patient = str(b.patient, 'body.patient', M, 64, HEX32);
  const salt = fromB64u(str(b.salt, 'body.salt', M, 43, B64U));
  if (salt.length !== 32) throw new LedgerError({ code: M }, 'body.salt must be 32 bytes');
  if (member.org !== ctx.org || member.role !== 'doctor')
    throw new LedgerError(
      { code: 'FORBIDDEN' },
      `SPV records are uploaded by doctors of ${ctx.org} to its node`,
    );
  const p = getMember(ctx.node.store, patient);
  if (!p || p.role !== 'patient')
    throw new LedgerError({ code: 'UNKNOWN_PATIENT' }, 'body.patient is not an enrolled patient');
  if (!getCareTeam(ctx.node.store, patient).includes(member.id))
    throw new LedgerError({ code: 'NOT_RESPONSIBLE' }, "the uploader is not in the patient's care team");
  if (getRecord(ctx.node.store, recordId))
    throw new LedgerError({ code: 'RECORD_EXISTS' }, 'the record id is already on the ledger');
  const v = validateFhirRecord(b.resource);
  if (!v.ok)
    throw new LedgerError(
      { code: 'INVALID_RECORD' },
      `FHIR validation failed: ${v.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    );
  const bytes = canonicalBytes(b.resource as JsonValue);
  const now = ctx.now();
  ctx.vault.put(recordId, 'salt', salt, member.id, now);
  try {
    await ctx.ehr.put({
      recordId,
      patientRef: v.meta.patientRef,
      resourceType: v.meta.resourceType,
      category: v.meta.category,
      body: bytes,
      createdAt: now,
    });
  } catch (e) {
    ctx.vault.erase(recordId, now);
    throw e;
  }
  return {
    recordId,
    commitment: toHex(commit(bytes, () => salt).commitment),
    subject: v.meta.patientRef,
    category: v.meta.category,
    resourceType: v.meta.resourceType,
    pendingUntil: now + ctx.pendingTtlMs,
  };
}

/**
 * Keeps the release key of an STT record `member` sends. Before the record is on the ledger
 * the key is a claim, pending until the first transmission, signed by `member`, commits; only a
 * member the ledger would let send it may claim: one of this organization in the patient's care
 * team, as the first `record.stt` requires. Once the record is on the ledger only its writer
 * (the sender the ledger names) may deposit, and that displaces a claim another member made
 * first (`vault.putAsWriter`): a claim never blocks the record's writer.
 * @param body `{ key, patient }`: the 32-byte release key (base64url), the patient's member id
 * @throws LedgerError FORBIDDEN (not of this org), UNKNOWN_PATIENT, NOT_RESPONSIBLE (not in the
 *   patient's care team), RECORD_EXISTS (written by another), RECORD_ERASED, MALFORMED_REQUEST;
 *   EhrError DUPLICATE_RECORD (claimed, or a confirmed key exists)
 */
export function putReleaseKey(
  ctx: UploadContext,
  member: MemberEntry,
  recordId: string,
  body: unknown,
): { recordId: string; pendingUntil: number } {
  str(recordId, 'recordId', M, 128, ID);
  const b = obj(body, 'body', M);
  onlyKeys(b, ['key', 'patient'], 'body', M);
  const key = fromB64u(str(b.key, 'body.key', M, 43, B64U));
  if (key.length !== 32) throw new LedgerError({ code: M }, 'body.key must be 32 bytes');
  const patient = str(b.patient, 'body.patient', M, 64, HEX32);
  if (member.org !== ctx.org)
    throw new LedgerError(
      { code: 'FORBIDDEN' },
      `release keys are kept by the sender's own node (${member.org})`,
    );
  const now = ctx.now();
  const written = getRecord(ctx.node.store, recordId);
  if (written) {
    if (written.mode !== 'stt' || written.holder !== ctx.org || written.authors[0] !== member.id)
      throw new LedgerError(
        { code: 'RECORD_EXISTS' },
        'the record id is already on the ledger, written by another member',
      );
    if (written.erasedAt !== undefined)
      throw new LedgerError({ code: 'RECORD_ERASED' }, 'the record was erased');
    if (written.patientId !== patient)
      throw new LedgerError({ code: M }, "body.patient is not the record's patient");
    ctx.vault.putAsWriter(recordId, 'release', key, member.id, now);
    return { recordId, pendingUntil: now };
  }
  const p = getMember(ctx.node.store, patient);
  if (!p || p.role !== 'patient')
    throw new LedgerError({ code: 'UNKNOWN_PATIENT' }, 'body.patient is not an enrolled patient');
  if (!getCareTeam(ctx.node.store, patient).includes(member.id))
    throw new LedgerError({ code: 'NOT_RESPONSIBLE' }, "the sender is not in the patient's care team");
  ctx.vault.put(recordId, 'release', key, member.id, now);
  return { recordId, pendingUntil: now + ctx.pendingTtlMs };
}
/**
 * Keeps a research study key the patient releases for one of their grants with linkage;
 * SPV records served under that grant carry `linkagePseudonym(studyKey, patient)`.
 * @throws LedgerError NOT_FOUND, FORBIDDEN (not the grant's patient), CONFLICT (no linkage)
 */
export function putStudyKey(
  ctx: UploadContext,
  member: MemberEntry,
  grantId: string,
  body: unknown,
): { grantId: string } {
  const g = getGrant(ctx.node.store, str(grantId, 'grantId', M, 128, ID));
  if (!g) throw new LedgerError({ code: 'NOT_FOUND' }, 'unknown grant');
  if (g.patientId !== member.id)
    throw new LedgerError({ code: 'FORBIDDEN' }, 'only the patient who granted it releases a study key');
  if (g.linkage !== true)
    throw new LedgerError({ code: 'CONFLICT' }, 'the grant does not allow research linkage');
  const b = obj(body, 'body', M);
  onlyKeys(b, ['studyKey'], 'body', M);
  const key = fromB64u(str(b.studyKey, 'body.studyKey', M, 43, B64U));
  if (key.length !== 32) throw new LedgerError({ code: M }, 'body.studyKey must be 32 bytes');
  ctx.vault.put(`grant:${grantId}`, 'study', key, member.id, ctx.now());
  ctx.vault.confirm(`grant:${grantId}`, 'study', ctx.now());
  return { grantId };
}
