/**
 * The minimum quorum of a DSS record (survey §6.1: a record signed by k of its n responsible
 * doctors) is policy on the ledger, never the writer's choice. Keys:
 *   policy:dss-quorum             RecordQuorumPolicy, set by the founders (consortium.record-policy)
 *   policy:dss-quorum:<patient>   PatientQuorum, set by the patient (patient.record-quorum)
 * The minimum for a record is the largest of the consortium's default, its entry for the
 * record's category and its entry for the record's resource type, and the patient's own
 * minimum. A payload's k may be higher, never lower (record.dss: QUORUM_BELOW_POLICY). With no
 * policy on the ledger the consortium's default is {@link DEFAULT_DSS_QUORUM}.
 */
import type { JsonValue } from '@medledger/crypto';
import type { StateReader } from '../state.js';
import { int, obj, onlyKeys, type Obj } from '../validate.js';
import { malformed, type InputErrorCode } from '../errors.js';
import { RECORD_CATEGORIES } from './state.js';

/** The largest k a record may need: a record lists at most 32 responsible doctors. */
export const MAX_QUORUM = 32;

/** The consortium's minimum quorum of DSS records. */
export interface RecordQuorumPolicy {
  [k: string]: JsonValue;
  default: number;
  categories: { [category: string]: number };
  resourceTypes: { [resourceType: string]: number };
}

/** A patient's own minimum quorum for their DSS records. */
export interface PatientQuorum {
  [k: string]: JsonValue;
  min: number;
}

/** The consortium's minimum when governance has set none: one responsible doctor. */
export const DEFAULT_DSS_QUORUM: RecordQuorumPolicy = { default: 1, categories: {}, resourceTypes: {} };

export const quorumKeys = {
  consortium: 'policy:dss-quorum',
  patient: (patient: string): string => `policy:dss-quorum:${patient}`,
};

const RESOURCE_TYPE = /^[A-Z][A-Za-z]+$/;

/**
 * Parses a {@link RecordQuorumPolicy} from a payload field.
 * @throws LedgerError `code` naming the bad field: an unknown category, a resource type that
 *   is not a FHIR type name, a minimum outside 1..{@link MAX_QUORUM}
 */
export function parseQuorumPolicy(v: unknown, path: string, code: InputErrorCode): RecordQuorumPolicy {
  const p = obj(v, path, code);
  onlyKeys(p, ['default', 'categories', 'resourceTypes'], path, code);
  const table = (t: unknown, at: string, keyOk: (k: string) => boolean, what: string) => {
    const out: { [k: string]: number } = {};
    if (t === undefined) return out;
    const o: Obj = obj(t, at, code);
    const names = Object.keys(o);
    if (names.length > 64) malformed(code, at, 'at most 64 entries');
    for (const k of names) {
      if (!keyOk(k)) malformed(code, `${at}.${k}`, `not ${what}`);
      out[k] = int(o[k], `${at}.${k}`, code, 1, MAX_QUORUM);
    }
    return out;
  };
  return {
    default: int(p.default, `${path}.default`, code, 1, MAX_QUORUM),
    categories: table(
      p.categories,
      `${path}.categories`,
      (k) => (RECORD_CATEGORIES as readonly string[]).includes(k),
      `a record category (${RECORD_CATEGORIES.join(', ')})`,
    ),
    resourceTypes: table(
      p.resourceTypes,
      `${path}.resourceTypes`,
      (k) => k.length <= 64 && RESOURCE_TYPE.test(k),
      'a FHIR resource type',
    ),
  };
}

/** The consortium's policy now. */
export function getQuorumPolicy(state: StateReader): RecordQuorumPolicy {
  return (state.get(quorumKeys.consortium) as RecordQuorumPolicy | undefined) ?? DEFAULT_DSS_QUORUM;
}

/**
 * The minimum k of a DSS record of `patient` with this category and resource type, and which
 * policy sets it.
 */
export function minimumDssQuorum(
  state: StateReader,
  patient: string,
  category: string,
  resourceType: string,
): { k: number; by: 'consortium' | 'patient' } {
  const c = getQuorumPolicy(state);
  const consortium = Math.max(
    c.default,
    c.categories[category] ?? 0,
    Object.hasOwn(c.resourceTypes, resourceType) ? (c.resourceTypes[resourceType] ?? 0) : 0,
  );
  const own = (state.get(quorumKeys.patient(patient)) as PatientQuorum | undefined)?.min ?? 0;
  return own > consortium ? { k: own, by: 'patient' } : { k: consortium, by: 'consortium' };
}
