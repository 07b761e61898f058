/**
 * The quorum of a DSS record comes from policy on the ledger, not from its writer: the
 * consortium's minimum per record category or resource type (`consortium.record-policy`,
 * approved by the founders' threshold) and the patient's own minimum (`patient.record-quorum`).
 * A payload can raise k, never lower it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { txIdOf, type SignedTx } from '../src/index.js';
import type { JsonValue } from '@medledger/crypto';
import {
  MemChain,
  T0,
  enrollTx,
  makeHealthcareFixture,
  makeTx,
  type Fixture,
  type Member,
} from './fixtures.js';
import { govTx, rootKeys } from './consortium-fixtures.js';

interface World {
  f: Fixture;
  c: MemChain;
  bob: Member;
  gp: Member;
  alice: Member;
  baker: Member;
  t: number;
  prev: string | null;
}

async function world(): Promise<World> {
  const f = await makeHealthcareFixture();
  const c = new MemChain(f);
  const w: World = {
    f,
    c,
    bob: await f.member('gpclinic', 'patient', 'patient-7f3a'),
    gp: await f.member('gpclinic', 'doctor', 'gp'),
    alice: await f.member('hospitalA', 'doctor', 'alice'),
    baker: await f.member('hospitalB', 'doctor', 'baker'),
    t: T0 + 1000,
    prev: null,
  };
  const enroll = (org: string, m: Member): SignedTx => enrollTx(f, org, m, T0);
  assert.deepEqual(
    c.commit(
      [
        enroll('gpclinic', w.bob),
        enroll('gpclinic', w.gp),
        enroll('hospitalA', w.alice),
        enroll('hospitalB', w.baker),
      ],
      T0 + 1,
    ),
    ['OK', 'OK', 'OK', 'OK'],
  );
  const team = [w.gp.id, w.alice.id, w.baker.id];
  assert.deepEqual(run(w, tx(w, w.bob, 'patient.careteam', { add: team, remove: [] })), ['OK']);
  return w;
}

const tx = (w: World, m: Member, type: string, payload: { [k: string]: JsonValue }): SignedTx =>
  makeTx(w.f.chainId, type, payload, [[m.id, m.keys.privateKey]], w.t);

function run(w: World, ...txs: SignedTx[]): string[] {
  w.t += 1000;
  const codes = w.c.commit(txs, w.t);
  txs.forEach((x, i) => {
    if (codes[i] === 'OK' && x.body.type === 'record.dss') w.prev = txIdOf(x.body);
  });
  return codes;
}

/** A DSS record of Bob's, written by `signers` with the payload's own k and responsible list. */
function dss(
  w: World,
  recordId: string,
  k: number,
  responsible: Member[],
  signers: Member[],
  resourceType = 'Observation',
): SignedTx {
  return makeTx(
    w.f.chainId,
    'record.dss',
    {
      recordId,
      patient: w.bob.id,
      subject: 'ep1',
      category: 'clinical',
      resourceType,
      responsible: responsible.map((m) => m.id).sort(),
      k,
      prev: w.prev,
      resource: { resourceType, status: 'final', subject: { reference: 'Patient/ep1' } },
    },
    signers.map((m) => [m.id, m.keys.privateKey] as [string, Uint8Array]),
    w.t,
  );
}

const policy = (
  w: World,
  dss: { [k: string]: JsonValue },
  founders = ['hospitalA', 'hospitalB', 'gpclinic'],
): SignedTx => govTx(w.f, rootKeys(w.f), 'consortium.record-policy', { dss }, founders, w.t);

test('security: under a consortium policy of 2 for clinical records, a doctor writing k=1, responsible=[self] is refused', async () => {
  const w = await world();
  assert.deepEqual(run(w, policy(w, { default: 1, categories: { clinical: 2 } })), ['OK']);
  assert.deepEqual(run(w, dss(w, 'alone', 1, [w.alice], [w.alice])), ['QUORUM_BELOW_POLICY']);
  assert.deepEqual(
    run(w, dss(w, 'alone-2', 1, [w.alice, w.baker], [w.alice])),
    ['QUORUM_BELOW_POLICY'],
    'listing a co-signer does not help while k stays below the policy',
  );
  assert.deepEqual(run(w, dss(w, 'pair', 2, [w.alice, w.baker], [w.alice, w.baker])), ['OK']);
  assert.deepEqual(
    run(w, dss(w, 'three', 3, [w.alice, w.baker, w.gp], [w.alice, w.baker, w.gp])),
    ['OK'],
    'a payload may raise k above the policy',
  );
  assert.equal(w.c.state.get('record:alone'), undefined);
});

test('security: a resource type may require more than its category; the higher minimum holds', async () => {
  const w = await world();
  assert.deepEqual(run(w, policy(w, { default: 1, resourceTypes: { CarePlan: 3 } })), ['OK']);
  assert.deepEqual(run(w, dss(w, 'obs', 1, [w.alice], [w.alice])), ['OK'], 'an Observation needs 1');
  assert.deepEqual(run(w, dss(w, 'plan', 2, [w.alice, w.baker], [w.alice, w.baker], 'CarePlan')), [
    'QUORUM_BELOW_POLICY',
  ]);
});

test("security: the patient's own minimum raises the consortium's, and only the patient sets it", async () => {
  const w = await world();
  assert.deepEqual(run(w, tx(w, w.alice, 'patient.record-quorum', { min: 1 })), ['UNAUTHORIZED']);
  assert.deepEqual(run(w, tx(w, w.bob, 'patient.record-quorum', { min: 2 })), ['OK']);
  assert.deepEqual(run(w, dss(w, 'alone', 1, [w.alice], [w.alice])), ['QUORUM_BELOW_POLICY']);
  assert.deepEqual(run(w, dss(w, 'pair', 2, [w.alice, w.gp], [w.alice, w.gp])), ['OK']);
});

test('security: a record policy needs the founders’ threshold; its values are checked', async () => {
  const w = await world();
  assert.deepEqual(run(w, policy(w, { default: 2 }, ['hospitalA'])), ['GOVERNANCE_THRESHOLD']);
  assert.deepEqual(run(w, policy(w, { default: 0 })), ['INVALID_PAYLOAD']);
  assert.deepEqual(run(w, policy(w, { default: 1, categories: { nonsense: 2 } })), ['INVALID_PAYLOAD']);
  assert.deepEqual(run(w, dss(w, 'alone', 1, [w.alice], [w.alice])), ['OK'], 'no policy set: a minimum of 1');
});

test('property: a DSS record commits iff its k reaches the largest of the consortium default, category, type and patient minimums', async () => {
  const w = await world();
  const doctors = [w.alice, w.baker, w.gp];
  let n = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        def: fc.integer({ min: 1, max: 3 }),
        clinical: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
        carePlan: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
        patient: fc.integer({ min: 1, max: 3 }),
        k: fc.integer({ min: 1, max: 3 }),
        type: fc.constantFrom('Observation', 'CarePlan'),
      }),
      async (c) => {
        const categories: { [k: string]: JsonValue } =
          c.clinical === undefined ? {} : { clinical: c.clinical };
        const resourceTypes: { [k: string]: JsonValue } =
          c.carePlan === undefined ? {} : { CarePlan: c.carePlan };
        assert.deepEqual(
          run(
            w,
            policy(w, { default: c.def, categories, resourceTypes }),
            tx(w, w.bob, 'patient.record-quorum', { min: c.patient }),
          ),
          ['OK', 'OK'],
        );
        const min = Math.max(
          c.def,
          c.clinical ?? 0,
          c.type === 'CarePlan' ? (c.carePlan ?? 0) : 0,
          c.patient,
        );
        const signers = doctors.slice(0, c.k);
        const [code] = run(w, dss(w, `p-${n++}`, c.k, doctors, signers, c.type));
        assert.equal(code, c.k >= min ? 'OK' : 'QUORUM_BELOW_POLICY', JSON.stringify({ ...c, min }));
      },
    ),
    { numRuns: 60 },
  );
});
