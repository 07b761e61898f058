/**
 * Ring-signed transactions on the ledger (SAG / bLSAG, ring.ts): members register ring keys;
 * a statement signed for a ring of registered keys is relayed by a node; the contract checks
 * every ring key belongs to an enrolled, non-revoked member; in a linkable scope a member
 * answers once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toB64u, type JsonValue } from '@medledger/crypto';
import {
  generateRingKeyPair,
  ringSign,
  ringSignatureToBytes,
  type RingKeyPair,
} from '@medledger/crypto/ring';
import { RING_SUBMIT, getRingKey } from '../src/contracts/anonymity/index.js';
import { anonWorld, type AnonWorld } from './anonymity-world.js';
import type { Member } from './fixtures.js';

async function setup(): Promise<{ w: AnonWorld; keys: Record<string, RingKeyPair> }> {
  const w = await anonWorld();
  const keys: Record<string, RingKeyPair> = {};
  const txs = Object.entries(w.m).map(([label, m]) => {
    keys[label] = generateRingKeyPair();
    return w.tx(m, 'anon.ring.key', { publicKey: toB64u(keys[label]!.publicKey) });
  });
  assert.ok(w.run(...txs).every((c) => c === 'OK'));
  return { w, keys };
}

function answer(
  w: AnonWorld,
  ring: RingKeyPair[],
  signer: RingKeyPair,
  statement: { [k: string]: JsonValue },
  extra: { scope?: string; role?: string } = {},
) {
  const pks = ring.map((k) => k.publicKey);
  const payload = w.anon(RING_SUBMIT, { ring: pks.map(toB64u), statement, ...extra }, (message) =>
    ringSignatureToBytes(
      ringSign({
        message,
        ring: pks,
        secretKey: signer.secretKey,
        ...(extra.scope === undefined ? {} : { scope: extra.scope }),
      }),
    ),
  );
  return w.tx('node:hospitalB', RING_SUBMIT, payload);
}

test('ring ledger: a ring-signed statement over registered member keys commits', async () => {
  const { w, keys } = await setup();
  const ring = [keys.alice!, keys.bob!, keys.chen!, keys.dana!];
  assert.deepEqual(w.run(answer(w, ring, keys.chen!, { opinion: 'protocol 4 is unsafe' })), ['OK']);
  assert.equal(getRingKey(w.c.reader, w.m.alice!.id)!.publicKey, toB64u(keys.alice!.publicKey));
});

test('ring ledger: an outsider cannot sign for a ring; a tampered statement fails', async () => {
  const { w, keys } = await setup();
  const outsider = generateRingKeyPair();
  const ring = [keys.alice!, keys.bob!, keys.chen!];
  // The outsider's signature over a ring that includes its own unregistered key: refused by the registry check.
  assert.deepEqual(w.run(answer(w, [...ring, outsider], outsider, { x: 1 })), ['UNKNOWN_RING_KEY']);
  // A signature for the registered ring made by someone outside it: not a valid ring signature.
  const forged = answer(w, [ring[0]!, outsider], outsider, { x: 2 });
  const swapped = w.tx('node:hospitalB', RING_SUBMIT, {
    ...forged.body.payload,
    ring: [toB64u(ring[0]!.publicKey), toB64u(ring[1]!.publicKey)],
  });
  assert.deepEqual(w.run(swapped), ['BAD_RING_SIGNATURE']);
  const good = answer(w, ring, keys.bob!, { x: 3 });
  const tampered = w.tx('node:hospitalB', RING_SUBMIT, { ...good.body.payload, statement: { x: 4 } });
  assert.deepEqual(w.run(tampered), ['BAD_RING_SIGNATURE']);
});

test('ring ledger: a ring with a revoked member’s key is refused', async () => {
  const { w, keys } = await setup();
  const revoke = w.tx('org:hospitalB', 'registry.revoke', { memberId: w.m.dana!.id, reason: 'left' });
  assert.deepEqual(w.run(revoke), ['OK']);
  assert.deepEqual(w.run(answer(w, [keys.alice!, keys.dana!, keys.bob!], keys.alice!, { y: 1 })), [
    'RING_MEMBER_REVOKED',
  ]);
});

test('ring ledger: one linkable answer per member and scope, whatever the ring; other scopes are unlinked', async () => {
  const { w, keys } = await setup();
  const patients = [keys.pat!, keys.pia!, keys.paul!];
  const scope = 'survey-7';
  const a1 = answer(w, patients, keys.pia!, { q1: 4 }, { scope, role: 'patient' });
  assert.deepEqual(w.run(a1), ['OK']);
  const a2 = answer(w, patients.slice(0, 2), keys.pia!, { q1: 5 }, { scope, role: 'patient' });
  assert.deepEqual(w.run(a2), ['KEY_IMAGE_USED'], 'second answer of the same patient, smaller ring');
  const other = answer(w, patients, keys.pat!, { q1: 2 }, { scope, role: 'patient' });
  assert.deepEqual(w.run(other), ['OK'], 'another patient answers');
  const next = answer(w, patients, keys.pia!, { q1: 3 }, { scope: 'survey-8', role: 'patient' });
  assert.deepEqual(w.run(next), ['OK'], 'another survey');
  const mixed = answer(
    w,
    [keys.pat!, keys.bob!],
    keys.pat!,
    { q1: 1 },
    { scope: 'survey-9', role: 'patient' },
  );
  assert.deepEqual(w.run(mixed), ['RING_ROLE_MISMATCH'], 'a patient survey accepts patient rings only');
});

test('ring ledger: one ring key per member and one member per key; registration signed by the member', async () => {
  const w = await anonWorld([
    ['bob', 'hospitalB', 'doctor'],
    ['eve', 'hospitalA', 'doctor'],
  ]);
  const bob = generateRingKeyPair();
  const eve: Member = w.m.eve!;
  assert.deepEqual(w.run(w.tx(w.m.bob!, 'anon.ring.key', { publicKey: toB64u(bob.publicKey) })), ['OK']);
  const fresh = generateRingKeyPair();
  assert.deepEqual(w.run(w.tx(w.m.bob!, 'anon.ring.key', { publicKey: toB64u(fresh.publicKey) })), [
    'RING_KEY_EXISTS',
  ]);
  assert.deepEqual(w.run(w.tx(eve, 'anon.ring.key', { publicKey: toB64u(bob.publicKey) })), [
    'RING_KEY_TAKEN',
  ]);
  assert.deepEqual(w.run(w.tx('org:hospitalA', 'anon.ring.key', { publicKey: toB64u(fresh.publicKey) })), [
    'UNAUTHORIZED',
  ]);
  assert.deepEqual(w.run(w.tx(eve, 'anon.ring.key', { publicKey: toB64u(new Uint8Array(32).fill(9)) })), [
    'BAD_RING_KEY',
  ]);
  assert.deepEqual(w.run(w.tx(eve, 'anon.ring.key', { publicKey: toB64u(fresh.publicKey) })), ['OK']);
});
