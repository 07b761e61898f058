/**
 * Anonymous-credential flows on the ledger: issuer keys and revocation accumulators, the
 * anonymous read decision, and the checks the `anon.trial.enrol` contract makes on an
 * attested predicate proof. (The proofs themselves are verified by the node: see
 * packages/node/test/anonymity-*.int.test.ts; here the presentation bytes are placeholders
 * because the contract does not read them, by design.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, toB64u, type JsonValue } from '@medledger/crypto';
import { keys, mapStateReader, type Grant, type RecordEntry } from '../src/index.js';
import {
  anonKeys,
  anonReadContext,
  decideAnonymousRead,
  getAccumulatorUpdates,
  pseudonymIdOfJson,
  getIssuer,
  trialContext,
  trialScope,
  utcDateNumber,
} from '../src/contracts/anonymity/index.js';
import { anonWorld, type AnonWorld } from './anonymity-world.js';

const b = (n: number): string => toB64u(randomBytes(n));

async function withIssuer(): Promise<{ w: AnonWorld; acc0: string; accPk: string }> {
  const w = await anonWorld();
  const acc0 = b(48);
  const accPk = b(96);
  const reg = w.tx('org:hospitalB', 'anon.issuer.register', {
    publicKey: b(96),
    accumulatorPublicKey: accPk,
    accumulated: acc0,
  });
  assert.deepEqual(w.run(reg), ['OK']);
  return { w, acc0, accPk };
}

test('credentials ledger: an org registers one issuer key; accumulator updates must chain from the current value', async () => {
  const { w, acc0 } = await withIssuer();
  const again = w.tx('org:hospitalB', 'anon.issuer.register', {
    publicKey: b(96),
    accumulatorPublicKey: b(96),
    accumulated: b(48),
  });
  assert.deepEqual(w.run(again), ['ISSUER_EXISTS']);
  const byMember = w.tx(w.m.bob!, 'anon.issuer.register', {
    publicKey: b(96),
    accumulatorPublicKey: b(96),
    accumulated: b(48),
  });
  assert.deepEqual(w.run(byMember), ['UNAUTHORIZED']);
  const acc1 = b(48);
  const acc2 = b(48);
  const u1 = { op: 'add', credentialId: b(32), before: acc0, after: acc1 };
  const u2 = { op: 'remove', credentialId: u1.credentialId, before: acc1, after: acc2 };
  const broken = { op: 'add', credentialId: b(32), before: acc0, after: b(48) };
  assert.deepEqual(w.run(w.tx('node:hospitalB', 'anon.issuer.accumulator', { updates: [u1, broken] })), [
    'ACCUMULATOR_MISMATCH',
  ]);
  assert.deepEqual(w.run(w.tx('node:hospitalA', 'anon.issuer.accumulator', { updates: [u1] })), [
    'UNKNOWN_ISSUER',
  ]);
  assert.deepEqual(w.run(w.tx('node:hospitalB', 'anon.issuer.accumulator', { updates: [u1, u2] })), ['OK']);
  const issuer = getIssuer(w.c.reader, 'hospitalB')!;
  assert.equal(issuer.accumulated, acc2);
  assert.equal(issuer.seq, 2);
  assert.deepEqual(getAccumulatorUpdates(w.c.reader, 'hospitalB', 1), [u2]);
});

const record: RecordEntry = {
  recordId: 'lab-1',
  patientId: 'p'.repeat(64),
  category: 'lab',
  resourceType: 'Observation',
  org: 'hospitalA',
  authors: ['a'.repeat(64)],
  mode: 'spv',
  subject: 'ep',
  responsible: ['a'.repeat(64)],
  k: 1,
  txId: 't'.repeat(64),
  height: 2,
  time: 1,
  prev: null,
  holder: 'hospitalA',
};

function grant(id: string, grantee: Grant['grantee']): Grant {
  return {
    grantId: id,
    patientId: record.patientId,
    grantee,
    scope: { categories: ['lab'] },
    purposes: ['treatment', 'research'],
    notBefore: 0,
    notAfter: 10_000,
    grantedAtHeight: 1,
  };
}

test('credentials ledger: anonymous reads use the consent decision; role grants apply, member grants never match a pseudonym', () => {
  const byRole = grant('g-role', { kind: 'role', org: 'institute', role: 'researcher' });
  const byMember = grant('g-member', { kind: 'member', memberId: 'r'.repeat(64) });
  const state = (gs: Grant[]) =>
    mapStateReader(
      new Map<string, JsonValue>([
        [keys.record(record.recordId), record as never],
        [keys.grants(record.patientId), gs.map((g) => g.grantId)],
        ...gs.map((g) => [keys.grant(g.grantId), g as never] as [string, JsonValue]),
      ]),
    );
  const pseudonymId = 'f'.repeat(64);
  const researcher = { memberId: pseudonymId, org: 'institute', role: 'researcher' };
  const allowed = decideAnonymousRead(state([byRole]), researcher, 'lab-1', 'research', 5, 3);
  assert.equal(allowed.allow, true);
  assert.equal(allowed.allow && allowed.grantId, 'g-role');
  const nurse = { ...researcher, role: 'nurse' };
  assert.equal(decideAnonymousRead(state([byRole]), nurse, 'lab-1', 'research', 5, 3).code, 'NO_GRANT');
  assert.equal(
    decideAnonymousRead(state([byMember]), researcher, 'lab-1', 'research', 5, 3).code,
    'NO_GRANT',
  );
  const author = { ...researcher, memberId: 'a'.repeat(64) };
  assert.equal(decideAnonymousRead(state([]), author, 'lab-1', 'treatment', 5, 3).allow, true, 'control');
  assert.equal(
    decideAnonymousRead(state([byRole]), researcher, 'lab-1', 'research', 20_000, 3).code,
    'GRANT_EXPIRED',
  );
  assert.equal(decideAnonymousRead(state([]), researcher, 'nope', 'research', 5, 3).code, 'UNKNOWN_RECORD');
});

async function withTrial(): Promise<{ w: AnonWorld; acc0: string; accPk: string }> {
  const x = await withIssuer();
  const reg = x.w.tx('org:hospitalA', 'anon.trial.register', {
    trialId: 'trial-9',
    minAge: 18,
    issuers: ['hospitalB'],
    attribute: 'birthDate',
  });
  assert.deepEqual(x.w.run(reg), ['OK']);
  return x;
}

function enrolment(
  w: AnonWorld,
  accPk: string,
  acc: string,
  o: { max?: number; pseudonym?: string; issuer?: string; context?: string } = {},
): { [k: string]: JsonValue } {
  const date = utcDateNumber(w.t + 1000);
  return {
    trialId: 'trial-9',
    issuer: o.issuer ?? 'hospitalB',
    request: {
      nonce: b(32),
      now: w.t,
      predicates: [{ attribute: 'birthDate', min: 0, max: o.max ?? date - 180_000 }],
      scope: trialScope('trial-9'),
      revocation: { publicKey: accPk, accumulated: acc },
      context: o.context ?? trialContext(w.f.chainId, 'trial-9'),
    },
    presentation: {
      attributeNames: ['birthDate'],
      revealed: {},
      pseudonym: o.pseudonym ?? b(48),
      proof: b(64),
    },
  };
}

test('predicate ledger: an enrolment must prove the trial’s predicate at the block date, against the current accumulator, once', async () => {
  const { w, acc0, accPk } = await withTrial();
  const date = utcDateNumber(w.t + 1000);
  const weaker = enrolment(w, accPk, acc0, { max: date - 160_000 });
  assert.deepEqual(
    w.run(w.tx('node:hospitalA', 'anon.trial.enrol', weaker)),
    ['PREDICATE_MISMATCH'],
    'age >= 16',
  );
  const ctx = enrolment(w, accPk, acc0, { context: 'other' });
  assert.deepEqual(w.run(w.tx('node:hospitalA', 'anon.trial.enrol', ctx)), ['PREDICATE_MISMATCH']);
  const stale = enrolment(w, accPk, b(48));
  assert.deepEqual(w.run(w.tx('node:hospitalA', 'anon.trial.enrol', stale)), ['ACCUMULATOR_STALE']);
  const other = enrolment(w, accPk, acc0, { issuer: 'hospitalA' });
  assert.deepEqual(w.run(w.tx('node:hospitalA', 'anon.trial.enrol', other)), ['ISSUER_NOT_ACCEPTED']);
  const byMember = enrolment(w, accPk, acc0);
  assert.deepEqual(
    w.run(w.tx(w.m.pat!, 'anon.trial.enrol', byMember)),
    ['UNAUTHORIZED'],
    'attested by a node',
  );
  const pseudonym = b(48);
  const ok = enrolment(w, accPk, acc0, { pseudonym });
  assert.deepEqual(w.run(w.tx('node:hospitalA', 'anon.trial.enrol', ok)), ['OK']);
  const twice = enrolment(w, accPk, acc0, { pseudonym });
  assert.deepEqual(w.run(w.tx('node:hospitalB', 'anon.trial.enrol', twice)), ['ALREADY_ENROLLED']);
  const stricter = enrolment(w, accPk, acc0, { max: date - 210_000 });
  assert.deepEqual(
    w.run(w.tx('node:hospitalA', 'anon.trial.enrol', stricter)),
    ['OK'],
    'a stricter bound is fine',
  );
});

test('predicate ledger: utcDateNumber is the UTC calendar date of a block time', () => {
  assert.equal(utcDateNumber(Date.UTC(2026, 2, 15, 23, 59)), 20260315);
  assert.equal(utcDateNumber(Date.UTC(2024, 1, 29)), 20240229);
  assert.equal(utcDateNumber(Date.UTC(2026, 0, 1) - 1), 20251231);
});

function readLog(
  w: AnonWorld,
  accPk: string,
  acc: string,
  o: {
    pseudonym?: string;
    context?: string;
    reveal?: string[];
    revealed?: Record<string, string>;
    now?: number;
    recordId?: string;
  } = {},
): { [k: string]: JsonValue } {
  return {
    recordId: o.recordId ?? 'lab-1',
    purpose: 'treatment',
    outcome: 'denied',
    code: 'NO_GRANT',
    at: w.t + 500,
    issuer: 'hospitalB',
    request: {
      nonce: b(32),
      now: o.now ?? w.t,
      reveal: o.reveal ?? ['organization', 'role'],
      revocation: { publicKey: accPk, accumulated: acc },
      context: o.context ?? anonReadContext(w.f.chainId, 'hospitalA'),
    },
    presentation: {
      attributeNames: [],
      revealed: o.revealed ?? { organization: 'hospitalB', role: 'nurse' },
      pseudonym: o.pseudonym ?? b(48),
      proof: b(64),
    },
  };
}

test('anonymous read log: bound to the logging node, reveals role and organization of the issuer, a fresh accumulator, once per presentation', async () => {
  const { w, acc0, accPk } = await withIssuer();
  const alice = w.m.alice!;
  const pat = w.m.pat!;
  assert.deepEqual(w.run(w.tx(pat, 'patient.careteam', { add: [alice.id], remove: [] })), ['OK']);
  const spv = w.tx(alice, 'record.spv', {
    recordId: 'lab-1',
    patient: pat.id,
    subject: 'ep1',
    category: 'lab',
    resourceType: 'Observation',
    responsible: [alice.id],
    k: 1,
    prev: null,
    commitment: 'c'.repeat(64),
    holder: 'hospitalA',
  });
  assert.deepEqual(w.run(spv), ['OK']);
  const run = (signer: string, p: { [k: string]: JsonValue }): string[] =>
    w.run(w.tx(signer, 'anon.read.log', p));

  const pseudonym = b(48);
  assert.deepEqual(run('node:hospitalA', readLog(w, accPk, acc0, { pseudonym })), ['OK']);
  const requester = pseudonymIdOfJson(pseudonym);
  assert.ok(w.c.reader.get(anonKeys.anonRead(requester)), 'the pseudonym id is the requester');
  assert.deepEqual(run('node:hospitalA', readLog(w, accPk, acc0, { pseudonym })), ['ANON_REPLAY']);
  assert.deepEqual(
    run('node:hospitalA', readLog(w, accPk, acc0, { context: anonReadContext(w.f.chainId, 'hospitalB') })),
    ['PRESENTATION_MISMATCH'],
    'a presentation another node asked for',
  );
  assert.deepEqual(run('node:hospitalA', readLog(w, accPk, acc0, { reveal: ['role'] })), [
    'PRESENTATION_MISMATCH',
  ]);
  assert.deepEqual(
    run(
      'node:hospitalA',
      readLog(w, accPk, acc0, { revealed: { organization: 'hospitalA', role: 'nurse' } }),
    ),
    ['PRESENTATION_MISMATCH'],
    'the disclosed organization must be the issuer',
  );
  assert.deepEqual(run('node:hospitalA', readLog(w, accPk, acc0, { now: w.t - 3_600_000 })), [
    'PRESENTATION_MISMATCH',
  ]);
  assert.deepEqual(run('node:hospitalA', readLog(w, accPk, acc0, { recordId: 'nope' })), ['UNKNOWN_RECORD']);
  assert.deepEqual(run('node:hospitalA', readLog(w, accPk, b(48))), ['ACCUMULATOR_MISMATCH']);
  assert.deepEqual(w.run(w.tx(alice, 'anon.read.log', readLog(w, accPk, acc0))), ['UNAUTHORIZED']);

  // After an addition the proof's accumulator value still proves non-revocation; after a removal not.
  const acc1 = b(48);
  const acc2 = b(48);
  const add = { op: 'add', credentialId: b(32), before: acc0, after: acc1 };
  assert.deepEqual(w.run(w.tx('node:hospitalB', 'anon.issuer.accumulator', { updates: [add] })), ['OK']);
  assert.deepEqual(run('node:hospitalA', readLog(w, accPk, acc0)), ['OK']);
  const remove = { op: 'remove', credentialId: add.credentialId, before: acc1, after: acc2 };
  assert.deepEqual(w.run(w.tx('node:hospitalB', 'anon.issuer.accumulator', { updates: [remove] })), ['OK']);
  assert.deepEqual(run('node:hospitalA', readLog(w, accPk, acc0)), ['ACCUMULATOR_STALE']);
  assert.deepEqual(run('node:hospitalA', readLog(w, accPk, acc2)), ['OK']);

  // access.log no longer takes anonymous-channel entries: they come with their proof or not at all.
  const bare = {
    entries: [
      {
        recordId: 'lab-1',
        requester: 'f'.repeat(64),
        purpose: 'treatment',
        channel: 'anon-credential',
        outcome: 'allowed',
        at: w.t,
      },
    ],
  };
  assert.deepEqual(w.run(w.tx('node:hospitalA', 'access.log', bare)), ['INVALID_PAYLOAD']);
});
