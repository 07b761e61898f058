/**
 * The one decision for a read of a ledger record, whatever its mode and however the reader is
 * authenticated: the `access.request` contract, the anonymous read (`anon.read.log` relay),
 * the node serving SPV records and STT release keys, and the node serving DSS records all
 * call it. Pure: the record, its transmissions, the patient's grants, the block time and the
 * state height are inputs.
 *
 * Rules, in order:
 * 1. An erased record is read by nobody (RECORD_ERASED).
 * 2. DSS (survey §6.1): every authenticated member reads it, named or pseudonymous
 *    (basis 'member').
 * 3. STT wrapped for receivers (HPKE): a receiver of one of its transmissions (basis
 *    'receiver'); a pseudonym is never a receiver (NOT_A_RECEIVER).
 * 4. STT encrypted under an attribute policy (ABE): a requester whose attributes, as certified
 *    on the ledger, satisfy the policy (basis 'attributes'; else POLICY_NOT_SATISFIED). The
 *    ABE keys still decide who can decrypt; this is the permission step that makes the read
 *    an audited request before the holder releases the record's key.
 * 5. SPV: the patient's consent, {@link decideRead}.
 *
 * Then, for an allowed read of plaintext the node serves (DSS, SPV), the view:
 * a secondary use — purpose 'research', or a requester whose role is 'researcher', whatever
 * purpose they state — is de-identified unless the consent allows research with linkage
 * ({@link decideRead} for purpose 'research' allows with `linkage`), in which case it is
 * 'linked' (the holder may replace the subject by a study pseudonym). Any other read is
 * 'identified'. An STT record is end-to-end encrypted to readers its sender chose under the
 * patient's consent: the node cannot de-identify it, so its view is 'identified'.
 *
 * Threat model: as {@link decideRead}, the function decides and does not authenticate; the
 * caller establishes the requester (a verified signature and certificate, or a verified
 * credential presentation for a pseudonym) and takes the record and grants from the ledger.
 */
import { parsePolicy, planPolicy } from '@medledger/crypto/abe-policy';
import { decideRead } from './decideRead.js';
import type { DenyCode, Grant, Purpose, RecordMeta, Requester } from './types.js';

/** What a read decision needs to know about a record (never its contents). */
export interface ReadableRecord extends RecordMeta {
  mode: 'dss' | 'stt' | 'spv';
  /** Height of the erasure, if the record was erased. */
  erasedAt?: number;
  /** STT: 'abe' when encrypted once under `policy`; absent for HPKE receiver wraps. */
  encryption?: string;
  /** STT ABE: the canonical attribute policy. */
  policy?: string;
}

/** How the requester is authenticated: by member id, or by a per-presentation pseudonym. */
export type ReaderIdentity = 'named' | 'pseudonymous';

/** One read of a ledger record. */
export interface RecordReadRequest {
  record: ReadableRecord;
  requester: Requester;
  identity: ReaderIdentity;
  purpose: Purpose;
  /** The patient's grants (revoked ones included). */
  grants: readonly Grant[];
  /** STT: the record's transmissions (receivers in `to`). */
  transmissions: readonly { to: readonly string[] }[];
  /** STT ABE: the requester's attributes (`name@org`) as certified on the ledger. */
  attributes: readonly string[];
  /** Block time (contract) or the node's clock (serving), ms since the epoch. */
  at: number;
  /** Height of the state the decision is made against. */
  height: number;
}

/** What an allowed reader may see. */
export type ReadView = 'identified' | 'linked' | 'deidentified';

/** Why a record read was allowed. */
export type RecordReadBasis = 'patient' | 'author' | 'grant' | 'member' | 'receiver' | 'attributes';

/** Why a record read was denied. */
export type RecordReadDenyCode = DenyCode | 'RECORD_ERASED' | 'NOT_A_RECEIVER' | 'POLICY_NOT_SATISFIED';

/** The outcome of {@link decideRecordRead}. */
export type RecordReadDecision =
  | {
      allow: true;
      basis: RecordReadBasis;
      /** The grant that allowed the read (basis 'grant'). */
      grantId?: string;
      view: ReadView;
      /** True unless the view is 'deidentified' (kept for the stored access decision). */
      linkage: boolean;
      /** View 'linked' by a grant: the grant whose study key may pseudonymise the subject. */
      linkGrantId?: string;
    }
  | { allow: false; code: RecordReadDenyCode; message: string; grantId?: string };

/** Whether a read of this role and purpose is a secondary use (research). */
export function isSecondaryUse(role: string, purpose: Purpose): boolean {
  return purpose === 'research' || role === 'researcher';
}

/**
 * The attributes a member holds as certified on the ledger: its role and the values of its
 * certificate attributes, each at its organization (`doctor@hospitalB`, `oncology@hospitalB`).
 * An organization's ABE authority issues keys for a subset of these.
 */
export function ledgerAttributes(member: {
  org: string;
  role: string;
  attributes?: { [k: string]: string };
}): string[] {
  const names = [member.role, ...Object.values(member.attributes ?? {})];
  return [...new Set(names.map((n) => `${n}@${member.org}`))].sort();
}

function satisfies(policy: string | undefined, attributes: readonly string[]): boolean {
  if (policy === undefined) return false;
  try {
    return planPolicy(parsePolicy(policy), new Set(attributes)) !== null;
  } catch {
    return false; // a malformed policy satisfies nobody
  }
}

function view(req: RecordReadRequest): { view: ReadView; linkGrantId?: string } {
  if (req.record.mode === 'stt' || !isSecondaryUse(req.requester.role, req.purpose))
    return { view: 'identified' };
  const r = decideRead(req.grants, { ...req, purpose: 'research' });
  if (!(r.allow && r.linkage)) return { view: 'deidentified' };
  return r.grantId === undefined ? { view: 'linked' } : { view: 'linked', linkGrantId: r.grantId };
}

type Deny = Extract<RecordReadDecision, { allow: false }>;

function denied(code: RecordReadDenyCode, message: string): Deny {
  return { allow: false, code, message };
}

/**
 * Decides a read of `req.record` (rules in the file header). Default deny.
 * @example
 * const d = decideRecordRead({ record, requester, identity: 'named', purpose: 'treatment',
 *   grants: getGrants(state, record.patientId), transmissions: getTransmissions(state, id),
 *   attributes: ledgerAttributes(member), at: ctx.time, height: ctx.height });
 */
export function decideRecordRead(req: RecordReadRequest): RecordReadDecision {
  const { record, requester } = req;
  const id = record.recordId;
  if (record.erasedAt !== undefined) return denied('RECORD_ERASED', `record ${id} was erased`);
  let basis: RecordReadBasis;
  let grantId: string | undefined;
  if (record.mode === 'dss') {
    basis = 'member';
  } else if (record.mode === 'stt' && record.encryption === 'abe') {
    if (!satisfies(record.policy, req.attributes))
      return denied('POLICY_NOT_SATISFIED', `the requester's attributes do not satisfy the policy of ${id}`);
    basis = 'attributes';
  } else if (record.mode === 'stt') {
    const receiver =
      req.identity === 'named' &&
      requester.memberId.length > 0 &&
      req.transmissions.some((t) => t.to.includes(requester.memberId));
    if (!receiver) return denied('NOT_A_RECEIVER', `the requester is not a receiver of ${id}`);
    basis = 'receiver';
  } else if (record.mode === 'spv') {
    const d = decideRead(req.grants, { ...req, requester });
    if (!d.allow) return d;
    basis = d.basis;
    grantId = d.grantId;
  } else {
    return denied('NO_GRANT', `record ${id} has an unknown mode`);
  }
  const v = view(req);
  return {
    allow: true,
    basis,
    ...(grantId === undefined ? {} : { grantId }),
    ...v,
    linkage: v.view !== 'deidentified',
  };
}
