/**
 * The fl contracts on an in-memory chain: a study's life, the secure-aggregation rounds with
 * every node re-deriving the aggregate, dropouts, malformed and late updates, failed rounds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeFixedPoint, fromB64u, toB64u, vectorFromBytes, vectorToBytes } from '@medledger/crypto';
import {
  getModel,
  modelHashOf,
  readRoundTranscript,
  recomputeRound,
  type FlModel,
} from '../src/contracts/fl/index.js';
import { HOSPITALS, STUDY, flWorld, openAndJoin, type FlWorld } from './fl-world.js';
import { enrollTx } from './fixtures.js';

/** Runs keys and shares for `orgs` (everyone by default). */
async function keysAndShares(w: FlWorld, orgs: readonly string[] = HOSPITALS): Promise<void> {
  assert.deepEqual(
    w.run(...orgs.map((o) => w.keysTx(o))),
    orgs.map(() => 'OK'),
  );
  if (orgs.length < HOSPITALS.length) {
    w.wait(5000);
    assert.deepEqual(w.run(w.tx('node:institute', 'fl.advance', { studyId: STUDY })), ['OK']);
  }
  const shares = await Promise.all(orgs.map((o) => w.sharesTx(o)));
  assert.deepEqual(
    w.run(...shares),
    orgs.map(() => 'OK'),
  );
}

/** The aggregate the chain would accept for the current round, from its own transcript. */
function claim(w: FlWorld): { aggregate: string; modelHash: string; model: FlModel } {
  const r = recomputeRound(readRoundTranscript(w.c.reader, w.f.chainId, w.study(), w.round()));
  assert.ok(r.ok, r.ok ? '' : r.message);
  return { aggregate: r.aggregateB64u, modelHash: r.model.hash, model: r.model };
}

function aggregateTx(
  w: FlWorld,
  signer = 'node:institute',
  over: { aggregate?: string; modelHash?: string } = {},
) {
  const c = claim(w);
  return w.tx(signer, 'fl.aggregate', {
    studyId: STUDY,
    round: w.round().round,
    aggregate: over.aggregate ?? c.aggregate,
    modelHash: over.modelHash ?? c.modelHash,
  });
}

const moments: Record<string, number[]> = {
  // [Σx1, Σx2, Σx1², Σx2²] of each hospital's records
  h1: [10, 20, 60, 210],
  h2: [8, 16, 40, 150],
  h3: [12, 30, 90, 400],
  h4: [5, 9, 20, 50],
};
const counts: Record<string, number> = { h1: 4, h2: 3, h3: 5, h4: 2 };

test('behavior: a study opens, every hospital joins, and round 0 aggregates the feature moments exactly', async () => {
  const w = await flWorld();
  openAndJoin(w);
  assert.equal(w.study().status, 'running');
  assert.equal(w.round(0).phase, 'keys');
  await keysAndShares(w);
  assert.equal(w.round().phase, 'masked');
  assert.deepEqual(w.run(...HOSPITALS.map((h) => w.updateTx(h, moments[h]!, counts[h]!))), [
    'OK',
    'OK',
    'OK',
    'OK',
  ]);
  assert.equal(w.round().phase, 'unmask');
  const unmask = await Promise.all(HOSPITALS.slice(0, 3).map((h) => w.unmaskTx(h)));
  assert.deepEqual(w.run(...unmask), ['OK', 'OK', 'OK']);
  const c = claim(w);
  assert.deepEqual(
    decodeFixedPoint(vectorFromBytes(fromB64u(c.aggregate))),
    [35, 75, 210, 810],
    'the sum of the four inputs, and nothing else',
  );
  assert.deepEqual(w.run(aggregateTx(w)), ['OK']);
  const model = getModel(w.c.reader, STUDY, 0)!;
  assert.deepEqual(model.mean, [35 / 14, 75 / 14]);
  assert.deepEqual(model.std, [Math.sqrt(210 / 14 - (35 / 14) ** 2), Math.sqrt(810 / 14 - (75 / 14) ** 2)]);
  assert.equal(model.hash, modelHashOf(model));
  const r0 = w.round(0);
  assert.equal(r0.phase, 'done');
  assert.equal(r0.records, 14);
  assert.deepEqual(r0.contributions, {
    h1: { status: 'included', records: 4 },
    h2: { status: 'included', records: 3 },
    h3: { status: 'included', records: 5 },
    h4: { status: 'included', records: 2 },
  });
  assert.equal(w.study().round, 1, 'round 1 opened');
  assert.equal(w.round(1).phase, 'keys');
});

test('behavior: a training round moves the weights by the record-weighted mean update; the last round ends the study', async () => {
  const w = await flWorld();
  openAndJoin(w, { hyper: { rounds: 1, localEpochs: 1, learningRate: 0.5, l2: 0 } });
  for (const r of [0, 1]) {
    await keysAndShares(w);
    const values = (h: string) =>
      r === 0 ? moments[h]! : [counts[h]! * 0.5, -counts[h]! * 0.25, counts[h]!];
    w.run(...HOSPITALS.map((h) => w.updateTx(h, values(h), counts[h]!)));
    w.run(...(await Promise.all(HOSPITALS.map((h) => w.unmaskTx(h)))));
    assert.deepEqual(w.run(aggregateTx(w)), ['OK']);
  }
  assert.deepEqual(getModel(w.c.reader, STUDY, 1)!.weights, [0.5, -0.25, 1]);
  assert.equal(w.study().status, 'done');
  assert.deepEqual(w.run(w.tx('node:h1', 'fl.advance', { studyId: STUDY })), ['FL_STUDY_CLOSED']);
});

test('behavior: the ledger refuses an aggregate or a model hash that does not follow, and an aggregate from another node', async () => {
  const w = await flWorld();
  openAndJoin(w);
  await keysAndShares(w);
  w.run(...HOSPITALS.map((h) => w.updateTx(h, moments[h]!, counts[h]!)));
  w.run(...(await Promise.all(HOSPITALS.slice(0, 2).map((h) => w.unmaskTx(h)))));
  assert.deepEqual(
    w.run(
      w.tx('node:institute', 'fl.aggregate', {
        studyId: STUDY,
        round: 0,
        aggregate: 'AA',
        modelHash: '00'.repeat(32),
      }),
    ),
    ['FL_NOT_ENOUGH_SHARES'],
  );
  w.run(await w.unmaskTx('h3'));
  const c = claim(w);
  const v = vectorFromBytes(fromB64u(c.aggregate));
  v[0] = (v[0]! + 1n) % (1n << 127n);
  assert.deepEqual(w.run(aggregateTx(w, 'node:institute', { aggregate: toB64u(vectorToBytes(v)) })), [
    'FL_AGGREGATE_MISMATCH',
  ]);
  assert.deepEqual(w.run(aggregateTx(w, 'node:institute', { modelHash: 'ab'.repeat(32) })), [
    'FL_MODEL_MISMATCH',
  ]);
  assert.deepEqual(w.run(aggregateTx(w, 'node:h1')), ['FL_NOT_AGGREGATOR']);
  assert.equal(w.round().phase, 'unmask', 'nothing changed');
  assert.deepEqual(w.run(aggregateTx(w)), ['OK']);
});

test('behavior: a participant that drops after dealing shares does not stall the round; its masks are removed, its late update is recorded', async () => {
  const w = await flWorld();
  openAndJoin(w);
  await keysAndShares(w);
  const alive = ['h1', 'h2', 'h3'];
  w.run(...alive.map((h) => w.updateTx(h, moments[h]!, counts[h]!)));
  assert.equal(w.round().phase, 'masked', 'waiting for h4');
  assert.deepEqual(w.run(w.tx('node:h2', 'fl.advance', { studyId: STUDY })), ['FL_TOO_EARLY']);
  w.wait(5000);
  assert.deepEqual(w.run(w.tx('node:h2', 'fl.advance', { studyId: STUDY })), ['OK']);
  const r = w.round();
  assert.equal(r.phase, 'unmask');
  assert.deepEqual(r.u3, alive);
  // the survivors reveal h4's mask key, never its self-mask seed
  const payload = await w.unmaskPayload('h1');
  assert.deepEqual(Object.keys(payload.s), ['h4']);
  assert.deepEqual(Object.keys(payload.b).sort(), alive);
  const both = { ...payload, b: { ...payload.b, h4: payload.s.h4! } };
  assert.deepEqual(w.run(w.tx('node:h1', 'fl.unmask', { studyId: STUDY, round: 0, ...both })), [
    'FL_BAD_UNMASK',
  ]);
  w.run(...(await Promise.all(alive.map((h) => w.unmaskTx(h)))));
  assert.deepEqual(decodeFixedPoint(vectorFromBytes(fromB64u(claim(w).aggregate))), [30, 66, 190, 760]);
  assert.deepEqual(w.run(aggregateTx(w)), ['OK']);
  assert.equal(w.round(0).records, 12);
  assert.deepEqual(w.round(0).contributions.h4, { status: 'dropped', phase: 'masked' });
  // h4 comes back with its round-0 update after the round closed: recorded late, not used
  assert.deepEqual(w.run(w.updateTx('h4', moments.h4!, 2, 0)), ['OK']);
  assert.deepEqual(w.round(0).contributions.h4, {
    status: 'late',
    phase: 'masked',
    records: 2,
    height: w.c.head.height,
  });
  assert.equal(w.round(0).records, 12, 'the aggregate stays as it was');
  assert.equal(w.round(1).phase, 'keys', 'and the next round runs with h4 again');
});

test('behavior: an update posted after its phase closed is recorded late and not used', async () => {
  const w = await flWorld();
  openAndJoin(w);
  await keysAndShares(w);
  const late = w.updateTx('h4', moments.h4!, counts.h4!); // signed in time, delivered late
  w.run(...['h1', 'h2', 'h3'].map((h) => w.updateTx(h, moments[h]!, counts[h]!)));
  w.wait(5000);
  w.run(w.tx('node:institute', 'fl.advance', { studyId: STUDY }));
  assert.deepEqual(w.run(late), ['OK']);
  assert.deepEqual(w.round().contributions.h4, {
    status: 'late',
    phase: 'masked',
    records: 2,
    height: w.c.head.height,
  });
  assert.deepEqual(w.round().u3, ['h1', 'h2', 'h3']);
  w.run(...(await Promise.all(['h1', 'h2', 'h3'].map((h) => w.unmaskTx(h)))));
  assert.deepEqual(w.run(aggregateTx(w)), ['OK']);
  assert.equal(w.round(0).contributions.h4!.status, 'late');
  assert.equal(w.round(0).records, 12);
});

test('behavior: a malformed update is recorded, its sender treated as dropped, and the round completes at once', async () => {
  const w = await flWorld();
  openAndJoin(w);
  await keysAndShares(w);
  w.run(...['h1', 'h2', 'h3'].map((h) => w.updateTx(h, moments[h]!, counts[h]!)));
  const short = w.tx('node:h4', 'fl.update', {
    studyId: STUDY,
    round: 0,
    masked: toB64u(new Uint8Array(16 * 3)), // three elements; the round has four
    records: 2,
    commitment: '00'.repeat(32),
  });
  assert.deepEqual(w.run(short), ['OK']);
  const r = w.round();
  assert.deepEqual(r.contributions.h4, {
    status: 'malformed',
    phase: 'masked',
    records: 2,
    reason: 'masked update has 3 elements; the round has 4',
    height: w.c.head.height,
  });
  assert.equal(r.phase, 'unmask', 'no deadline needed: every participant has answered');
  assert.deepEqual(w.run(w.updateTx('h4', moments.h4!, 2)), ['OK'], 'a second try is evidence too');
  assert.equal(w.round().contributions.h4!.status, 'malformed', 'and the malformed record stays');
  assert.deepEqual(w.round().u3, ['h1', 'h2', 'h3']);
  w.run(...(await Promise.all(['h1', 'h2', 'h3'].map((h) => w.unmaskTx(h)))));
  assert.deepEqual(w.run(aggregateTx(w)), ['OK']);
  assert.equal(w.round(0).contributions.h4!.status, 'malformed');
  const tooBig = toB64u(new Uint8Array(16 * 4).fill(0xff));
  const w2 = await flWorld();
  openAndJoin(w2);
  await keysAndShares(w2);
  w2.run(
    w2.tx('node:h1', 'fl.update', {
      studyId: STUDY,
      round: 0,
      masked: tooBig,
      records: 1,
      commitment: '00'.repeat(32),
    }),
  );
  assert.match(w2.round().contributions.h1!.reason!, /not in Z_q/);
});

test('behavior: too few participants fail the round and the study instead of stalling', async () => {
  const w = await flWorld();
  openAndJoin(w);
  w.run(w.keysTx('h1'), w.keysTx('h2'));
  w.wait(5000);
  assert.deepEqual(w.run(w.tx(w.researcher, 'fl.advance', { studyId: STUDY })), ['OK']);
  assert.equal(w.study().status, 'failed');
  assert.match(w.study().failure!, /only 2 participants posted keys; 3 are needed/);
  assert.deepEqual(w.round(0).contributions.h3, { status: 'absent', phase: 'keys' });
  assert.equal(w.round(0).contributions.h1, undefined, 'h1 did its part');
  assert.deepEqual(w.run(w.keysTx('h3')), ['OK']);
  assert.equal(w.round(0).contributions.h3!.status, 'late', 'keys after the round failed are late');
});

test('behavior: a wrong revealed share is outvoted when more than t survivors reveal', async () => {
  const w = await flWorld();
  openAndJoin(w);
  await keysAndShares(w);
  w.run(...HOSPITALS.map((h) => w.updateTx(h, moments[h]!, counts[h]!)));
  const bad = await w.unmaskPayload('h1');
  const b = fromB64u(bad.b.h2!);
  b[65] = b[65]! ^ 1;
  bad.b.h2 = toB64u(b);
  w.run(w.tx('node:h1', 'fl.unmask', { studyId: STUDY, round: 0, ...bad }));
  w.run(...(await Promise.all(['h2', 'h3', 'h4'].map((h) => w.unmaskTx(h)))));
  assert.deepEqual(decodeFixedPoint(vectorFromBytes(fromB64u(claim(w).aggregate))), [35, 75, 210, 810]);
  assert.deepEqual(w.run(aggregateTx(w)), ['OK']);
});

test('behavior: shares that do not unmask fail the round at its deadline instead of stalling it', async () => {
  const w = await flWorld();
  openAndJoin(w);
  await keysAndShares(w);
  w.run(...['h1', 'h2', 'h3'].map((h) => w.updateTx(h, moments[h]!, counts[h]!)));
  w.wait(5000);
  w.run(w.tx('node:institute', 'fl.advance', { studyId: STUDY }));
  const bad = await w.unmaskPayload('h1');
  const b = fromB64u(bad.b.h2!);
  b[65] = b[65]! ^ 1;
  bad.b.h2 = toB64u(b);
  w.run(w.tx('node:h1', 'fl.unmask', { studyId: STUDY, round: 0, ...bad }));
  w.run(...(await Promise.all(['h2', 'h3'].map((h) => w.unmaskTx(h)))));
  const r = recomputeRound(readRoundTranscript(w.c.reader, w.f.chainId, w.study(), w.round()));
  assert.equal(r.ok ? 'OK' : r.code, 'FL_UNMASK_FAILED', 'three shares, one wrong: no subset opens h2');
  assert.deepEqual(w.run(w.tx('node:institute', 'fl.advance', { studyId: STUDY })), ['FL_TOO_EARLY']);
  w.wait(5000);
  assert.deepEqual(w.run(w.tx('node:institute', 'fl.advance', { studyId: STUDY })), ['OK']);
  assert.equal(w.round(0).phase, 'failed');
  assert.match(w.study().failure!, /the revealed shares do not unmask: no 3 shares open the self mask of h2/);
});

test('behavior: the contracts never change a value they read from state (it is shared with the read cache)', async () => {
  const w = await flWorld();
  openAndJoin(w);
  const seen = new Map<string, { value: unknown; text: string }>();
  const snapshot = () => {
    for (const [k, v] of w.c.state)
      if (k.startsWith('fl:')) seen.set(`${k}@${seen.size}`, { value: v, text: JSON.stringify(v) });
  };
  snapshot();
  w.run(...HOSPITALS.slice(0, 2).map((h) => w.keysTx(h)));
  snapshot();
  w.run(...HOSPITALS.slice(2).map((h) => w.keysTx(h)));
  snapshot();
  w.run(...(await Promise.all(HOSPITALS.map((h) => w.sharesTx(h)))));
  snapshot();
  w.run(...HOSPITALS.slice(0, 3).map((h) => w.updateTx(h, moments[h]!, counts[h]!)));
  w.wait(5000);
  w.run(w.tx('node:institute', 'fl.advance', { studyId: STUDY }));
  snapshot();
  w.run(...(await Promise.all(HOSPITALS.slice(0, 3).map((h) => w.unmaskTx(h)))));
  w.run(aggregateTx(w));
  for (const [k, { value, text }] of seen)
    assert.equal(JSON.stringify(value), text, `${k} was changed in place`);
  assert.equal(w.round(0).phase, 'done');
});

test('behavior: who may open, join and post', async () => {
  const w = await flWorld();
  const doctor = await w.f.member('h1', 'doctor', 'doc');
  w.run(enrollTx(w.f, 'h1', doctor, w.t));
  assert.deepEqual(w.run(w.tx(doctor, 'fl.open', w.spec())), ['UNAUTHORIZED']);
  assert.deepEqual(
    w.run(w.tx(w.researcher, 'fl.open', w.spec({ participants: ['h1', 'institute'], threshold: 2 }))),
    ['FL_BAD_STUDY'],
  );
  assert.deepEqual(w.run(w.tx(w.researcher, 'fl.open', w.spec({ participants: ['h2', 'h1'] }))), [
    'INVALID_PAYLOAD',
  ]);
  assert.deepEqual(w.run(w.tx(w.researcher, 'fl.open', w.spec({ threshold: 5 }))), ['INVALID_PAYLOAD']);
  const dp = { clip: 1, noiseMultiplier: 2, delta: 1e-5 };
  const fiveEpochs = { rounds: 2, localEpochs: 5, learningRate: 0.5, l2: 0 };
  assert.deepEqual(w.run(w.tx(w.researcher, 'fl.open', w.spec({ dp, hyper: fiveEpochs }))), [
    'INVALID_PAYLOAD',
  ]);
  assert.deepEqual(w.run(w.tx(w.researcher, 'fl.open', w.spec({ dp: { ...dp, delta: 0.5 } }))), [
    'INVALID_PAYLOAD',
  ]);
  assert.deepEqual(w.run(w.tx(w.researcher, 'fl.open', w.spec({ participants: ['h1', 'h2', 'h3'], dp }))), [
    'OK',
  ]);
  assert.deepEqual(w.study().dp, dp, 'a study may state its differential privacy');
  assert.deepEqual(w.run(w.tx(w.researcher, 'fl.open', w.spec())), ['FL_STUDY_EXISTS']);
  assert.deepEqual(w.run(w.tx('node:h4', 'fl.join', { studyId: STUDY })), ['FL_NOT_PARTICIPANT']);
  assert.deepEqual(w.run(w.tx(doctor, 'fl.join', { studyId: STUDY })), ['UNAUTHORIZED']);
  assert.deepEqual(w.run(w.keysTx('h1')), ['FL_WRONG_ROUND'], 'no round before everyone joined');
  w.run(w.tx('node:h1', 'fl.join', { studyId: STUDY }), w.tx('node:h2', 'fl.join', { studyId: STUDY }));
  assert.deepEqual(w.run(w.tx('node:h1', 'fl.join', { studyId: STUDY })), ['FL_ALREADY_POSTED']);
  assert.deepEqual(w.run(w.tx('node:h1', 'fl.advance', { studyId: STUDY })), ['FL_TOO_EARLY']);
  w.wait(60_000);
  assert.deepEqual(w.run(w.tx('node:h1', 'fl.advance', { studyId: STUDY })), ['OK']);
  assert.equal(w.study().status, 'failed', 'two joined, three needed');
  const s2 = await flWorld();
  openAndJoin(s2);
  s2.run(s2.keysTx('h1'));
  assert.deepEqual(s2.run(s2.keysTx('h1')), ['FL_ALREADY_POSTED']);
  const badKey = s2.tx('node:h2', 'fl.keys', { studyId: STUDY, round: 0, c: 'AAAA', s: 'AAAA' });
  assert.deepEqual(s2.run(badKey), ['OK']);
  assert.equal(s2.round().contributions.h2!.status, 'malformed');
});
