/**
 * Integration: a federated study through a real node — four hospitals train on the WDBC
 * samples they hold as SPV records in their own EHR stores, the institute's node aggregates,
 * every round is re-derived by the ledger and re-checked by a client over HTTP. Consent decides
 * which records count, and a revocation changes the next round's count. The aggregator's view
 * (the ledger) never yields an individual update.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeFixedPoint,
  expandMask,
  fromB64u,
  SECAGG_MODULUS,
  shamirCombine,
  shamirShareFromBytes,
  subVectors,
  vectorFromBytes,
  envelopeFromJson,
  envelopeReceiverIds,
} from '@medledger/crypto';
import { MedledgerHttpError, updateCommitment, verifyRoundTranscript } from '@medledger/client';
import {
  flKeys,
  getModel,
  participantX,
  roundContext,
  type FlSharesPost,
  type FlUnmaskPost,
  type FlUpdatePost,
} from '@medledger/core/contracts/fl';
import { accuracyOf, loadWdbc, splitWdbc, standardizationOf, trainLocal } from '../src/fl/index.js';
import { HOSPITALS, flTestWorld, type FlTestWorld } from './helpers/fl.js';

let w: FlTestWorld;
const STUDY = 'wdbc-int';
const ROUNDS = 3;
const split = splitWdbc({ rows: loadWdbc(), hospitals: HOSPITALS, seed: 'medledger-fl-test' }).byHospital;
const declined = split.get('hospitalB')![0]!.index; // a hospitalB patient who never consented
const revoked = split.get('hospitalA')![0]!.index; // a hospitalA patient who revokes during round 1
const eligible: { org: string; round: number; records: number; noConsent: number }[] = [];

before(async () => {
  w = await flTestWorld({ consents: (row) => row.index !== declined });
});
after(async () => w?.cleanup());

test('behavior: a study runs every round through the node; revoking consent changes the next round count', async (t) => {
  const { demo } = w;
  for (const [org, p] of demo.participants)
    p.on('eligible', (e: { round: number; records: number; noConsent: number; studyId: string }) => {
      if (e.studyId === STUDY)
        eligible.push({ org, round: e.round, records: e.records, noConsent: e.noConsent });
    });
  // The patient revokes as soon as round 0's model is out, i.e. while round 1 runs.
  let revokedAt = -1;
  const watcher = demo.node.follow(demo.node.head().height, (b) => {
    for (const e of b.events as readonly { type: string; studyId?: string; round?: number }[]) {
      if (e.type !== 'fl.model' || e.studyId !== STUDY || e.round !== 0) continue;
      void demo
        .commit(
          demo.wallet(`patient-${revoked}`).tx({
            chainId: demo.node.chainId,
            type: 'consent.revoke',
            payload: { grantId: `research-${revoked}` },
            createdAt: Date.now(),
          }),
        )
        .then((r) => (revokedAt = r.height));
    }
  });
  t.after(() => watcher.close());
  const spec = demo.spec({
    studyId: STUDY,
    hyper: { rounds: ROUNDS, localEpochs: 5, learningRate: 0.5, l2: 0.001 },
  });
  assert.equal((await demo.openStudy(spec)).code, 'OK');
  const study = await w.finished(STUDY);
  assert.equal(study.status, 'done', study.failure);
  assert.ok(revokedAt > 0, 'the revocation committed');

  const count = (r: number, org: string) => w.round(STUDY, r).contributions[org]?.records;
  for (let r = 0; r <= ROUNDS; r++) {
    const round = w.round(STUDY, r);
    assert.equal(round.phase, 'done');
    for (const org of HOSPITALS)
      assert.equal(round.contributions[org]?.status, 'included', `${org} in round ${r}`);
    assert.equal(count(r, 'hospitalB'), 11, 'the patient who never consented is never counted');
    assert.equal(count(r, 'hospitalC'), 12);
    const expectA = round.openedHeight < revokedAt ? 12 : 11;
    assert.equal(
      count(r, 'hospitalA'),
      expectA,
      `round ${r} opened at ${round.openedHeight}, revoked at ${revokedAt}`,
    );
  }
  assert.equal(w.round(STUDY, 1).openedHeight < revokedAt, true, 'round 1 was already running');
  assert.equal(count(2, 'hospitalA'), 11, 'so the revocation shows in round 2');
  assert.deepEqual(
    eligible.filter((e) => e.org === 'hospitalA' && e.round === 2),
    [{ org: 'hospitalA', round: 2, records: 11, noConsent: 1 }],
  );
  assert.equal(w.round(STUDY, ROUNDS).records, 11 + 11 + 12 + 12);

  // The model against training all eligible records at once, on the same held-out samples.
  const final = getModel(w.state, STUDY, ROUNDS)!;
  const trainRows = HOSPITALS.flatMap((h) => w.rows.get(h)!).filter(
    (r) => r.index !== declined && r.index !== revoked,
  );
  const s = standardizationOf(trainRows, 30);
  const central = trainLocal(
    { ...s, weights: new Array<number>(31).fill(0) },
    trainRows,
    ROUNDS * 5,
    0.5,
    0.001,
  );
  const fedAcc = accuracyOf(final, w.test);
  const centralAcc = accuracyOf({ ...s, weights: central }, w.test);
  t.diagnostic(
    `48 training samples, ${ROUNDS} rounds: federated ${fedAcc.toFixed(4)}, centralized ${centralAcc.toFixed(4)}`,
  );
  assert.ok(fedAcc > 0.85 && centralAcc > 0.85);
  assert.ok(Math.abs(fedAcc - centralAcc) <= 0.05);
});

test('behavior: anyone re-derives every round from the transcript served over HTTP; a changed byte breaks the check', async () => {
  const client = w.client();
  const v = await client.verifyStudy(STUDY);
  assert.equal(v.ok, true, v.reason);
  assert.equal(v.rounds.length, ROUNDS + 1);
  assert.equal(v.modelHash, getModel(w.state, STUDY, ROUNDS)!.hash);
  const t = await client.transcript(STUDY, 2);
  assert.equal(verifyRoundTranscript(t).ok, true);
  const u = t.updates.hospitalC!;
  const bytes = fromB64u(u.masked);
  bytes[20] = bytes[20]! ^ 1;
  const tampered = {
    ...t,
    updates: { ...t.updates, hospitalC: { ...u, masked: Buffer.from(bytes).toString('base64url') } },
  };
  const bad = verifyRoundTranscript(tampered);
  assert.equal(bad.ok, false);
  const model = { ...t.model!, weights: t.model!.weights.map((x, j) => (j === 0 ? x + 1e-9 : x)) };
  assert.equal(verifyRoundTranscript({ ...t, model }).ok, false, 'a model that does not follow is caught');
  await assert.rejects(
    client.study('no-such-study'),
    (e: unknown) => e instanceof MedledgerHttpError && e.status === 404,
  );
  const anonymous = await fetch(`${w.demo.url}/v1/fl/studies/${STUDY}`);
  assert.equal(anonymous.status, 401, 'the routes are member-only');
});

test('behavior: each hospital can open its update commitment; the aggregator view never yields an individual update', async () => {
  const r = 1;
  const round = w.round(STUDY, r);
  const study = w.study(STUDY);
  const ctx = roundContext(w.demo.node.chainId, STUDY, r);
  const openings = new Map(HOSPITALS.map((h) => [h, w.demo.participants.get(h)!.opening(STUDY, r)!]));
  for (const [h, o] of openings) {
    const post = w.state.get(flKeys.update(STUDY, r, h)) as unknown as FlUpdatePost;
    assert.equal(
      updateCommitment(o.salt, o.input, o.recordIds),
      post.commitment,
      `${h} opens its commitment`,
    );
    assert.equal(o.recordIds.length, post.records);
  }
  // Everything the aggregator receives is the ledger. Sealed shares name only hospitals.
  for (const h of round.u2!) {
    const dealt = w.state.get(flKeys.shares(STUDY, r, h)) as unknown as FlSharesPost;
    for (const env of Object.values(dealt.shares))
      assert.ok(envelopeReceiverIds(envelopeFromJson(env)).every((id) => HOSPITALS.includes(id)));
  }
  // The most it can strip from y_u is its self mask (it learns b_u at unmasking); the pairwise
  // masks stay, because no s^SK of a survivor is ever revealed.
  const unmasks = round.u3!.map(
    (h) => [h, w.state.get(flKeys.unmask(STUDY, r, h)) as unknown as FlUnmaskPost] as const,
  );
  let sum = new Array<bigint>(round.dimension).fill(0n);
  for (const u of round.u3!) {
    assert.ok(
      unmasks.every(([, m]) => m.s[u] === undefined),
      `no mask key of survivor ${u} was revealed`,
    );
    const shares = unmasks.map(([h, m]) => shamirShareFromBytes(participantX(study, h), fromB64u(m.b[u]!)));
    const b = shamirCombine(shares.slice(0, study.threshold), 32);
    const y = vectorFromBytes(
      fromB64u((w.state.get(flKeys.update(STUDY, r, u)) as unknown as FlUpdatePost).masked),
    );
    const residual = subVectors(y, expandMask(b, round.dimension, ctx));
    const input = openings.get(u)!.input;
    assert.notDeepEqual(residual, input);
    const decoded = decodeFixedPoint(residual);
    assert.ok(
      decoded.filter((x) => Math.abs(x) > 1e15).length > round.dimension / 2,
      `what is left of ${u}'s update is noise, not weights`,
    );
    sum = sum.map((s, i) => (s + residual[i]!) % SECAGG_MODULUS);
  }
  const inputs = [...openings.values()].map((o) => o.input);
  const want = inputs.reduce((acc, v) => acc.map((s, i) => (s + v[i]!) % SECAGG_MODULUS));
  assert.deepEqual(sum, want, 'only the sum comes out');
});
