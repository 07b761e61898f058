/**
 * Record sharing on the ledger (survey §6): DSS chains with k-of-n co-signing, SPV
 * commitments, STT transmission DAGs, consent grants, audited access decisions, erasure.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ENVELOPE_ENC_BYTES,
  ENVELOPE_NONCE_BYTES,
  ENVELOPE_SUITE,
  ENVELOPE_VERSION,
  WRAPPED_KEY_BYTES,
  randomBytes,
  toB64u,
  toHex,
  type JsonValue,
} from '@medledger/crypto';
import {
  StateOverlay,
  appendToList,
  getGrants,
  getRecord,
  getTransmissions,
  listItems,
  listKeyOf,
  type AccessDecisionEntry,
  type SignedTx,
  type StateReader,
} from '../src/index.js';
import {
  MemChain,
  T0,
  enrollTx,
  makeHealthcareFixture,
  makeTx,
  type Fixture,
  type Member,
} from './fixtures.js';

const DAY = 86_400_000;

interface World {
  f: Fixture;
  c: MemChain;
  bob: Member;
  gp: Member;
  alice: Member;
  baker: Member;
  chen: Member;
  outsider: Member;
  claims: Member;
  researcher: Member;
  t: number;
  tx(m: Member | [string, Uint8Array][], type: string, payload: { [k: string]: JsonValue }): SignedTx;
  run(...txs: SignedTx[]): string[];
  access(id: string): AccessDecisionEntry;
}

async function world(): Promise<World> {
  const f = await makeHealthcareFixture();
  const c = new MemChain(f);
  const w = {
    f,
    c,
    bob: await f.member('gpclinic', 'patient', 'patient-7f3a'),
    gp: await f.member('gpclinic', 'doctor', 'gp'),
    alice: await f.member('hospitalA', 'doctor', 'alice'),
    baker: await f.member('hospitalB', 'doctor', 'baker'),
    chen: await f.member('hospitalB', 'doctor', 'chen'),
    outsider: await f.member('hospitalB', 'doctor', 'outsider'),
    claims: await f.member('insurer', 'insurer', 'claims'),
    researcher: await f.member('institute', 'researcher', 'r1'),
    t: T0 + 1000,
  } as World;
  w.tx = (m, type, payload) =>
    makeTx(f.chainId, type, payload, Array.isArray(m) ? m : [[m.id, m.keys.privateKey]], w.t);
  w.run = (...txs) => {
    w.t += 1000;
    return c.commit(txs, w.t);
  };
  w.access = (id) => c.state.get(`access:${id}`) as unknown as AccessDecisionEntry;
  const orgOf: Record<string, string> = {};
  const enroll = (org: string, m: Member): SignedTx => {
    orgOf[m.id] = org;
    return enrollTx(f, org, m, w.t, randomBytes(32));
  };
  assert.deepEqual(
    w
      .run(
        enroll('gpclinic', w.bob),
        enroll('gpclinic', w.gp),
        enroll('hospitalA', w.alice),
        enroll('hospitalB', w.baker),
        enroll('hospitalB', w.chen),
        enroll('hospitalB', w.outsider),
        enroll('insurer', w.claims),
        enroll('institute', w.researcher),
      )
      .every((x) => x === 'OK'),
    true,
  );
  const team = [w.gp.id, w.alice.id, w.baker.id, w.chen.id];
  assert.deepEqual(w.run(w.tx(w.bob, 'patient.careteam', { add: team, remove: [] })), ['OK']);
  return w;
}

const fhir = (subject: string, resourceType = 'Observation'): { [k: string]: JsonValue } => ({
  resourceType,
  status: 'final',
  subject: { reference: `Patient/${subject}` },
});

function dss(
  w: World,
  recordId: string,
  prev: string | null,
  responsible: Member[],
  k: number,
  signers: Member[],
  extra: { [k: string]: JsonValue } = {},
): SignedTx {
  return w.tx(
    signers.map((m) => [m.id, m.keys.privateKey] as [string, Uint8Array]),
    'record.dss',
    {
      recordId,
      patient: w.bob.id,
      subject: 'ep1-abc',
      category: 'clinical',
      resourceType: 'Observation',
      responsible: responsible.map((m) => m.id).sort(),
      k,
      prev,
      resource: fhir('ep1-abc'),
      ...extra,
    },
  );
}

test('dss: k of n responsible doctors co-sign; a per-patient chain links the records in order', async () => {
  const w = await world();
  const r1 = dss(w, 'gastro-1', null, [w.alice], 1, [w.alice]);
  assert.deepEqual(w.run(r1), ['OK']);
  const plan = dss(w, 'plan-1', null, [w.baker, w.chen, w.gp], 2, [w.baker, w.chen]);
  assert.deepEqual(w.run(plan), ['CHAIN_CONFLICT'], 'prev must be the patient’s last record');
  const plan2 = dss(
    w,
    'plan-1',
    r1.body && (await import('../src/index.js')).txIdOf(r1.body),
    [w.baker, w.chen, w.gp],
    2,
    [w.baker, w.chen],
  );
  assert.deepEqual(w.run(plan2), ['OK'], 'consultation group quorum 2 of 3');
  const { txIdOf } = await import('../src/index.js');
  const short = dss(w, 'plan-2', txIdOf(plan2.body), [w.baker, w.chen, w.gp], 3, [w.baker, w.chen]);
  assert.deepEqual(w.run(short), ['QUORUM_NOT_MET']);
  const intruder = dss(w, 'x-1', txIdOf(plan2.body), [w.outsider], 1, [w.outsider]);
  assert.deepEqual(w.run(intruder), ['NOT_RESPONSIBLE'], 'a doctor outside the care team cannot write');
  const sneaky = dss(w, 'x-2', txIdOf(plan2.body), [w.alice], 1, [w.alice, w.outsider]);
  assert.deepEqual(w.run(sneaky), ['NOT_RESPONSIBLE'], 'every signer must be responsible');
  const fix = dss(w, 'gastro-1-corrected', txIdOf(plan2.body), [w.alice], 1, [w.alice], {
    replaces: 'gastro-1',
  });
  assert.deepEqual(w.run(fix), ['OK'], 'a correction is a new record that references the old');
  assert.deepEqual(
    w.run(dss(w, 'gastro-1', txIdOf(fix.body), [w.alice], 1, [w.alice])),
    ['RECORD_EXISTS'],
    'nothing is overwritten',
  );
  // Walk the chain back from the head: newest to oldest.
  const chain: string[] = [];
  let cur = (w.c.state.get(`chain:dss:${w.bob.id}`) as { head: string }).head;
  const byTx = new Map(
    [...w.c.state.entries()]
      .filter(([k]) => k.startsWith('record:'))
      .map(([, v]) => [(v as { txId: string }).txId, v as { recordId: string; prev: string | null }]),
  );
  while (cur) {
    const r = byTx.get(cur)!;
    chain.push(r.recordId);
    cur = r.prev as string;
  }
  assert.deepEqual(chain, ['gastro-1-corrected', 'plan-1', 'gastro-1']);
  assert.equal(getRecord(w.c.reader, 'gastro-1-corrected')?.replaces, 'gastro-1');
});

function grant(
  w: World,
  grantId: string,
  grantee: JsonValue,
  scope: JsonValue,
  purposes: string[],
  from: number,
  to: number,
  extra: { [k: string]: JsonValue } = {},
): SignedTx {
  return w.tx(w.bob, 'consent.grant', {
    grantId,
    grantee,
    scope,
    purposes,
    notBefore: from,
    notAfter: to,
    ...extra,
  });
}

function spv(
  w: World,
  recordId: string,
  category: string,
  prev: string | null,
  resourceType = 'Observation',
): SignedTx {
  return w.tx(w.alice, 'record.spv', {
    recordId,
    patient: w.bob.id,
    subject: 'ep1-abc',
    category,
    resourceType,
    responsible: [w.alice.id],
    k: 1,
    prev,
    commitment: toHex(randomBytes(32)),
    holder: 'hospitalA',
  });
}

test('consent: default deny, grants with windows by block time, revocation from the next block, all audited', async () => {
  const w = await world();
  const { txIdOf } = await import('../src/index.js');
  const lab = spv(w, 'lab-1', 'lab', null);
  const bill = spv(w, 'bill-1', 'billing', txIdOf(lab.body), 'Claim');
  assert.deepEqual(w.run(lab, bill), ['OK', 'OK']);
  const req = (m: Member, recordId: string, purpose = 'treatment'): SignedTx =>
    w.tx(m, 'access.request', { recordId, purpose });

  const r0 = req(w.baker, 'lab-1');
  assert.deepEqual(w.run(r0), ['OK'], 'a denied request is a valid, logged transaction');
  assert.equal(w.access(txIdOf(r0.body)).allow, false);
  assert.equal(w.access(txIdOf(r0.body)).code, 'NO_GRANT');

  const until = w.t + 5000;
  assert.deepEqual(
    w.run(
      grant(
        w,
        'g-baker',
        { kind: 'member', memberId: w.baker.id },
        { categories: ['lab'] },
        ['treatment'],
        w.t,
        until,
      ),
    ),
    ['OK'],
  );
  const r1 = req(w.baker, 'lab-1');
  w.run(r1);
  assert.deepEqual([w.access(txIdOf(r1.body)).allow, w.access(txIdOf(r1.body)).grantId], [true, 'g-baker']);
  const r1b = req(w.baker, 'lab-1', 'research');
  w.run(r1b);
  assert.equal(w.access(txIdOf(r1b.body)).code, 'PURPOSE_NOT_GRANTED');

  w.t = until + 1; // the block after the window closes
  const r2 = req(w.baker, 'lab-1');
  w.run(r2);
  assert.equal(w.access(txIdOf(r2.body)).code, 'GRANT_EXPIRED', 'past its window by block time');

  assert.deepEqual(
    w.run(
      grant(
        w,
        'g-chen',
        { kind: 'member', memberId: w.chen.id },
        { categories: ['lab'] },
        ['treatment'],
        w.t,
        w.t + DAY,
      ),
    ),
    ['OK'],
  );
  const ok = req(w.chen, 'lab-1');
  const revoke = w.tx(w.bob, 'consent.revoke', { grantId: 'g-chen' });
  const sameBlock = req(w.chen, 'lab-1');
  assert.deepEqual(w.run(ok, revoke, sameBlock), ['OK', 'OK', 'OK']);
  assert.equal(w.access(txIdOf(ok.body)).allow, true, 'before the revocation');
  assert.equal(
    w.access(txIdOf(sameBlock.body)).code,
    'GRANT_REVOKED',
    'revocation takes effect with its block',
  );
  const next = req(w.chen, 'lab-1');
  w.run(next);
  assert.equal(w.access(txIdOf(next.body)).code, 'GRANT_REVOKED', 'and in every later block');
  assert.deepEqual(
    w.run(w.tx(w.chen, 'consent.revoke', { grantId: 'g-baker' })),
    ['UNAUTHORIZED'],
    'only the patient revokes',
  );
});

test('consent: an insurer sees only billing; a grant to it for clinical data is refused', async () => {
  const w = await world();
  const { txIdOf } = await import('../src/index.js');
  const lab = spv(w, 'lab-1', 'lab', null);
  const bill = spv(w, 'bill-1', 'billing', txIdOf(lab.body), 'Claim');
  w.run(lab, bill);
  const wide = grant(
    w,
    'g-ins-wide',
    { kind: 'org', org: 'insurer' },
    { categories: ['billing', 'lab'] },
    ['payment'],
    w.t,
    w.t + DAY,
  );
  const codes = w.run(wide);
  assert.notEqual(codes[0], 'OK', `insurer grant beyond billing must be refused, got ${codes[0]}`);
  assert.deepEqual(
    w.run(
      grant(
        w,
        'g-ins',
        { kind: 'org', org: 'insurer' },
        { categories: ['billing'] },
        ['payment'],
        w.t,
        w.t + DAY,
      ),
    ),
    ['OK'],
  );
  const rb = w.tx(w.claims, 'access.request', { recordId: 'bill-1', purpose: 'payment' });
  const rc = w.tx(w.claims, 'access.request', { recordId: 'lab-1', purpose: 'payment' });
  w.run(rb, rc);
  assert.equal(w.access(txIdOf(rb.body)).allow, true);
  assert.equal(w.access(txIdOf(rc.body)).allow, false);
  assert.equal(w.access(txIdOf(rc.body)).code, 'OUT_OF_SCOPE');
});

test('stt: transmissions form a DAG; re-sharing needs the patient’s consent; only receivers get the key', async () => {
  const w = await world();
  const { txIdOf } = await import('../src/index.js');
  // Well formed (the contract checks the envelope's shape), opaque otherwise.
  const zeros = (n: number): string => toB64u(new Uint8Array(n));
  const env = (ids: string[]): JsonValue => ({
    version: ENVELOPE_VERSION,
    suite: ENVELOPE_SUITE,
    nonce: zeros(ENVELOPE_NONCE_BYTES),
    ciphertext: zeros(32),
    receivers: ids.map((id) => ({
      id,
      enc: zeros(ENVELOPE_ENC_BYTES),
      wrappedKey: zeros(WRAPPED_KEY_BYTES),
    })),
  });
  const send = (from: Member, to: Member[], prev: string | null, purpose = 'treatment'): SignedTx =>
    w.tx(from, 'record.stt', {
      recordId: 'ct-scan',
      patient: w.bob.id,
      subject: 'ep1-abc',
      category: 'imaging',
      resourceType: 'DiagnosticReport',
      receivers: to.map((m) => m.id),
      purpose,
      prev,
      holder: from === w.alice ? 'hospitalA' : 'hospitalB',
      envelope: env(to.map((m) => m.id)),
    });
  const first = send(w.alice, [w.baker], null);
  assert.deepEqual(w.run(first), ['OK']);
  const toChen = send(w.baker, [w.chen], txIdOf(first.body));
  assert.deepEqual(w.run(toChen), ['OK'], 'a receiver re-shares to the care team');
  const toResearcher = send(w.baker, [w.researcher], txIdOf(first.body), 'research');
  assert.deepEqual(w.run(toResearcher), ['RECEIVER_NOT_PERMITTED']);
  assert.deepEqual(w.run(send(w.outsider, [w.outsider], txIdOf(first.body))), ['NOT_A_RECEIVER']);
  w.run(
    grant(
      w,
      'g-res',
      { kind: 'role', org: 'institute', role: 'researcher' },
      { categories: ['imaging'] },
      ['research'],
      w.t,
      w.t + DAY,
    ),
  );
  const toResearcher2 = send(w.baker, [w.researcher], txIdOf(first.body), 'research');
  assert.deepEqual(w.run(toResearcher2), ['OK'], 'with a research grant');
  const bad = { ...send(w.alice, [w.baker], null) };
  const mismatched = w.tx(w.alice, 'record.stt', {
    ...(bad.body.payload as object),
    recordId: 'other',
    envelope: env([w.chen.id]),
  } as { [k: string]: JsonValue });
  assert.deepEqual(w.run(mismatched), ['INVALID_PAYLOAD']);
  // An envelope nobody could open is refused, not stored (found by the fuzzer).
  const base = env([w.baker.id]) as { [k: string]: JsonValue };
  for (const [what, envelope] of [
    ['a padded nonce', { ...base, nonce: `${base.nonce as string}=` }],
    ['a nonce of another length', { ...base, nonce: zeros(16) }],
    ['another suite', { ...base, suite: 'none' }],
    ['no version', { ...base, version: null }],
    [
      'a wrapped key that is no base64url',
      { ...base, receivers: [{ id: w.baker.id, enc: zeros(32), wrappedKey: 'A+' }] },
    ],
  ] as const) {
    const tx = w.tx(w.alice, 'record.stt', {
      ...(bad.body.payload as object),
      recordId: 'broken',
      envelope,
    } as {
      [k: string]: JsonValue;
    });
    assert.deepEqual(w.run(tx), ['INVALID_PAYLOAD'], what);
  }
  const path = getTransmissions(w.c.reader, 'ct-scan');
  assert.deepEqual(
    path.map((t) => [t.from, t.to, t.prev]),
    [
      [w.alice.id, [w.baker.id], null],
      [w.baker.id, [w.chen.id], txIdOf(first.body)],
      [w.baker.id, [w.researcher.id], txIdOf(first.body)],
    ],
  );
  const rk = w.tx(w.chen, 'access.request', { recordId: 'ct-scan', purpose: 'treatment' });
  const rn = w.tx(w.outsider, 'access.request', { recordId: 'ct-scan', purpose: 'treatment' });
  w.run(rk, rn);
  assert.equal(w.access(txIdOf(rk.body)).allow, true);
  assert.equal(w.access(txIdOf(rn.body)).code, 'NOT_A_RECEIVER');
});

test('erasure: DSS refused with an explanation; SPV erased, logged, and denied from then on', async () => {
  const w = await world();
  const { txIdOf } = await import('../src/index.js');
  const d = dss(w, 'dss-1', null, [w.alice], 1, [w.alice]);
  const s = spv(w, 'spv-1', 'lab', null);
  w.run(d, s);
  const t1 = w.tx(w.bob, 'record.erase', { recordId: 'dss-1', reason: 'GDPR Art. 17' });
  const c1 = w.c.apply(w.c.makeBlock([t1], (w.t += 1000)));
  assert.equal(c1.outcomes[0]!.code, 'ERASURE_NOT_POSSIBLE');
  assert.match(c1.outcomes[0]!.message!, /plaintext in every node/);
  assert.deepEqual(
    w.run(w.tx(w.alice, 'record.erase', { recordId: 'spv-1', reason: 'x' })),
    ['UNAUTHORIZED'],
    'only the patient',
  );
  const er = w.tx(w.bob, 'record.erase', { recordId: 'spv-1', reason: 'GDPR Art. 17' });
  assert.deepEqual(w.run(er), ['OK']);
  assert.ok(getRecord(w.c.reader, 'spv-1')?.erasedAt);
  assert.ok(getRecord(w.c.reader, 'spv-1')?.commitment, 'the commitment stays');
  w.run(
    grant(
      w,
      'g',
      { kind: 'member', memberId: w.baker.id },
      { categories: ['lab'] },
      ['treatment'],
      w.t,
      w.t + DAY,
    ),
  );
  const rq = w.tx(w.baker, 'access.request', { recordId: 'spv-1', purpose: 'treatment' });
  w.run(rq);
  assert.equal(w.access(txIdOf(rq.body)).code, 'RECORD_ERASED');
});

test('access.log: only a node key signs access logs; entries must name existing records', async () => {
  const w = await world();
  const d = dss(w, 'dss-1', null, [w.alice], 1, [w.alice]);
  w.run(d);
  const entry = {
    recordId: 'dss-1',
    requester: w.baker.id,
    purpose: 'treatment',
    channel: 'dss',
    outcome: 'allowed',
    at: w.t,
  };
  const byNode = makeTx(
    w.f.chainId,
    'access.log',
    { entries: [entry] },
    [['node:hospitalA', w.f.orgs.hospitalA!.node.privateKey]],
    w.t,
  );
  const byMember = w.tx(w.alice, 'access.log', { entries: [entry] });
  const unknown = makeTx(
    w.f.chainId,
    'access.log',
    { entries: [{ ...entry, recordId: 'nope' }] },
    [['node:hospitalA', w.f.orgs.hospitalA!.node.privateKey]],
    w.t,
  );
  const r = w.c.apply(w.c.makeBlock([byNode, byMember, unknown], (w.t += 1000)));
  assert.deepEqual(
    r.outcomes.map((o) => o.code),
    ['OK', 'UNAUTHORIZED', 'UNKNOWN_RECORD'],
  );
  assert.equal(r.outcomes[0]!.events[0]!.patient, w.bob.id, 'the patient is notified');
});

test('access.log: an entry names a record or an enrolled patient (with a ref), exactly one of them', async () => {
  const w = await world();
  const base = {
    requester: w.baker.id,
    purpose: 'unspecified',
    channel: 'state',
    outcome: 'allowed',
    at: w.t,
  };
  const byNode = (entry: { [k: string]: string | number }) =>
    makeTx(
      w.f.chainId,
      'access.log',
      { entries: [entry] },
      [['node:hospitalA', w.f.orgs.hospitalA!.node.privateKey]],
      w.t,
    );
  const patient = byNode({ ...base, patient: w.bob.id, ref: `careteam:${w.bob.id}` });
  const notPatient = byNode({ ...base, patient: w.alice.id, ref: 'x' });
  const both = byNode({ ...base, patient: w.bob.id, recordId: 'r' });
  const neither = byNode({ ...base });
  const refAlone = byNode({ ...base, recordId: 'r', ref: 'x' });
  const r = w.c.apply(w.c.makeBlock([patient, notPatient, both, neither, refAlone], (w.t += 1000)));
  assert.deepEqual(
    r.outcomes.map((o) => o.code),
    ['OK', 'UNKNOWN_PATIENT', 'INVALID_PAYLOAD', 'INVALID_PAYLOAD', 'INVALID_PAYLOAD'],
  );
  assert.equal(r.outcomes[0]!.events[0]!.patient, w.bob.id, 'the patient is notified');
  assert.equal(r.outcomes[0]!.events[0]!.ref, `careteam:${w.bob.id}`);
});

test('behavior: an unknown purpose or category is refused with the allowed values named, and changes nothing', async () => {
  const w = await world();
  const { applyBlock, defaultContracts } = await import('../src/index.js');
  const s = spv(w, 'lab-1', 'lab', null);
  w.run(s);
  const before = JSON.stringify([...w.c.state]);
  const badPurpose = w.tx(w.baker, 'access.request', { recordId: 'lab-1', purpose: 'marketing' });
  const badCategory = spv(w, 'lab-2', 'secret', null);
  const r = applyBlock(w.c.reader, w.c.makeBlock([badPurpose, badCategory], (w.t += 1000)), {
    contracts: defaultContracts(),
    params: w.f.genesis.params,
    prevStateDigest: w.c.digest,
  });
  assert.deepEqual(
    r.outcomes.map((o) => o.code),
    ['INVALID_PAYLOAD', 'INVALID_PAYLOAD'],
  );
  assert.match(
    r.outcomes[0]!.message!,
    /payload\.purpose: must be one of treatment, payment, research, emergency/,
  );
  assert.match(r.outcomes[1]!.message!, /payload\.category: must be one of clinical, lab, billing/);
  assert.equal(r.writes.length, 0);
  assert.equal(JSON.stringify([...w.c.state]), before);
});

test('behavior: an anchored hash is not a record: requesting access to its id is UNKNOWN_RECORD', async () => {
  const w = await world();
  const anchored = w.tx(w.alice, 'record.anchor', { recordId: 'scan-7', hash: toHex(randomBytes(32)) });
  assert.deepEqual(w.run(anchored), ['OK']);
  assert.ok(w.c.state.get('anchor:scan-7'));
  assert.equal(w.c.state.get('record:scan-7'), undefined);
  assert.deepEqual(w.run(w.tx(w.baker, 'access.request', { recordId: 'scan-7', purpose: 'treatment' })), [
    'UNKNOWN_RECORD',
  ]);
});

test('consent: a grant appends in constant state bytes whatever the patient already granted, and every grant stays listed in order', async () => {
  const w = await world();
  const one = (i: number): SignedTx =>
    grant(
      w,
      `scale-${i}`,
      { kind: 'member', memberId: w.baker.id },
      { categories: ['lab'] },
      ['treatment'],
      w.t,
      w.t + DAY,
    );
  const grantBytes = (txs: SignedTx[]): number => {
    w.t += 1000;
    const r = w.c.apply(w.c.makeBlock(txs, w.t));
    assert.ok(
      r.outcomes.every((o) => o.code === 'OK'),
      JSON.stringify(r.outcomes.map((o) => o.code)),
    );
    return r.writes.reduce(
      (sum, [k], i) => (k.startsWith('grants:') ? sum + k.length + (r.writeTexts[i]?.length ?? 0) : sum),
      0,
    );
  };
  const first = grantBytes([one(0)]);
  for (let b = 0; b < 6; b++) grantBytes(Array.from({ length: 50 }, (_, j) => one(1 + b * 50 + j)));
  const later = grantBytes([one(301)]);
  assert.ok(first > 0, 'the grant list is written');
  // The 302nd grant writes its item and the new length: a few characters more than the first
  // (longer index and count), not the 301 ids before it (~20 kB as one array).
  assert.ok(later <= first + 8, `the 302nd grant wrote ${later} bytes of list, the first ${first}`);
  const ids = getGrants(w.c.reader, w.bob.id).map((g) => g.grantId);
  assert.equal(ids.length, 302);
  assert.deepEqual(ids.slice(0, 3), ['scale-0', 'scale-1', 'scale-2']);
  assert.equal(ids.at(-1), 'scale-301');
});

test('state list: a list an older version kept as one array is read as it is and moved to items by its first append', () => {
  const base = new Map<string, JsonValue>([['grants:p1', ['g-a', 'g-b']]]);
  const reader: StateReader = { get: (k) => base.get(k), hasCommittedTx: () => false };
  assert.deepEqual(listItems(reader, 'grants:p1'), ['g-a', 'g-b']);
  const o = new StateOverlay(reader);
  appendToList(o, 'grants:p1', 'g-c');
  appendToList(o, 'grants:p1', 'g-d');
  assert.deepEqual(listItems(o, 'grants:p1'), ['g-a', 'g-b', 'g-c', 'g-d']);
  assert.deepEqual(o.get('grants:p1'), { n: 4 });
  assert.equal(listKeyOf('grants:p1#3'), 'grants:p1');
  assert.equal(listKeyOf('grants:p1'), 'grants:p1');
});

test('stt: a re-share appends its transmission in constant state bytes whatever the path’s length, and the path stays in order', async () => {
  const w = await world();
  const { txIdOf } = await import('../src/index.js');
  const zeros = (n: number): string => toB64u(new Uint8Array(n));
  const send = (from: Member, to: Member, prev: string | null): SignedTx =>
    w.tx(from, 'record.stt', {
      recordId: 'long-path',
      patient: w.bob.id,
      subject: 'ep1-abc',
      category: 'imaging',
      resourceType: 'DiagnosticReport',
      receivers: [to.id],
      purpose: 'treatment',
      prev,
      holder: from === w.alice ? 'hospitalA' : 'hospitalB',
      envelope: {
        version: ENVELOPE_VERSION,
        suite: ENVELOPE_SUITE,
        nonce: zeros(ENVELOPE_NONCE_BYTES),
        ciphertext: zeros(32),
        receivers: [{ id: to.id, enc: zeros(ENVELOPE_ENC_BYTES), wrappedKey: zeros(WRAPPED_KEY_BYTES) }],
      },
    });
  const pathBytes = (txs: SignedTx[]): number => {
    w.t += 1000;
    const r = w.c.apply(w.c.makeBlock(txs, w.t));
    assert.ok(
      r.outcomes.every((o) => o.code === 'OK'),
      JSON.stringify(r.outcomes.map((o) => o.code)),
    );
    return r.writes.reduce(
      (sum, [k], i) => (k.startsWith('stt:') ? sum + k.length + (r.writeTexts[i]?.length ?? 0) : sum),
      0,
    );
  };
  const first = send(w.alice, w.baker, null);
  pathBytes([first]);
  const prev = txIdOf(first.body);
  const early = pathBytes([send(w.baker, w.chen, prev)]);
  for (let b = 0; b < 4; b++) pathBytes(Array.from({ length: 40 }, () => send(w.baker, w.chen, prev)));
  const late = pathBytes([send(w.baker, w.chen, prev)]);
  // The 163rd transmission writes its item and the new length (a digit or two longer than the
  // 2nd's), not the 162 transmissions before it (~30 kB as one array).
  assert.ok(late <= early + 8, `the 163rd transmission wrote ${late} bytes of path, the 2nd ${early}`);
  assert.deepEqual(w.c.reader.get('stt:long-path'), { n: 163 });
  const path = getTransmissions(w.c.reader, 'long-path');
  assert.equal(path.length, 163);
  assert.equal(path[0]!.prev, null);
  assert.ok(path.slice(1).every((t) => t.prev === prev && t.from === w.baker.id));
  // A re-share naming a transmission that is not on the path is still refused.
  assert.deepEqual(w.run(send(w.baker, w.chen, 'ab'.repeat(32))), ['UNKNOWN_TRANSMISSION']);
});
