/**
 * Consent ↔ grant (IHE PCF reading, fhir/consent.ts) and SMART scopes (fhir/scopes.ts), as
 * pure functions: every grant the ledger can hold becomes a valid R4 Consent that reads back
 * as the same grant (property), each inexpressible Consent element is refused by path, and
 * scopes allow exactly what they say.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Grant, Grantee, Purpose } from '@medledger/core';
import type { JsonValue } from '@medledger/crypto';
import { consentToTerms, grantToConsent } from '../src/fhir/consent.js';
import { parseScopes, scopeAllows } from '../src/fhir/scopes.js';
import { validateFhirResource } from '../src/records/fhir.js';

type Obj = { [k: string]: JsonValue };
const hex = fc.stringMatching(/^[0-9a-f]{64}$/);
const name = fc.stringMatching(/^[a-z][a-zA-Z0-9-]{0,20}$/);
const grantee: fc.Arbitrary<Grantee> = fc.oneof(
  hex.map((memberId) => ({ kind: 'member' as const, memberId })),
  name.map((org) => ({ kind: 'org' as const, org })),
  fc.tuple(name, name).map(([org, role]) => ({ kind: 'role' as const, org, role })),
);
const grant: fc.Arbitrary<Grant> = fc
  .record({
    grantId: name,
    patientId: hex,
    grantee,
    purposes: fc.uniqueArray(fc.constantFrom<Purpose>('treatment', 'payment', 'research', 'emergency'), {
      minLength: 1,
    }),
    resourceTypes: fc.option(
      fc.uniqueArray(fc.constantFrom('Observation', 'Condition', 'Claim'), { minLength: 1 }),
      { nil: undefined },
    ),
    categories: fc.option(fc.uniqueArray(fc.constantFrom('lab', 'clinical', 'billing'), { minLength: 1 }), {
      nil: undefined,
    }),
    recordIds: fc.option(fc.uniqueArray(name, { minLength: 1, maxLength: 3 }), { nil: undefined }),
    notBefore: fc.integer({ min: 0, max: 4e12 }),
    length: fc.integer({ min: 1, max: 1e11 }),
    linkage: fc.boolean(),
  })
  .filter((g) => g.resourceTypes !== undefined || g.categories !== undefined || g.recordIds !== undefined)
  .map((g) => {
    const out: Grant = {
      grantId: g.grantId,
      patientId: g.patientId,
      grantee: g.grantee,
      scope: {
        ...(g.resourceTypes ? { resourceTypes: g.resourceTypes } : {}),
        ...(g.categories ? { categories: g.categories } : {}),
        ...(g.recordIds ? { recordIds: g.recordIds } : {}),
      },
      purposes: g.purposes,
      notBefore: g.notBefore,
      notAfter: g.notBefore + g.length,
      grantedAtHeight: 1,
    };
    if (g.purposes.includes('emergency')) out.emergency = true;
    if (g.linkage) out.linkage = true;
    return out;
  });

test('property: every grant becomes a valid R4 Consent that reads back as the same grant terms', () => {
  fc.assert(
    fc.property(grant, (g) => {
      const c = grantToConsent(g, false, () => 'Observation');
      const v = validateFhirResource(c, 'Consent');
      assert.ok(v.ok, JSON.stringify(v));
      const back = consentToTerms(c);
      assert.equal(back.patient, g.patientId);
      const { grantId: _id, patientId: _p, grantedAtHeight: _h, ...terms } = g;
      assert.deepEqual(back.terms, terms);
    }),
    { numRuns: 200 },
  );
});

function baseConsent(provision: Obj): Obj {
  return {
    resourceType: 'Consent',
    status: 'active',
    scope: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }],
    },
    category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
    patient: { reference: `Patient/${'ab'.repeat(32)}` },
    policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTIN' }] },
    provision,
  };
}
const good: Obj = {
  type: 'permit',
  period: { start: '2025-01-01T00:00:00Z', end: '2026-01-01T00:00:00Z' },
  actor: [
    {
      role: {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }],
      },
      reference: { reference: 'Organization/hospitalB' },
    },
  ],
  purpose: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'TREAT' }],
  securityLabel: [{ system: 'https://medledger.dev/category', code: 'lab' }],
};

test('behavior: a PCF Consent maps to grantee, purpose, window and scope', () => {
  const { terms } = consentToTerms(baseConsent(good));
  assert.deepEqual(terms, {
    grantee: { kind: 'org', org: 'hospitalB' },
    scope: { categories: ['lab'] },
    purposes: ['treatment'],
    notBefore: Date.parse('2025-01-01T00:00:00Z'),
    notAfter: Date.parse('2026-01-01T00:00:00Z'),
  });
});

test('behavior: each inexpressible element is refused by path with why', () => {
  const cases: [string, Obj, string][] = [
    ['deny', { ...good, type: 'deny' }, 'Consent.provision.type'],
    ['nested', { ...good, provision: [{ type: 'deny' }] }, 'Consent.provision.provision'],
    ['action', { ...good, action: [{ text: 'access' }] }, 'Consent.provision.action'],
    [
      'two actors',
      { ...good, actor: [(good['actor'] as Obj[])[0]!, (good['actor'] as Obj[])[0]!] },
      'Consent.provision.actor',
    ],
    ['no end', { ...good, period: { start: '2025-01-01' } }, 'Consent.provision.period.end'],
    [
      'unknown purpose',
      { ...good, purpose: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'MARKT' }] },
      'Consent.provision.purpose[0]',
    ],
    ['no scope', { ...good, securityLabel: undefined } as unknown as Obj, 'Consent.provision'],
    [
      'other role',
      {
        ...good,
        actor: [
          {
            ...(good['actor'] as Obj[])[0]!,
            role: {
              coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'AUT' }],
            },
          },
        ],
      },
      'Consent.provision.actor[0].role',
    ],
  ];
  for (const [label, provision, path] of cases) {
    assert.throws(
      () => consentToTerms(baseConsent(JSON.parse(JSON.stringify(provision)) as Obj)),
      (e: { code?: string; meta?: { issues?: { path: string }[] } }) =>
        e.code === 'CONSENT_INEXPRESSIBLE' && (e.meta?.issues ?? []).some((i) => i.path === path),
      label,
    );
  }
  assert.throws(() => consentToTerms({ ...baseConsent(good), status: 'draft' }), /Consent\.status/);
});

test('behavior: scopes allow exactly their type, interaction and context', () => {
  const me = 'ab'.repeat(32);
  const s = parseScopes('system/Observation.read patient/*.rs user/Consent.cd');
  assert.equal(scopeAllows(s, 'Observation', 'r', me, 'other'), true);
  assert.equal(scopeAllows(s, 'Observation', 'c', me, 'other'), false);
  assert.equal(
    scopeAllows(s, 'Condition', 'r', me, 'other'),
    false,
    'patient/ is the member’s own compartment',
  );
  assert.equal(scopeAllows(s, 'Condition', 'r', me, me), true);
  assert.equal(scopeAllows(s, 'Consent', 'c', me, 'other'), true);
  assert.equal(scopeAllows(s, 'Consent', 'r', me, 'other'), false);
  for (const bad of [
    'system/Observation',
    'system/observation.read',
    'device/*.read',
    'system/*.rx',
    'openid',
    '',
  ])
    assert.throws(
      () => parseScopes(bad),
      (e: { code?: string }) => e.code === 'SMART_INVALID_SCOPE',
      bad,
    );
});
