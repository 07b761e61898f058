/**
 * medledger record categories, derived from a FHIR R4 resource. Consent grants and access
 * policies name categories, so the mapping decides who may read a record: when in doubt it
 * picks the more sensitive category.
 *
 * Rules, first match wins:
 *
 * | source                                                                  | category          |
 * |-------------------------------------------------------------------------|-------------------|
 * | meta.security / meta.tag, system `https://medledger.dev/category`,      | that code         |
 * |   code one of RECORD_CATEGORIES (several: the most sensitive, below)    |                   |
 * | meta.security, system `http://terminology.hl7.org/CodeSystem/v3-ActCode`|                   |
 * |   GDIS (genetic disease information sensitivity)                        | genetic           |
 * |   MH, PSY, PSYTHPN (mental health, psychiatry, psychotherapy note)      | mental-health     |
 * | Claim, ExplanationOfBenefit, Coverage                                   | billing           |
 * | MedicationRequest                                                       | medication        |
 * | Observation.category, system `.../observation-category`: laboratory    | lab               |
 * |                                                          imaging       | imaging           |
 * | DiagnosticReport.category, system `.../v2-0074`:                        |                   |
 * |   GE (genetics), CG (cytogenetics)                                      | genetic           |
 * |   RAD CT NMR NMS RUS OUS CUS VUS RX XRC (radiology, scans, ultrasound)  | imaging           |
 * |   LAB BG BLB CH CP HM IMM MB MCB MYC OSL SP SR TX VR (laboratory)       | lab               |
 * | anything else (Condition, Encounter, DocumentReference, ...)            | clinical          |
 *
 * Sensitivity order (for several override codes, and for a Bundle whose entries differ):
 * genetic > mental-health > imaging > lab > medication > billing > clinical. A Bundle whose
 * entries share one category gets it; a mixed Bundle gets its most sensitive entry's category.
 */

/** Categories a record can have; consent grants name these. */
export type RecordCategory =
  'clinical' | 'lab' | 'billing' | 'mental-health' | 'genetic' | 'imaging' | 'medication';

/** All categories, most sensitive first. */
export const RECORD_CATEGORIES: readonly RecordCategory[] = [
  'genetic',
  'mental-health',
  'imaging',
  'lab',
  'medication',
  'billing',
  'clinical',
];

/** The coding system a resource uses to mark its medledger category in meta.security or meta.tag. */
export const MEDLEDGER_CATEGORY_SYSTEM = 'https://medledger.dev/category';

const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const OBS_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
const V2_0074 = 'http://terminology.hl7.org/CodeSystem/v2-0074';

const ACT_CODE_MAP: Record<string, RecordCategory> = {
  GDIS: 'genetic',
  MH: 'mental-health',
  PSY: 'mental-health',
  PSYTHPN: 'mental-health',
};
const OBS_MAP: Record<string, RecordCategory> = { laboratory: 'lab', imaging: 'imaging' };
const V2_0074_MAP: Record<string, RecordCategory> = {
  ...Object.fromEntries('GE CG'.split(' ').map((c) => [c, 'genetic' as const])),
  ...Object.fromEntries(
    'RAD CT NMR NMS RUS OUS CUS VUS RX XRC'.split(' ').map((c) => [c, 'imaging' as const]),
  ),
  ...Object.fromEntries(
    'LAB BG BLB CH CP HM IMM MB MCB MYC OSL SP SR TX VR'.split(' ').map((c) => [c, 'lab' as const]),
  ),
};

/** True if `c` is a {@link RecordCategory}. */
export function isRecordCategory(c: unknown): c is RecordCategory {
  return typeof c === 'string' && (RECORD_CATEGORIES as readonly string[]).includes(c);
}

/** The most sensitive of `cs` (undefined if empty). */
export function mostSensitive(cs: Iterable<RecordCategory>): RecordCategory | undefined {
  let best: RecordCategory | undefined;
  for (const c of cs)
    if (best === undefined || RECORD_CATEGORIES.indexOf(c) < RECORD_CATEGORIES.indexOf(best)) best = c;
  return best;
}

interface Coding {
  system?: unknown;
  code?: unknown;
}

function codings(v: unknown): Coding[] {
  return Array.isArray(v) ? v.filter((c): c is Coding => typeof c === 'object' && c !== null) : [];
}

/** Codings of every CodeableConcept in `v` (a CodeableConcept or an array of them). */
function conceptCodings(v: unknown): Coding[] {
  const list = Array.isArray(v) ? v : [v];
  return list.flatMap((cc) =>
    typeof cc === 'object' && cc !== null ? codings((cc as { coding?: unknown }).coding) : [],
  );
}

function lookup(cs: Coding[], system: string, map: Record<string, RecordCategory>): RecordCategory[] {
  return cs.flatMap((c) =>
    c.system === system && typeof c.code === 'string' && map[c.code] ? [map[c.code]!] : [],
  );
}

/**
 * The category a resource declares in its meta (medledger system or v3 sensitivity codes),
 * or undefined. Unknown codes of the medledger system are returned in `unknown` (index in
 * meta.security / meta.tag) so the validator can report them.
 */
export function declaredCategory(meta: unknown): {
  category?: RecordCategory;
  unknown: { path: string }[];
} {
  if (typeof meta !== 'object' || meta === null) return { unknown: [] };
  const found: RecordCategory[] = [];
  const unknown: { path: string }[] = [];
  for (const field of ['security', 'tag'] as const) {
    codings((meta as Record<string, unknown>)[field]).forEach((c, i) => {
      if (c.system !== MEDLEDGER_CATEGORY_SYSTEM) return;
      if (isRecordCategory(c.code)) found.push(c.code);
      else unknown.push({ path: `meta.${field}[${i}].code` });
    });
  }
  found.push(...lookup(codings((meta as Record<string, unknown>)['security']), ACT_CODE, ACT_CODE_MAP));
  const category = mostSensitive(found);
  return category === undefined ? { unknown } : { category, unknown };
}

/** The category implied by a single (non-Bundle) resource's type and fields, per the table above. */
export function impliedCategory(r: Record<string, unknown>): RecordCategory {
  switch (r['resourceType']) {
    case 'Claim':
    case 'ExplanationOfBenefit':
    case 'Coverage':
      return 'billing';
    case 'MedicationRequest':
      return 'medication';
    case 'Observation':
      return mostSensitive(lookup(conceptCodings(r['category']), OBS_CATEGORY, OBS_MAP)) ?? 'clinical';
    case 'DiagnosticReport':
      return mostSensitive(lookup(conceptCodings(r['category']), V2_0074, V2_0074_MAP)) ?? 'clinical';
    default:
      return 'clinical';
  }
}
