/**
 * The FHIR R4 facade driven by a FHIR client nobody here wrote (`fhir-kit-client`) against a
 * real node over HTTP, with SMART Backend Services tokens (`jose` assertions): metadata,
 * create (SPV by default, DSS by meta.tag), read, search with paging, Consent create and
 * delete, AuditEvent search, Provenance, Bundles (a transaction commits all or nothing), an STT
 * create that the receiver opens, and OperationOutcomes for a denied read, an invalid resource
 * and an inexpressible Consent.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from 'fhir-kit-client';
import { getMember, txIdOf } from '@medledger/core';
import { RELEASE_KEY_BYTES, encryptSttBody, sttEnvelopeAad } from '@medledger/client';
import {
  canonicalBytes,
  envelopeToJson,
  fromB64u,
  randomBytes,
  sealEnvelope,
  toB64u,
} from '@medledger/crypto';
import { validateFhirResource } from '../src/records/fhir.js';
import { consentToTerms } from '../src/fhir/consent.js';
import { ARCHITECTURE_SYSTEM } from '../src/fhir/write.js';
import { RELEASE_KEY_EXTENSION, SALT_EXTENSION, TX_EXTENSION } from '../src/fhir/bundle.js';
import { condition, observation, sleep } from './helpers/records.js';
import { makeFhirWorld, type FhirWorld, type Obj, type SmartClient } from './helpers/fhir.js';

let w: FhirWorld;
let alice: SmartClient;
let bob: SmartClient;
let baker: SmartClient;
const S = 'ep-fhir-1';

before(async () => {
  w = await makeFhirWorld();
  alice = await w.registerClient('alice');
  bob = await w.registerClient('bob', 'ES256');
  baker = await w.registerClient('baker');
});
after(async () => {
  await w.cleanup();
});

/** The HTTP status and OperationOutcome of a fhir-kit-client failure. */
async function failure(
  p: Promise<unknown>,
): Promise<{ status: number; outcome: Obj; code: string; text: string }> {
  try {
    await p;
  } catch (e) {
    const r = (e as { response?: { status: number; data: Obj } }).response;
    assert.ok(r, `an HTTP error, not ${String(e)}`);
    const issue = ((r.data['issue'] as Obj[] | undefined) ?? [])[0] ?? {};
    const code =
      (((issue['details'] as Obj | undefined)?.['coding'] as Obj[] | undefined)?.[0]?.['code'] as string) ??
      '';
    return { status: r.status, outcome: r.data, code, text: String(issue['diagnostics'] ?? '') };
  }
  assert.fail('expected the request to fail');
}

function lab(value: number, date: string): Obj {
  return { ...observation(S, value), effectiveDateTime: date } as Obj;
}

async function createSpv(c: Client, id: string, resource: Obj): Promise<Obj> {
  const { headers } = w.spvCreate('alice', id, resource);
  return (await c.create({
    resourceType: 'Observation',
    body: resource as never,
    options: { headers },
  })) as Obj;
}

test('fhir: metadata is an R4 CapabilityStatement that lists what the facade does', async () => {
  const cs = (await w.fhir('').capabilityStatement()) as Obj;
  assert.equal(cs['resourceType'], 'CapabilityStatement');
  assert.equal(cs['fhirVersion'], '4.0.1');
  assert.ok(validateFhirResource(cs, 'CapabilityStatement').ok, 'valid R4');
  const rest = (cs['rest'] as Obj[])[0]!;
  const byType = new Map(
    (rest['resource'] as Obj[]).map((r) => [
      r['type'],
      (r['interaction'] as Obj[] | undefined)?.map((i) => i['code']) ?? [],
    ]),
  );
  assert.deepEqual(byType.get('Observation'), ['read', 'search-type', 'create']);
  assert.deepEqual(byType.get('Consent'), ['read', 'search-type', 'create', 'delete']);
  assert.deepEqual(byType.get('AuditEvent'), ['search-type']);
  const smartConf = (await (await fetch(`${w.base}/.well-known/smart-configuration`)).json()) as Obj;
  assert.equal(smartConf['token_endpoint'], w.tokenUrl);
  assert.deepEqual(smartConf['token_endpoint_auth_signing_alg_values_supported'], ['ES256', 'ES384']);
});

test('fhir: create (SPV default, DSS by meta.tag), read, search with paging, Provenance', async () => {
  const doc = w.fhir(
    await w.token(alice, 'system/Observation.cruds system/Condition.cruds system/Provenance.read'),
  );
  const created = await createSpv(doc, 'fhir-obs-1', lab(5.1, '2025-01-10T08:00:00Z'));
  assert.equal(created['id'], 'fhir-obs-1');
  assert.equal((created['valueQuantity'] as Obj)['value'], 5.1, 'the created resource is returned');
  assert.equal((w.node.stateValue('record:fhir-obs-1') as Obj)['mode'], 'spv', 'SPV by default');
  await createSpv(doc, 'fhir-obs-2', lab(6.2, '2025-02-10T08:00:00Z'));
  await createSpv(doc, 'fhir-obs-3', lab(7.3, '2025-03-10T08:00:00Z'));

  const cond = { ...condition(S), meta: { tag: [{ system: ARCHITECTURE_SYSTEM, code: 'dss' }] } } as Obj;
  const dssTx = w.tx('alice', 'record.dss', {
    recordId: 'fhir-cond-1',
    patient: w.id.bob,
    subject: S,
    category: 'clinical',
    resourceType: 'Condition',
    responsible: [w.id.alice],
    k: 1,
    prev: null,
    resource: cond,
  });
  // The header may leave the resource out: the facade puts the request's resource back, and
  // the doctor's signature covers it.
  const { resource: _signed, ...withoutResource } = dssTx.body.payload;
  const header = w.txHeader({ ...dssTx, body: { ...dssTx.body, payload: withoutResource } });
  await doc.create({
    resourceType: 'Condition',
    body: cond as never,
    options: { headers: { 'x-medledger-tx': header } },
  });
  assert.equal((w.node.stateValue('record:fhir-cond-1') as Obj)['mode'], 'dss', 'DSS chosen by meta.tag');

  const read = (await doc.read({ resourceType: 'Observation', id: 'fhir-obs-2' })) as Obj;
  assert.equal((read['valueQuantity'] as Obj)['value'], 6.2);
  assert.equal(read['id'], 'fhir-obs-2');
  const readCond = (await doc.read({ resourceType: 'Condition', id: 'fhir-cond-1' })) as Obj;
  assert.deepEqual(readCond['code'], cond['code']);

  // The patient searches their own Observations with a patient/ scope, two per page.
  const mine = w.fhir(await w.token(bob, 'patient/*.read'));
  const p1 = (await mine.search({
    resourceType: 'Observation',
    searchParams: { patient: `Patient/${w.id.bob}`, _count: 2 },
  })) as Obj;
  assert.equal(p1['total'], 3);
  assert.equal((p1['entry'] as Obj[]).length, 2);
  const p2 = (await mine.nextPage({ bundle: p1 as never })) as Obj;
  assert.equal((p2['entry'] as Obj[]).length, 1);
  assert.equal(
    (p2['link'] as Obj[]).find((l) => l['relation'] === 'next'),
    undefined,
    'the last page has no next link',
  );
  const ids = [...(p1['entry'] as Obj[]), ...(p2['entry'] as Obj[])]
    .map((e) => (e['resource'] as Obj)['id'])
    .sort();
  assert.deepEqual(ids, ['fhir-obs-1', 'fhir-obs-2', 'fhir-obs-3']);

  const feb = (await mine.search({
    resourceType: 'Observation',
    searchParams: { patient: w.id.bob, date: 'ge2025-02-01', code: 'http://loinc.org|2345-7' },
  })) as Obj;
  assert.equal(feb['total'], 2, 'date and code filter');
  const byCat = (await mine.search({
    resourceType: 'Observation',
    searchParams: { patient: w.id.bob, category: 'laboratory' },
  })) as Obj;
  assert.equal(byCat['total'], 3);
  const none = (await mine.search({
    resourceType: 'Observation',
    searchParams: { patient: w.id.bob, code: 'http://loinc.org|0000-0' },
  })) as Obj;
  assert.equal(none['total'], 0);
  const all = (await mine.request(`Patient/${w.id.bob}/$everything`)) as Obj;
  assert.equal(all['total'], 4, 'Patient/$everything: three Observations and the Condition');

  const prov = (await doc.read({ resourceType: 'Provenance', id: 'fhir-obs-1' })) as Obj;
  const rec = w.node.stateValue('record:fhir-obs-1') as Obj;
  const ext = ((prov['extension'] as Obj[])[0]!['extension'] as Obj[]).map((x) => [
    x['url'],
    x['valueString'] ?? x['valueInteger'] ?? x['valueCode'],
  ]);
  assert.deepEqual(Object.fromEntries(ext).txId, rec['txId']);
  assert.equal(Object.fromEntries(ext).height, rec['height']);
  assert.equal((((prov['agent'] as Obj[])[0]!['who'] as Obj)['identifier'] as Obj)['value'], w.id.alice);
  assert.equal((prov['signature'] as Obj[]).length, 1);
  assert.ok(validateFhirResource(prov, 'Provenance').ok, 'a valid R4 Provenance');
});

test('fhir: a read without consent is an OperationOutcome; Consent create lets it through, delete revokes it; AuditEvents show both', async () => {
  const other = w.fhir(await w.token(baker, 'system/*.read'));
  const denied = await failure(other.read({ resourceType: 'Observation', id: 'fhir-obs-1' }));
  assert.equal(denied.status, 403);
  assert.equal(denied.outcome['resourceType'], 'OperationOutcome');
  assert.equal(denied.code, 'ACCESS_DENIED');
  assert.match(denied.text, /NO_GRANT/);

  const consent: Obj = {
    resourceType: 'Consent',
    status: 'active',
    scope: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }],
    },
    category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
    patient: { reference: `Patient/${w.id.bob}` },
    policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTIN' }] },
    provision: {
      type: 'permit',
      period: { start: '2020-01-01T00:00:00Z', end: new Date(Date.now() + 3_600_000).toISOString() },
      actor: [
        {
          role: {
            coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }],
          },
          reference: { reference: `Practitioner/${w.id.baker}` },
        },
      ],
      purpose: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'TREAT' }],
      class: [{ system: 'http://hl7.org/fhir/resource-types', code: 'Observation' }],
    },
  };
  const patient = w.fhir(await w.token(bob, 'patient/Consent.cruds patient/AuditEvent.rs'));
  const grant = w.tx('bob', 'consent.grant', {
    grantId: 'fhir-g1',
    ...(consentToTerms(consent).terms as unknown as Obj),
  });
  const made = (await patient.create({
    resourceType: 'Consent',
    body: consent as never,
    options: { headers: { 'x-medledger-tx': w.txHeader(grant) } },
  })) as Obj;
  assert.equal(made['id'], 'fhir-g1');
  assert.equal(made['status'], 'active');
  assert.deepEqual((w.node.stateValue('grant:fhir-g1') as Obj)['grantee'], {
    kind: 'member',
    memberId: w.id.baker,
  });

  const allowed = (await other.read({ resourceType: 'Observation', id: 'fhir-obs-1' })) as Obj;
  assert.equal(allowed['id'], 'fhir-obs-1');
  const found = (await patient.search({
    resourceType: 'Consent',
    searchParams: { patient: w.id.bob },
  })) as Obj;
  assert.equal(found['total'], 1);

  const revoke = w.tx('bob', 'consent.revoke', { grantId: 'fhir-g1' });
  await patient.delete({
    resourceType: 'Consent',
    id: 'fhir-g1',
    options: { headers: { 'x-medledger-tx': w.txHeader(revoke) } },
  });
  const after = (await patient.read({ resourceType: 'Consent', id: 'fhir-g1' })) as Obj;
  assert.equal(after['status'], 'inactive');
  const again = await failure(other.read({ resourceType: 'Observation', id: 'fhir-obs-1' }));
  assert.equal(again.status, 403);
  assert.match(again.text, /GRANT_REVOKED/);

  // The access log reaches the ledger in batches; the AuditEvents follow the index.
  let events: Obj[] = [];
  for (let i = 0; i < 50; i++) {
    const b = (await patient.search({
      resourceType: 'AuditEvent',
      searchParams: { patient: w.id.bob, _count: 100 },
    })) as Obj;
    events = ((b['entry'] as Obj[] | undefined) ?? []).map((e) => e['resource'] as Obj);
    const onObs1 = events.filter(
      (e) => ((e['entity'] as Obj[])[1]!['what'] as Obj)['reference'] === 'Observation/fhir-obs-1',
    );
    if (onObs1.some((e) => e['outcome'] === '0') && onObs1.filter((e) => e['outcome'] === '4').length >= 2)
      break;
    await sleep(100);
  }
  const onObs1 = events.filter(
    (e) => ((e['entity'] as Obj[])[1]!['what'] as Obj)['reference'] === 'Observation/fhir-obs-1',
  );
  const who = (e: Obj): unknown => (((e['agent'] as Obj[])[0]!['who'] as Obj)['identifier'] as Obj)['value'];
  assert.ok(
    onObs1.some((e) => e['outcome'] === '0' && who(e) === w.id.baker),
    'the allowed read by baker',
  );
  assert.deepEqual(
    onObs1
      .filter((e) => e['outcome'] === '4' && who(e) === w.id.baker)
      .map((e) => e['outcomeDesc'])
      .sort(),
    ['GRANT_REVOKED', 'NO_GRANT'],
    'both denied reads, with why',
  );
  for (const e of events.slice(0, 5))
    assert.ok(validateFhirResource(e, 'AuditEvent').ok, 'valid R4 AuditEvents');
  const notMine = await failure(
    other.search({ resourceType: 'AuditEvent', searchParams: { patient: w.id.bob } }),
  );
  assert.equal(notMine.status, 403, 'only the patient reads their log');
});

test('fhir: an invalid resource gets a 400 OperationOutcome naming the element and the rule, and nothing is written', async () => {
  const doc = w.fhir(await w.token(alice, 'system/Observation.c'));
  const bad = {
    ...lab(9.9, '2025-04-01T00:00:00Z'),
    status: 'done',
    valueQuantity: { value: 'high' },
  } as Obj;
  const { headers } = w.spvCreate('alice', 'fhir-bad-1', bad);
  const f = await failure(
    doc.create({ resourceType: 'Observation', body: bad as never, options: { headers } }),
  );
  assert.equal(f.status, 400);
  const issues = f.outcome['issue'] as Obj[];
  const paths = issues.map((i) => (i['expression'] as string[])[0]);
  assert.ok(paths.includes('Observation.status'), `names Observation.status (${paths.join(', ')})`);
  assert.ok(
    paths.some((p) => p?.startsWith('Observation.value[x]')),
    `names the value (${paths.join(', ')})`,
  );
  assert.ok(
    issues.some((i) => /must be one of/.test(String(i['diagnostics']))),
    'says the rule',
  );
  assert.equal(w.node.stateValue('record:fhir-bad-1'), undefined, 'nothing on the ledger');
  assert.equal(await w.ehr.get('fhir-bad-1'), undefined, 'nothing in the EHR store');

  // DSS too: validated before its transaction is submitted.
  const badDss = { ...bad, meta: { tag: [{ system: ARCHITECTURE_SYSTEM, code: 'dss' }] } } as Obj;
  const dssTx = w.tx('alice', 'record.dss', {
    recordId: 'fhir-bad-2',
    patient: w.id.bob,
    subject: S,
    category: 'lab',
    resourceType: 'Observation',
    responsible: [w.id.alice],
    k: 1,
    prev: (w.node.stateValue(`chain:dss:${w.id.bob}`) as { head: string } | undefined)?.head ?? null,
    resource: badDss,
  });
  const d = await failure(
    doc.create({
      resourceType: 'Observation',
      body: badDss as never,
      options: { headers: { 'x-medledger-tx': w.txHeader(dssTx) } },
    }),
  );
  assert.equal(d.status, 400);
  assert.ok(
    (d.outcome['issue'] as Obj[]).some((i) => (i['expression'] as string[])[0] === 'Observation.status'),
  );
  assert.equal(w.node.stateValue('record:fhir-bad-2'), undefined, 'the DSS transaction was not submitted');
  assert.equal(w.node.receipt(txIdOf(dssTx.body)), undefined);
});

test('fhir: a Consent the ledger cannot express is refused with why; nothing is granted', async () => {
  const patient = w.fhir(await w.token(bob, 'patient/Consent.c'));
  const deny: Obj = {
    resourceType: 'Consent',
    status: 'active',
    scope: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }],
    },
    category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
    patient: { reference: `Patient/${w.id.bob}` },
    policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTIN' }] },
    provision: {
      type: 'deny',
      purpose: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'TREAT' }],
    },
  };
  const f = await failure(
    patient.create({
      resourceType: 'Consent',
      body: deny as never,
      options: { headers: { 'x-medledger-tx': 'x' } },
    }),
  );
  assert.equal(f.status, 422);
  assert.equal(f.code, 'CONSENT_INEXPRESSIBLE');
  const paths = (f.outcome['issue'] as Obj[]).map((i) => (i['expression'] as string[])[0]);
  assert.ok(paths.includes('Consent.provision.type'), 'names the deny provision');
  assert.ok(paths.includes('Consent.provision.period.end'), 'names the missing end');
  assert.ok(paths.includes('Consent.provision.actor'), 'names the missing actor');
});

test('fhir: a transaction Bundle with one invalid entry writes nothing; a batch answers each entry', async () => {
  const doc = w.fhir(await w.token(alice, 'system/Observation.cruds'));
  const good = lab(4.4, '2025-05-01T00:00:00Z');
  const bad = { ...lab(4.5, '2025-05-02T00:00:00Z'), status: 'nope' };
  const entry = (id: string, r: Obj) => {
    const { headers } = w.spvCreate('alice', id, r);
    return {
      resource: r,
      request: {
        method: 'POST',
        url: 'Observation',
        extension: [
          { url: TX_EXTENSION, valueString: headers['x-medledger-tx'] },
          { url: SALT_EXTENSION, valueString: headers['x-medledger-salt'] },
        ],
      },
    };
  };
  const f = await failure(
    doc.transaction({
      body: {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [entry('fhir-tx-1', good), entry('fhir-tx-2', bad)],
      },
    }),
  );
  assert.equal(f.status, 400);
  assert.ok(
    (f.outcome['issue'] as Obj[]).some((i) =>
      String((i['expression'] as string[])[0]).startsWith('Bundle.entry[1]'),
    ),
    'names the entry',
  );
  assert.equal(w.node.stateValue('record:fhir-tx-1'), undefined, 'the valid entry was not written either');

  const batch = (await doc.batch({
    body: {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { request: { method: 'GET', url: 'Observation/fhir-obs-3' } },
        { request: { method: 'GET', url: 'Observation/no-such-record' } },
        { request: { method: 'GET', url: `Observation?patient=${w.id.bob}&_count=1` } },
      ],
    },
  })) as Obj;
  const statuses = (batch['entry'] as Obj[]).map((e) => (e['response'] as Obj)['status']);
  assert.deepEqual(statuses, ['200', '404', '200']);
  assert.equal(batch['type'], 'batch-response');
});

test('fhir: a research read is de-identified; a research search is refused; an unknown purpose is a 400', async () => {
  await w.c.bob.grantConsent({
    grantId: 'fhir-research-1',
    grantee: { kind: 'member', memberId: w.id.researcher },
    scope: { resourceTypes: ['Observation'] },
    purposes: ['research'],
    notBefore: 0,
    notAfter: Date.now() + 3_600_000,
  });
  const r = await w.registerClient('researcher');
  const study = new Client({
    baseUrl: w.base,
    bearerToken: await w.token(r, 'system/Observation.rs'),
    customHeaders: { 'x-purpose-of-use': 'HRESCH' },
  });
  const got = (await study.read({ resourceType: 'Observation', id: 'fhir-obs-2' })) as Obj;
  assert.equal((got['valueQuantity'] as Obj)['value'], 6.2, 'the data');
  assert.equal(got['identifier'], undefined, 'no accession number');
  assert.equal(got['meta'], undefined, 'no block time that would point at the ledger entry');
  assert.notEqual(JSON.stringify(got['subject'] ?? null).includes(S), true, 'no episode pseudonym');
  const s = await failure(study.search({ resourceType: 'Observation', searchParams: { patient: w.id.bob } }));
  assert.deepEqual([s.status, s.code], [422, 'FHIR_NOT_SUPPORTED']);
  const odd = new Client({
    baseUrl: w.base,
    bearerToken: await w.token(r, 'system/Observation.rs'),
    customHeaders: { 'x-purpose-of-use': 'MARKT' },
  });
  const f = await failure(odd.read({ resourceType: 'Observation', id: 'fhir-obs-2' }));
  assert.equal(f.status, 400);
});

/** An STT create by alice to baker: the signed `record.stt` and the release key, as headers. */
async function sttCreate(recordId: string, resource: Obj): Promise<{ headers: Record<string, string> }> {
  const releaseKey = randomBytes(RELEASE_KEY_BYTES);
  const inner = encryptSttBody(releaseKey, canonicalBytes(resource), recordId);
  const baker = getMember(w.node.store, w.id.baker)!;
  const env = await sealEnvelope({
    plaintext: inner,
    receivers: [{ id: w.id.baker, publicKey: fromB64u(baker.encryptionKey!) }],
    aad: sttEnvelopeAad(recordId),
  });
  const t = w.tx('alice', 'record.stt', {
    recordId,
    patient: w.id.bob,
    subject: S,
    category: 'lab',
    resourceType: 'Observation',
    receivers: [w.id.baker],
    purpose: 'treatment',
    prev: null,
    holder: 'hospitalA',
    envelope: envelopeToJson(env) as unknown as Obj,
  });
  return {
    headers: {
      'x-medledger-tx': w.txHeader(t),
      'x-medledger-release-key': toB64u(releaseKey),
      'x-medledger-architecture': 'stt',
    },
  };
}

test('fhir: an STT create is validated, keeps the release key here, and its receiver opens it; an invalid one writes nothing', async () => {
  const doc = w.fhir(await w.token(alice, 'system/Observation.c'));
  const resource = lab(6.1, '2025-06-01T00:00:00Z');
  const { headers } = await sttCreate('fhir-stt-1', resource);
  const made = (await doc.create({
    resourceType: 'Observation',
    body: resource as never,
    options: { headers },
  })) as Obj;
  assert.equal(made['id'], 'fhir-stt-1');
  assert.equal((w.node.stateValue('record:fhir-stt-1') as Obj)['mode'], 'stt');
  assert.deepEqual(await w.c.baker.openStt('fhir-stt-1', 'treatment'), resource, 'the receiver decrypts it');

  const bad = { ...lab(6.2, '2025-06-02T00:00:00Z'), status: 'nope' };
  const b = await sttCreate('fhir-stt-2', bad);
  const f = await failure(
    doc.create({ resourceType: 'Observation', body: bad as never, options: { headers: b.headers } }),
  );
  assert.equal(f.status, 400);
  assert.ok(
    (f.outcome['issue'] as Obj[]).some((i) => (i['expression'] as string[])[0] === 'Observation.status'),
  );
  assert.equal(w.node.stateValue('record:fhir-stt-2'), undefined, 'nothing on the ledger');
  assert.equal(w.vault.get('fhir-stt-2', 'release'), undefined, 'no release key kept');

  const good = lab(6.3, '2025-06-03T00:00:00Z');
  const { headers: h3 } = await sttCreate('fhir-stt-3', good);
  const noKey = { ...h3 };
  delete noKey['x-medledger-release-key'];
  const k = await failure(
    doc.create({ resourceType: 'Observation', body: good as never, options: { headers: noKey } }),
  );
  assert.equal(k.status, 400);
  assert.match(k.text, /X-Medledger-Release-Key/);
  assert.equal(w.node.stateValue('record:fhir-stt-3'), undefined);
});

test('fhir: a transaction Bundle whose second write the ledger would refuse commits neither; the same entries in a Bundle of its own each commit', async () => {
  const doc = w.fhir(await w.token(alice, 'system/Observation.cruds'));
  const first = lab(7.1, '2025-07-01T00:00:00Z');
  // In a Bundle the architecture is the resource's meta.tag (no headers per entry).
  const second = {
    ...lab(7.2, '2025-07-02T00:00:00Z'),
    meta: { tag: [{ system: ARCHITECTURE_SYSTEM, code: 'stt' }] },
  };
  const entry = (headers: Record<string, string>, r: Obj) => ({
    resource: r,
    request: {
      method: 'POST',
      url: 'Observation',
      extension: [
        { url: TX_EXTENSION, valueString: headers['x-medledger-tx'] },
        ...(headers['x-medledger-salt']
          ? [{ url: SALT_EXTENSION, valueString: headers['x-medledger-salt'] }]
          : []),
        ...(headers['x-medledger-release-key']
          ? [{ url: RELEASE_KEY_EXTENSION, valueString: headers['x-medledger-release-key'] }]
          : []),
      ],
    },
  });
  // Both are valid FHIR, signed and well formed; the second claims the first's record id, so
  // the ledger would refuse it once the first is applied.
  const a = w.spvCreate('alice', 'fhir-tx-atomic', first).headers;
  const b = (await sttCreate('fhir-tx-atomic', second)).headers;
  const f = await failure(
    doc.transaction({
      body: { resourceType: 'Bundle', type: 'transaction', entry: [entry(a, first), entry(b, second)] },
    }),
  );
  assert.equal(f.status, 422, f.text);
  assert.equal(f.code, 'TX_REJECTED');
  assert.ok(
    (f.outcome['issue'] as Obj[]).some((i) =>
      String((i['expression'] as string[])[0]).startsWith('Bundle.entry[1]'),
    ),
    'names the entry the ledger would refuse',
  );
  assert.match(f.text, /RECORD_EXISTS/);
  assert.equal(
    w.node.stateValue('record:fhir-tx-atomic'),
    undefined,
    'the first write was not committed either',
  );
  assert.equal(await w.ehr.get('fhir-tx-atomic'), undefined, 'nor stored');
  assert.equal(
    w.node.receipt(txIdOf(JSON.parse(Buffer.from(fromB64u(a['x-medledger-tx']!)).toString()).body)),
    undefined,
  );

  const ok = (await doc.transaction({
    body: { resourceType: 'Bundle', type: 'transaction', entry: [entry(a, first)] },
  })) as Obj;
  assert.deepEqual(
    (ok['entry'] as Obj[]).map((e) => (e['response'] as Obj)['status']),
    ['201'],
    'the first entry alone commits',
  );
  assert.equal((w.node.stateValue('record:fhir-tx-atomic') as Obj)['mode'], 'spv');
});
