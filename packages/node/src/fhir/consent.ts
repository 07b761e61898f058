/**
 * Consent ↔ `consent.grant` (IHE Privacy Consent on FHIR, "PCF"): what a FHIR Consent says in
 * the terms of the ledger's grant, and back.
 *
 * | Consent                                            | grant                                  |
 * |----------------------------------------------------|----------------------------------------|
 * | `patient` Patient/<member id>                      | the patient (the transaction's signer) |
 * | `provision.actor[]` role IRCP, reference:          | `grantee`                              |
 * |   Practitioner/ Patient/ RelatedPerson/<member id> |   `{ kind: member }`                   |
 * |   Organization/<org>                               |   `{ kind: org }`                      |
 * |   PractitionerRole/<org>:<role>                    |   `{ kind: role }`                     |
 * | `provision.purpose[]` v3 ActReason TREAT, HPAYMT,  | `purposes` (ETREAT/BTG also set        |
 * |   HRESCH, ETREAT, BTG                              |   `emergency`)                         |
 * | `provision.period` start / end                     | `notBefore` / `notAfter` (end required)|
 * | `provision.class` resource-types codes             | `scope.resourceTypes`                  |
 * | `provision.securityLabel` / `class` in the         | `scope.categories`                     |
 * |   medledger category system                        |                                        |
 * | `provision.data[].reference` <Type>/<record id>    | `scope.recordIds`                      |
 * | `provision.extension` {@link LINKAGE_EXTENSION}    | `linkage` (research with linkable ids) |
 *
 * A Consent the ledger cannot express is refused (CONSENT_INEXPRESSIBLE) with the element and
 * the reason: another status than active, a `deny` provision (the ledger is default-deny: not
 * granting is denying), nested provisions, actions, codes, data periods, more than one actor,
 * an actor role other than IRCP, a purpose outside the table, no end of period, no scope.
 */
import { PURPOSES, type Grantee, type Purpose, type Scope } from '@medledger/core';
import type { GrantConsentPayload } from '@medledger/core';
import type { Grant } from '@medledger/core';
import type { JsonValue } from '@medledger/crypto';
import { MEDLEDGER_CATEGORY_SYSTEM } from '../records/category.js';
import { ACT_REASON, ACT_REASON_SYSTEM, PURPOSE_CODE } from './context.js';
import { fhirError, type PathIssue } from './outcome.js';

type Obj = { [k: string]: JsonValue };

/** `provision` extension: the researcher may receive linkable ids (`Grant.linkage`). */
export const LINKAGE_EXTENSION = 'https://medledger.dev/fhir/StructureDefinition/research-linkage';

export const RESOURCE_TYPES_SYSTEM = 'http://hl7.org/fhir/resource-types';
const PARTICIPATION = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType';
const SCOPE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/consentscope';
const LOINC = 'http://loinc.org';

/** The grant fields a Consent expresses (the grant id is the transaction's). */
export type ConsentTerms = Omit<GrantConsentPayload, 'grantId'>;

/** The patient's member id a Consent names, and the grant terms it expresses. */
export interface ExpressedConsent {
  patient: string;
  terms: ConsentTerms;
}

function refuse(issues: PathIssue[]): never {
  throw fhirError(
    'CONSENT_INEXPRESSIBLE',
    `this Consent cannot be expressed as a medledger grant: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    issues,
  );
}

const arr = (v: JsonValue | undefined): JsonValue[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
const codingsOf = (v: JsonValue | undefined): { system?: string; code?: string }[] =>
  arr(v) as { system?: string; code?: string }[];

function granteeOf(ref: string | undefined): Grantee | undefined {
  const m = /^(Practitioner|Patient|RelatedPerson|Organization|PractitionerRole)\/(.+)$/.exec(ref ?? '');
  if (!m) return undefined;
  const [, type, id] = m as unknown as [string, string, string];
  if (type === 'Organization') return /^[A-Za-z0-9-]{1,64}$/.test(id) ? { kind: 'org', org: id } : undefined;
  if (type === 'PractitionerRole') {
    const r = /^([A-Za-z0-9-]{1,64}):([A-Za-z0-9-]{1,64})$/.exec(id);
    return r ? { kind: 'role', org: r[1]!, role: r[2]! } : undefined;
  }
  return /^[0-9a-f]{64}$/.test(id) ? { kind: 'member', memberId: id } : undefined;
}

/**
 * Reads a (structurally valid R4) Consent as grant terms.
 * @throws CONSENT_INEXPRESSIBLE with one issue per element the ledger cannot express
 */
export function consentToTerms(c: Obj): ExpressedConsent {
  const issues: PathIssue[] = [];
  const bad = (path: string, message: string): void => void issues.push({ path, message });
  if (c['status'] !== 'active')
    bad('Consent.status', 'only an active Consent becomes a grant (revoke a grant with DELETE)');
  const scopeCodes = codingsOf((c['scope'] as Obj | undefined)?.['coding']);
  if (!scopeCodes.some((x) => x.system === SCOPE_SYSTEM && x.code === 'patient-privacy'))
    bad('Consent.scope', 'must be patient-privacy (consentscope); medledger grants are privacy consents');
  const cats = arr(c['category']).flatMap((x) => codingsOf((x as Obj)['coding']));
  if (!cats.some((x) => x.system === LOINC && x.code === '59284-0'))
    bad('Consent.category', 'must include LOINC 59284-0 (patient consent)');
  const pm = /^Patient\/([0-9a-f]{64})$/.exec(
    ((c['patient'] as Obj | undefined)?.['reference'] as string | undefined) ?? '',
  );
  if (!pm) bad('Consent.patient', 'must be Patient/<the patient’s member id>');
  const p = c['provision'] as Obj | undefined;
  if (!p)
    refuse([
      ...issues,
      {
        path: 'Consent.provision',
        message: 'a provision is required: it says who may read what, why and until when',
      },
    ]);
  if (p['type'] !== 'permit')
    bad(
      'Consent.provision.type',
      'must be permit: the ledger denies by default, so a deny provision has nothing to express',
    );
  let linkage = false;
  (arr(p['extension']) as Obj[]).forEach((x, i) => {
    if (x['url'] === LINKAGE_EXTENSION && typeof x['valueBoolean'] === 'boolean') linkage = x['valueBoolean'];
    else bad(`Consent.provision.extension[${i}]`, `only ${LINKAGE_EXTENSION} (valueBoolean) is expressible`);
  });
  for (const k of ['provision', 'action', 'code', 'dataPeriod', 'modifierExtension'])
    if (p[k] !== undefined)
      bad(
        `Consent.provision.${k}`,
        'not expressible in a grant (no nested rules, actions, codes or data periods)',
      );
  const actors = arr(p['actor']) as Obj[];
  let grantee: Grantee | undefined;
  if (actors.length !== 1)
    bad('Consent.provision.actor', 'exactly one actor is required (one grant per grantee)');
  else {
    const a = actors[0]!;
    if (
      !codingsOf((a['role'] as Obj | undefined)?.['coding']).some(
        (x) => x.system === PARTICIPATION && x.code === 'IRCP',
      )
    )
      bad('Consent.provision.actor[0].role', 'must be IRCP (information recipient)');
    grantee = granteeOf((a['reference'] as Obj | undefined)?.['reference'] as string | undefined);
    if (!grantee)
      bad(
        'Consent.provision.actor[0].reference',
        'must be Practitioner|Patient|RelatedPerson/<member id>, Organization/<org> or PractitionerRole/<org>:<role>',
      );
  }
  const purposes: Purpose[] = [];
  let emergency = false;
  const ps = codingsOf(p['purpose']);
  ps.forEach((x, i) => {
    const mapped = x.system === ACT_REASON_SYSTEM && x.code !== undefined ? ACT_REASON[x.code] : undefined;
    if (!mapped)
      bad(
        `Consent.provision.purpose[${i}]`,
        `must be a v3 ActReason code among ${Object.keys(ACT_REASON).join(', ')}`,
      );
    else {
      if (mapped === 'emergency') emergency = true;
      if (!purposes.includes(mapped)) purposes.push(mapped);
    }
  });
  if (ps.length === 0) bad('Consent.provision.purpose', 'at least one purpose is required');
  const period = p['period'] as Obj | undefined;
  const start = typeof period?.['start'] === 'string' ? Date.parse(period['start']) : 0;
  const end = typeof period?.['end'] === 'string' ? Date.parse(period['end']) : NaN;
  if (Number.isNaN(end)) bad('Consent.provision.period.end', 'a grant needs an end');
  if (Number.isNaN(start)) bad('Consent.provision.period.start', 'not a dateTime');
  const scope: Scope = {};
  const classes = codingsOf(p['class']);
  classes.forEach((x, i) => {
    if (x.system === RESOURCE_TYPES_SYSTEM && typeof x.code === 'string')
      (scope.resourceTypes ??= []).push(x.code);
    else if (x.system === MEDLEDGER_CATEGORY_SYSTEM && typeof x.code === 'string')
      (scope.categories ??= []).push(x.code);
    else
      bad(
        `Consent.provision.class[${i}]`,
        `must be a resource type (${RESOURCE_TYPES_SYSTEM}) or a medledger category (${MEDLEDGER_CATEGORY_SYSTEM})`,
      );
  });
  codingsOf(p['securityLabel']).forEach((x, i) => {
    if (x.system === MEDLEDGER_CATEGORY_SYSTEM && typeof x.code === 'string')
      (scope.categories ??= []).push(x.code);
    else
      bad(
        `Consent.provision.securityLabel[${i}]`,
        `only medledger categories (${MEDLEDGER_CATEGORY_SYSTEM}) are expressible`,
      );
  });
  (arr(p['data']) as Obj[]).forEach((d, i) => {
    const ref = ((d['reference'] as Obj | undefined)?.['reference'] as string | undefined) ?? '';
    const m = /^[A-Z][A-Za-z]+\/([A-Za-z0-9._:@-]{1,128})$/.exec(ref);
    if (!m || d['meaning'] !== 'instance')
      bad(`Consent.provision.data[${i}]`, 'must be { meaning: instance, reference: <Type>/<record id> }');
    else (scope.recordIds ??= []).push(m[1]!);
  });
  if (scope.resourceTypes === undefined && scope.categories === undefined && scope.recordIds === undefined)
    bad(
      'Consent.provision',
      'name what the grant covers: class (resource types or categories), securityLabel or data',
    );
  if (issues.length > 0 || !grantee || !pm) refuse(issues);
  const terms: ConsentTerms = { grantee, scope, purposes, notBefore: start, notAfter: end };
  if (emergency) terms.emergency = true;
  if (linkage) terms.linkage = true;
  return { patient: pm[1]!, terms };
}

/**
 * The Consent of a grant (status inactive once revoked); `typeOf` names a record's resource
 * type for `provision.data` (Basic when unknown).
 */
export function grantToConsent(
  g: Grant,
  revoked: boolean,
  typeOf: (recordId: string) => string | undefined = () => undefined,
): Obj {
  const ref =
    g.grantee.kind === 'member'
      ? `Practitioner/${g.grantee.memberId}`
      : g.grantee.kind === 'org'
        ? `Organization/${g.grantee.org}`
        : `PractitionerRole/${g.grantee.org}:${g.grantee.role}`;
  const cls = [
    ...(g.scope.resourceTypes ?? []).map((code) => ({ system: RESOURCE_TYPES_SYSTEM, code })),
    ...(g.scope.categories ?? []).map((code) => ({ system: MEDLEDGER_CATEGORY_SYSTEM, code })),
  ];
  const provision: Obj = {
    type: 'permit',
    period: { start: new Date(g.notBefore).toISOString(), end: new Date(g.notAfter).toISOString() },
    actor: [{ role: { coding: [{ system: PARTICIPATION, code: 'IRCP' }] }, reference: { reference: ref } }],
    purpose: g.purposes
      .filter((x) => (PURPOSES as readonly string[]).includes(x))
      .map((x) => ({ system: ACT_REASON_SYSTEM, code: PURPOSE_CODE[x] })),
  };
  if (cls.length > 0) provision['class'] = cls;
  if (g.scope.recordIds)
    provision['data'] = g.scope.recordIds.map((id) => ({
      meaning: 'instance',
      reference: { reference: `${typeOf(id) ?? 'Basic'}/${id}` },
    }));
  if (g.linkage === true) provision['extension'] = [{ url: LINKAGE_EXTENSION, valueBoolean: true }];
  return {
    resourceType: 'Consent',
    id: g.grantId,
    meta: { versionId: revoked ? '2' : '1' },
    status: revoked ? 'inactive' : 'active',
    scope: { coding: [{ system: SCOPE_SYSTEM, code: 'patient-privacy' }] },
    category: [{ coding: [{ system: LOINC, code: '59284-0' }] }],
    patient: { reference: `Patient/${g.patientId}` },
    policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTIN' }] },
    provision,
  };
}
