/**
 * Flow 1 of issue 5, through a real node and its HTTP API: an organization registers its BBS
 * issuer key on the ledger and issues credentials to its members; a member reads a record
 * anonymously with a presentation disclosing only role and organization, bound to a node
 * challenge, checked against the issuer's accumulator on the ledger; the node decides with the
 * consent decision of named reads and logs the access on the ledger under a per-presentation
 * pseudonym.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, toHex } from '@medledger/crypto';
import {
  presentCredential,
  presentationRequestFromJson,
  presentationToJson,
  type Presentation,
} from '@medledger/crypto/credentials';
import { MedledgerHttpError } from '@medledger/client';
import type { HeldCredential } from '@medledger/client';
import type { AccessLogEntry } from '@medledger/core';
import { pseudonymIdOfJson } from '@medledger/core/contracts/anonymity';
import { makeAnonLedger, type AnonLedger } from './helpers/anonymity.js';

async function withSpvRecord(a: AnonLedger): Promise<void> {
  const { t } = a;
  await a.submit(t.wallet('pat'), 'patient.careteam', { add: [a.id('alice')], remove: [] });
  await a.submit(t.wallet('alice'), 'record.spv', {
    recordId: 'lab-1',
    patient: a.id('pat'),
    subject: 'ep1-abc',
    category: 'lab',
    resourceType: 'Observation',
    responsible: [a.id('alice')],
    k: 1,
    prev: null,
    commitment: toHex(randomBytes(32)),
    holder: 'hospitalA',
  });
  await a.submit(t.wallet('pat'), 'consent.grant', {
    grantId: 'g-oncology-b',
    grantee: { kind: 'role', org: 'hospitalB', role: 'doctor' },
    scope: { categories: ['lab'] },
    purposes: ['treatment'],
    notBefore: Date.now() - 60_000,
    notAfter: Date.now() + 86_400_000,
  });
}

/** The access-log entries an anonymous read's `anon.read.log` announced (its block events). */
function loggedEntries(a: AnonLedger, txId: string): AccessLogEntry[] {
  const t = a.t.node.getTxWithProof(txId)!;
  assert.equal(t.receipt.code, 'OK');
  assert.equal(t.tx.body.type, 'anon.read.log');
  assert.deepEqual(t.tx.body.signers, ['node:hospitalA']);
  const events = a.t.node.store.blockEvents(t.receipt.height) as unknown as (AccessLogEntry & {
    type: string;
    txId: string;
  })[];
  return events
    .filter((e) => e.txId === txId && e.type === 'access.logged')
    .map((e) => ({
      recordId: e.recordId!,
      requester: e.requester,
      purpose: e.purpose,
      channel: e.channel,
      outcome: e.outcome,
      ...(e.code === undefined ? {} : { code: e.code }),
      at: e.at,
    }));
}

async function presentFor(
  a: AnonLedger,
  held: HeldCredential,
): Promise<{ challengeId: string; p: Presentation }> {
  const res = await fetch(`${a.anon.baseUrl}/v1/anon/challenge`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ issuer: 'hospitalB' }),
  });
  const ch = (await res.json()) as { challengeId: string; request: unknown };
  return {
    challengeId: ch.challengeId,
    p: await presentCredential(held.credential, presentationRequestFromJson(ch.request), held.witness),
  };
}

async function postRead(
  a: AnonLedger,
  body: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${a.anon.baseUrl}/v1/anon/read?wait=10000`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

test('anonymous auth: a role grant allows; no grant denies; both are logged under fresh pseudonyms; the member is never named', async () => {
  const a = await makeAnonLedger();
  try {
    await withSpvRecord(a);
    const bob = await a.anon.requestCredential({ issuer: 'hospitalB', ...a.signer('bob') });
    assert.equal(bob.credential.role, 'doctor');
    assert.equal(bob.credential.organization, 'hospitalB');
    const carol = await a.anon.requestCredential({ issuer: 'hospitalB', ...a.signer('carol') });
    const bobNow = await a.anon.refresh('hospitalB', bob);
    assert.equal(bobNow.seq, 2, 'bob replays the accumulator update of carol’s issuance from the ledger');

    const r1 = await a.anon.read({
      issuer: 'hospitalB',
      held: bobNow,
      recordId: 'lab-1',
      purpose: 'treatment',
      waitMs: 10_000,
    });
    assert.equal(r1.allow, true);
    assert.equal(r1.grantId, 'g-oncology-b');
    const r2 = await a.anon.read({
      issuer: 'hospitalB',
      held: bobNow,
      recordId: 'lab-1',
      purpose: 'treatment',
      waitMs: 10_000,
    });
    assert.equal(r2.allow, true);
    const denied = await a.anon.read({
      issuer: 'hospitalB',
      held: carol,
      recordId: 'lab-1',
      purpose: 'treatment',
      waitMs: 10_000,
    });
    assert.equal(denied.allow, false);
    assert.equal(denied.code, 'NO_GRANT');
    const research = await a.anon.read({
      issuer: 'hospitalB',
      held: bobNow,
      recordId: 'lab-1',
      purpose: 'research',
      waitMs: 10_000,
    });
    assert.equal(research.code, 'PURPOSE_NOT_GRANTED');

    const [e1] = loggedEntries(a, r1.logTxId);
    const [e2] = loggedEntries(a, r2.logTxId);
    const [e3] = loggedEntries(a, denied.logTxId);
    assert.equal(e1!.outcome, 'allowed');
    assert.equal(e3!.outcome, 'denied');
    assert.equal(e3!.code, 'NO_GRANT');
    assert.match(e1!.requester, /^[0-9a-f]{64}$/);
    assert.equal(e1!.channel, 'anon-credential');
    const logged = a.t.node.getTxWithProof(r1.logTxId)!.tx.body.payload as {
      presentation: { pseudonym: string };
    };
    assert.equal(
      e1!.requester,
      pseudonymIdOfJson(logged.presentation.pseudonym),
      'the requester id is derived from the presentation the log carries',
    );
    assert.notEqual(
      e1!.requester,
      e2!.requester,
      'two presentations by one member: two unrelated pseudonyms',
    );
    const logs = JSON.stringify(
      [r1.logTxId, r2.logTxId, denied.logTxId].map((id) => a.t.node.getTxWithProof(id)!.tx),
    );
    for (const label of ['bob', 'carol'])
      assert.ok(!logs.includes(a.id(label)), `${label} is not named in the log`);
    // What the node logs of two reads by bob differs only in the pseudonym and the time.
    const strip = (e: AccessLogEntry) => ({ ...e, requester: '', at: 0 });
    assert.deepEqual(strip(e1!), strip(e2!));
  } finally {
    await a.close();
  }
});

test('anonymous auth: a replayed presentation, a changed disclosed role and a revoked credential are refused', async () => {
  const a = await makeAnonLedger();
  try {
    await withSpvRecord(a);
    const bob = await a.anon.requestCredential({ issuer: 'hospitalB', ...a.signer('bob') });
    const carol = await a.anon.refresh(
      'hospitalB',
      await a.anon.requestCredential({ issuer: 'hospitalB', ...a.signer('carol') }),
    );

    const { challengeId, p } = await presentFor(a, carol);
    const forged = { ...presentationToJson(p), revealed: { organization: 'hospitalB', role: 'doctor' } };
    const bad = await postRead(a, {
      challengeId,
      presentation: forged,
      recordId: 'lab-1',
      purpose: 'treatment',
    });
    assert.equal(bad.status, 401);
    assert.equal(bad.json.code, 'PRESENTATION_INVALID', 'a nurse cannot claim to be a doctor');

    const bobNow = await a.anon.refresh('hospitalB', bob);
    const ok = await presentFor(a, bobNow);
    const body = {
      challengeId: ok.challengeId,
      presentation: presentationToJson(ok.p),
      recordId: 'lab-1',
      purpose: 'treatment',
    };
    assert.equal((await postRead(a, body)).status, 200);
    const replay = await postRead(a, body);
    assert.equal(replay.status, 401);
    assert.equal(replay.json.code, 'CHALLENGE_UNKNOWN', 'a presentation is accepted once');

    const [credentialId] = a.issuerB.credentialsOf(a.id('bob'));
    await a.issuerB.revoke(credentialId!);
    await assert.rejects(
      a.anon.refresh('hospitalB', bobNow),
      /revoked/,
      'a revoked holder cannot update its witness',
    );
    await assert.rejects(
      a.anon.read({ issuer: 'hospitalB', held: bobNow, recordId: 'lab-1', purpose: 'treatment' }),
      (e: unknown) => e instanceof MedledgerHttpError && e.code === 'PRESENTATION_INVALID',
      'the stale witness does not prove membership in the current accumulator',
    );
    const carolNow = await a.anon.refresh('hospitalB', carol);
    const still = await a.anon.read({
      issuer: 'hospitalB',
      held: carolNow,
      recordId: 'lab-1',
      purpose: 'treatment',
    });
    assert.equal(still.code, 'NO_GRANT', 'other holders update their witness and go on');
  } finally {
    await a.close();
  }
});

test('anonymous auth: a challenge made before a revocation is refused after it (CHALLENGE_STALE)', async () => {
  const a = await makeAnonLedger();
  try {
    await withSpvRecord(a);
    const bob = await a.anon.requestCredential({ issuer: 'hospitalB', ...a.signer('bob') });
    const { challengeId, p } = await presentFor(a, bob);
    await a.issuerB.revoke(a.issuerB.credentialsOf(a.id('bob'))[0]!);
    const r = await postRead(a, {
      challengeId,
      presentation: presentationToJson(p),
      recordId: 'lab-1',
      purpose: 'treatment',
    });
    assert.equal(r.status, 409);
    assert.equal(r.json.code, 'CHALLENGE_STALE');
  } finally {
    await a.close();
  }
});
