/**
 * Rules shared by the record contracts: the patient is an enrolled patient, the writers are
 * the patient's responsible doctors (care team) and reach the record's quorum k of n, the
 * per-patient chain link is the current head, and a correction references a record of the
 * same patient. Nothing on the ledger is modified: a correction is a new record.
 */
import { fail, type ContractResult, type TxContext } from '../../contract.js';
export { fail };
import { malformed } from '../../errors.js';
import { PURPOSES, type Purpose } from '../../access/types.js';
import { getMember } from '../../identity.js';
import {
  RECORD_CATEGORIES,
  getCareTeam,
  getChainHead,
  getRecord,
  type RecordEntry,
  type RecordMode,
} from '../../records/state.js';
import { HEX32, ID, arr, int, obj, str, type Obj } from '../../validate.js';

export const C = 'INVALID_PAYLOAD';

/** What every written record names: its id, whose it is, what it is about and of what kind. */
export interface RecordIdentity {
  recordId: string;
  patient: string;
  subject: string;
  category: string;
  resourceType: string;
}

/** Payload keys of {@link RecordIdentity}, for `onlyKeys`. */
export const RECORD_IDENTITY_KEYS = ['recordId', 'patient', 'subject', 'category', 'resourceType'] as const;

/** Parses the {@link RecordIdentity} fields of a record-writing payload. */
export function parseRecordIdentity(p: Obj): RecordIdentity {
  return {
    recordId: str(p.recordId, 'payload.recordId', C, 128, ID),
    patient: str(p.patient, 'payload.patient', C, 64, HEX32),
    subject: str(p.subject, 'payload.subject', C, 128, ID),
    category: parseCategory(p.category),
    resourceType: str(p.resourceType, 'payload.resourceType', C, 64, /^[A-Z][A-Za-z]+$/),
  };
}

/** `payload.prev`: the hash of the record's previous version, or null for the first. */
export function parsePrev(p: Obj): string | null {
  return p.prev === null ? null : str(p.prev, 'payload.prev', C, 64, HEX32);
}

/** Payload keys of {@link RecordMetaPayload}, for `onlyKeys`. */
export const RECORD_META_KEYS = [...RECORD_IDENTITY_KEYS, 'responsible', 'k', 'prev', 'replaces'] as const;

export interface RecordMetaPayload extends RecordIdentity {
  responsible: string[];
  k: number;
  prev: string | null;
  replaces?: string;
}

export function parseRecordMeta(p: Obj): RecordMetaPayload {
  const responsible = arr(p.responsible, 'payload.responsible', C, 1, 32).map((x, i) =>
    str(x, `payload.responsible[${i}]`, C, 64, HEX32),
  );
  if (new Set(responsible).size !== responsible.length)
    malformed(C, 'payload.responsible', 'duplicate member');
  const out: RecordMetaPayload = {
    ...parseRecordIdentity(p),
    responsible,
    k: int(p.k, 'payload.k', C, 1, responsible.length),
    prev: parsePrev(p),
  };
  if (p.replaces !== undefined) out.replaces = str(p.replaces, 'payload.replaces', C, 128, ID);
  return out;
}

/** Checks who may write this record; returns a failure or undefined. */
export function checkWriters(ctx: TxContext, m: RecordMetaPayload): ContractResult | undefined {
  const patient = getMember(ctx.state, m.patient);
  if (!patient || patient.role !== 'patient' || patient.revokedAt !== undefined)
    return fail('UNKNOWN_PATIENT', 'payload.patient is not an enrolled patient');
  const team = getCareTeam(ctx.state, m.patient);
  for (const r of m.responsible) {
    if (!team.includes(r)) return fail('NOT_RESPONSIBLE', `${r} is not in the patient's care team`);
  }
  for (const s of ctx.signers) {
    if (s.kind !== 'member' || !m.responsible.includes(s.id))
      return fail('NOT_RESPONSIBLE', `${s.id} is not a responsible doctor of this record`);
  }
  if (ctx.signers.length < m.k)
    return fail('QUORUM_NOT_MET', `${ctx.signers.length} of the ${m.k} required responsible doctors signed`);
  if (getRecord(ctx.state, m.recordId))
    return fail(
      'RECORD_EXISTS',
      `record ${m.recordId} already exists; a correction is a new record with "replaces"`,
    );
  if (m.replaces !== undefined) {
    const old = getRecord(ctx.state, m.replaces);
    if (!old || old.patientId !== m.patient)
      return fail('BAD_REPLACES', 'payload.replaces must name an existing record of the same patient');
  }
  return undefined;
}

/** Checks and advances the patient's chain of `mode` records. */
export function checkChain(
  ctx: TxContext,
  mode: 'dss' | 'spv',
  m: RecordMetaPayload,
): ContractResult | undefined {
  const head = getChainHead(ctx.state, mode, m.patient);
  const expected = head?.head ?? null;
  if (m.prev !== expected) {
    return fail(
      'CHAIN_CONFLICT',
      `payload.prev must be the patient's last ${mode.toUpperCase()} record transaction (${expected ?? 'null'})`,
    );
  }
  ctx.state.put(`chain:${mode}:${m.patient}`, { head: ctx.txId, count: (head?.count ?? 0) + 1 });
  return undefined;
}

/** The state entry of a new record. */
export function recordEntry(
  ctx: TxContext,
  mode: RecordMode,
  m: RecordMetaPayload,
  extra: Partial<RecordEntry> = {},
): RecordEntry {
  const first = ctx.signers[0]!;
  const e: RecordEntry = {
    mode,
    recordId: m.recordId,
    patientId: m.patient,
    subject: m.subject,
    category: m.category,
    resourceType: m.resourceType,
    org: first.org,
    authors: ctx.signers.map((s) => s.id),
    responsible: m.responsible,
    k: m.k,
    txId: ctx.txId,
    height: ctx.height,
    time: ctx.time,
    prev: m.prev,
    ...extra,
  };
  if (m.replaces !== undefined) e.replaces = m.replaces;
  return e;
}

export { obj };

/** The state entry of a record's first STT transmission: its sender is its only author. */
export function sttRecordEntry(
  ctx: TxContext,
  p: { recordId: string; patient: string; subject: string; category: string; resourceType: string },
  sender: { id: string; org: string },
  holder: string,
): RecordEntry {
  return {
    mode: 'stt',
    recordId: p.recordId,
    patientId: p.patient,
    subject: p.subject,
    category: p.category,
    resourceType: p.resourceType,
    org: sender.org,
    authors: [sender.id],
    responsible: [sender.id],
    k: 1,
    txId: ctx.txId,
    height: ctx.height,
    time: ctx.time,
    prev: null,
    holder,
  };
}

/** A record category from a payload field; throws INVALID_PAYLOAD naming the allowed ones. */
export function parseCategory(v: unknown, path = 'payload.category'): string {
  const category = str(v, path, C, 32);
  if (!(RECORD_CATEGORIES as readonly string[]).includes(category)) {
    malformed(C, path, `must be one of ${RECORD_CATEGORIES.join(', ')}`);
  }
  return category;
}

/** A purpose of use from a payload field (the list of `access/types.ts`). */
export function parsePurpose(v: unknown, path = 'payload.purpose'): Purpose {
  const purpose = str(v, path, C, 16);
  if (!(PURPOSES as readonly string[]).includes(purpose))
    malformed(C, path, `must be one of ${PURPOSES.join(', ')}`);
  return purpose as Purpose;
}
