/**
 * De-identification of a FHIR record served to a researcher (issue 3 §8: "a researcher
 * receives records with no linkable identifier unless the patient grants linkage"). In the
 * spirit of the HIPAA Safe Harbor identifier list (45 CFR 164.514(b)(2)), restricted to what
 * a FHIR resource carries structurally. Removed, in the resource and in every Bundle entry:
 *
 * | field                         | why                                                        |
 * |-------------------------------|------------------------------------------------------------|
 * | `id`, `meta` (except `security` and `tag` codings), Bundle `entry.fullUrl` | logical ids link a record to others and to the store |
 * | `identifier`, `note` (anywhere) | business identifiers (MRN, accession numbers); free-text annotations may name people |
 * | resource `text`, `contained`  | the narrative may name people; contained resources may be the Patient |
 * | every `reference` and the `display` / `identifier` beside it | a reference to `Patient/<pseudonym>`, an Encounter, an author or another record links records of one patient |
 *
 * The patient reference (`subject`, `patient` or `beneficiary`) is dropped, or, when the
 * patient granted research linkage and released a study key, replaced by
 * `{ identifier: { system: LINKAGE_SYSTEM, value: linkagePseudonym(studyKey, patientId) } }`:
 * the same value for all of that patient's records in that study, nothing else.
 *
 * Not removed (threat model): dates, codes, values and the category: rare diagnoses or exact
 * dates remain quasi-identifiers (no generalisation or k-anonymity is attempted), and the
 * served record cannot be checked against its on-chain commitment (the check would need the
 * removed fields and the salt, which would re-identify the record).
 */
import type { JsonValue } from '@medledger/crypto';

/** System of the linkage identifier written in place of the patient reference. */
export const LINKAGE_SYSTEM = 'https://medledger.dev/research-linkage';

type Obj = { [k: string]: JsonValue };
const PATIENT_FIELDS = ['subject', 'patient', 'beneficiary'];
/** Dropped at any depth. */
const DROP = new Set(['identifier', 'note']);
/** Dropped at the resource level (`text` elsewhere, e.g. CodeableConcept.text, is clinical content). */
const DROP_TOP = new Set(['id', 'text', 'contained']);

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Result of {@link deidentifyResource}. */
export interface DeidentifyResult {
  resource: Obj;
  /** Paths of the removed fields (names only, never values), in document order. */
  removed: string[];
}

/** The scrubbed value; undefined for a reference left empty (the field is then dropped). */
function scrub(v: JsonValue, path: string, removed: string[]): JsonValue | undefined {
  if (Array.isArray(v)) {
    const kept = v.map((x) => scrub(x, `${path}[]`, removed)).filter((x): x is JsonValue => x !== undefined);
    return kept.length === 0 && v.length > 0 ? undefined : kept;
  }
  if (!isObj(v)) return v;
  const out: Obj = {};
  const isRef = typeof v.reference === 'string';
  for (const [k, x] of Object.entries(v)) {
    const p = path ? `${path}.${k}` : k;
    if (DROP.has(k) || (isRef && (k === 'reference' || k === 'display'))) {
      removed.push(p);
      continue;
    }
    if (k === 'meta' && isObj(x)) {
      const kept: Obj = {};
      for (const [mk, mv] of Object.entries(x)) {
        if (mk === 'security' || mk === 'tag') kept[mk] = mv;
        else removed.push(`${p}.${mk}`);
      }
      if (Object.keys(kept).length > 0) out[k] = kept;
      continue;
    }
    const y = scrub(x, p, removed);
    if (y !== undefined) out[k] = y;
  }
  return isRef && Object.keys(out).length === 0 ? undefined : out;
}

function single(r: Obj, prefix: string, linkageId: string | undefined, removed: string[]): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(r)) {
    const p = `${prefix}.${k}`;
    if (PATIENT_FIELDS.includes(k) && isObj(v)) {
      removed.push(p);
      if (linkageId !== undefined) out[k] = { identifier: { system: LINKAGE_SYSTEM, value: linkageId } };
      continue;
    }
    if (k === 'resourceType') {
      out[k] = v;
      continue;
    }
    if (DROP_TOP.has(k)) {
      removed.push(p);
      continue;
    }
    const kept = scrub({ [k]: v }, prefix, removed) as Obj;
    if (k in kept) out[k] = kept[k]!;
  }
  return out;
}

/**
 * A copy of `resource` without linkable identifiers (see the table above).
 * @param linkageId the study linkage pseudonym to put in place of the patient, if granted
 * @example const { resource, removed } = deidentifyResource(fhir); // removed: ['Observation.id', ...]
 */
export function deidentifyResource(resource: Obj, linkageId?: string): DeidentifyResult {
  const removed: string[] = [];
  const type = String(resource.resourceType);
  if (type !== 'Bundle') return { resource: single(resource, type, linkageId, removed), removed };
  const out = single({ ...resource, entry: [] }, type, linkageId, removed);
  const entries = Array.isArray(resource.entry) ? resource.entry : [];
  out.entry = entries.map((e, i) => {
    if (!isObj(e)) return e;
    const o: Obj = {};
    for (const [k, v] of Object.entries(e)) {
      if (k === 'resource' && isObj(v))
        o.resource = single(v, `Bundle.entry[${i}].resource`, linkageId, removed);
      else if (k === 'fullUrl') removed.push(`Bundle.entry[${i}].fullUrl`);
      else o[k] = v;
    }
    return o;
  });
  return { resource: out, removed };
}
