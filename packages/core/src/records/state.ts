/**
 * Record-sharing state (survey §6): the three ways a record lives on the ledger, care teams,
 * consent grants and access decisions. Keys:
 *   record:<recordId>          RecordEntry (meta of a DSS, STT or SPV record; never its content)
 *   chain:<dss|spv>:<patient>  head of the patient's chronological chain of record transactions
 *   stt:<recordId>             the transmission DAG of an STT record, an append-only list
 *                              (stateList.ts): `{ n }`, and `stt:<recordId>#<i>` the i-th transmission
 *   careteam:<patient>         the doctors responsible for the patient (who may write)
 *   grant:<grantId>            a consent grant
 *   grants:<patient>           the patient's grant ids, an append-only list (stateList.ts):
 *                              `{ n }`, and `grants:<patient>#<i>` the i-th grant id
 *   access:<txId>              the decision on an access request
 */
import type { JsonValue } from '@medledger/crypto';
import type { Grant, RecordMeta } from '../access/types.js';
import type { StateOverlay, StateReader } from '../state.js';
import { appendToList, listItems } from '../stateList.js';

export type RecordMode = 'dss' | 'stt' | 'spv';

/** Categories a record may carry (scopes select on them). */
export const RECORD_CATEGORIES = [
  'clinical',
  'lab',
  'billing',
  'mental-health',
  'genetic',
  'imaging',
  'medication',
] as const;

export interface RecordEntry extends RecordMeta {
  mode: RecordMode;
  /** Episode pseudonym (HMAC, survey §5): the FHIR subject and the index key. */
  subject: string;
  responsible: string[];
  k: number;
  txId: string;
  height: number;
  time: number;
  /** DSS/SPV: the patient's previous record transaction; STT: null. */
  prev: string | null;
  replaces?: string;
  /** SPV: the salted commitment of the record, hex. */
  commitment?: string;
  /** SPV: the organization whose EHR store holds the record; STT: the one holding the release key. */
  holder?: string;
  erasedAt?: number;
  /** STT: 'abe' when the record is encrypted once under an attribute policy. */
  encryption?: string;
  /** STT ABE: the canonical attribute policy. */
  policy?: string;
}

export interface Transmission {
  txId: string;
  from: string;
  to: string[];
  prev: string | null;
  height: number;
  time: number;
}

export interface AccessDecisionEntry {
  requester: string;
  recordId: string;
  patient: string;
  purpose: string;
  mode: RecordMode;
  allow: boolean;
  code: string;
  basis?: string;
  grantId?: string;
  linkage?: boolean;
  /** What the holder serves: 'identified', 'linked' or 'deidentified' (core/access/decideRecordRead). */
  view?: string;
  /** View 'linked': the grant whose study key pseudonymises the subject. */
  linkGrantId?: string;
  holder?: string;
  height: number;
  time: number;
}

export const keys = {
  record: (id: string): string => `record:${id}`,
  chain: (mode: 'dss' | 'spv', patient: string): string => `chain:${mode}:${patient}`,
  stt: (id: string): string => `stt:${id}`,
  careTeam: (patient: string): string => `careteam:${patient}`,
  grant: (id: string): string => `grant:${id}`,
  grants: (patient: string): string => `grants:${patient}`,
  access: (txId: string): string => `access:${txId}`,
};

export const getRecord = (s: StateReader, id: string): RecordEntry | undefined =>
  s.get(keys.record(id)) as RecordEntry | undefined;
export const getCareTeam = (s: StateReader, patient: string): string[] =>
  (s.get(keys.careTeam(patient)) as string[] | undefined) ?? [];
export const getChainHead = (
  s: StateReader,
  mode: 'dss' | 'spv',
  patient: string,
): { head: string; count: number } | undefined =>
  s.get(keys.chain(mode, patient)) as { head: string; count: number } | undefined;
/** A record's transmissions, oldest first (an append-only list: see {@link appendTransmission}). */
export const getTransmissions = (s: StateReader, id: string): Transmission[] =>
  listItems<JsonValue>(s, keys.stt(id)) as unknown as Transmission[];

/**
 * Appends one transmission to a record's path: two small writes, whatever the path's length
 * (the path was one array rewritten whole on each re-share before; issue 14 §2).
 */
export function appendTransmission(s: StateOverlay, id: string, t: Transmission): void {
  appendToList(s, keys.stt(id), t as unknown as JsonValue);
}
export const getGrant = (s: StateReader, id: string): Grant | undefined =>
  s.get(keys.grant(id)) as Grant | undefined;

/** Every grant a patient has given (revoked ones included: the decision function skips them). */
export function getGrants(s: StateReader, patient: string): Grant[] {
  const ids = listItems<string>(s, keys.grants(patient));
  return ids.map((id) => getGrant(s, id)).filter((g): g is Grant => g !== undefined);
}

export const asJson = <T>(v: T): JsonValue => v as unknown as JsonValue;
