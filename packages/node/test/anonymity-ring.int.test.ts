/**
 * Flow 3 of issue 5, through a real node and its HTTP API: members register ring keys on the
 * ledger; anonymous statements signed for a ring of registered keys are relayed by a node; in
 * a linkable scope (a patient survey) each patient answers once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toB64u } from '@medledger/crypto';
import { generateRingKeyPair, type RingKeyPair } from '@medledger/crypto/ring';
import { MedledgerHttpError } from '@medledger/client';
import { ringSignedPayload } from '@medledger/client';
import { makeAnonLedger, type AnonLedger } from './helpers/anonymity.js';

const rejects = (code: string) => (e: unknown) => e instanceof MedledgerHttpError && e.code === code;

async function withRingKeys(a: AnonLedger, labels: string[]): Promise<Record<string, RingKeyPair>> {
  const keys: Record<string, RingKeyPair> = {};
  for (const l of labels) {
    keys[l] = generateRingKeyPair();
    await a.submit(a.t.wallet(l), 'anon.ring.key', { publicKey: toB64u(keys[l]!.publicKey) });
  }
  return keys;
}

function answer(
  a: AnonLedger,
  ring: RingKeyPair[],
  me: RingKeyPair,
  statement: Record<string, string | number>,
  scope?: string,
) {
  return ringSignedPayload({
    chainId: a.t.node.chainId,
    ring: ring.map((k) => k.publicKey),
    secretKey: me.secretKey,
    statement,
    createdAt: Date.now(),
    ...(scope === undefined ? {} : { scope, role: 'patient' }),
  });
}

const PATIENTS = [
  { label: 'pia', org: 'hospitalA', role: 'patient' },
  { label: 'paul', org: 'hospitalB', role: 'patient' },
];

test('ring signatures: a statement signed for a ring of registered member keys commits; an outsider’s and a revoked member’s ring are refused', async () => {
  const a = await makeAnonLedger();
  try {
    const k = await withRingKeys(a, ['alice', 'bob', 'chen', 'carol']);
    const ring = [k.alice!, k.bob!, k.chen!, k.carol!];
    const r = await a.anon.relay(
      'anon.ring.submit',
      answer(a, ring, k.chen!, { concern: 'understaffed night shift' }),
      {
        waitMs: 10_000,
      },
    );
    assert.equal(r.receipt?.code, 'OK');
    const tx = a.t.node.getTxWithProof(r.txId)!.tx;
    assert.deepEqual(tx.body.signers, ['node:hospitalA']);
    const outsider = generateRingKeyPair();
    await assert.rejects(
      a.anon.relay('anon.ring.submit', answer(a, [k.alice!, outsider], outsider, { x: 1 })),
      rejects('UNKNOWN_RING_KEY'),
    );
    const forged = answer(a, [k.alice!, outsider], outsider, { x: 2 });
    await assert.rejects(
      a.anon.relay('anon.ring.submit', {
        ...forged,
        ring: [toB64u(k.alice!.publicKey), toB64u(k.bob!.publicKey)],
      }),
      rejects('BAD_RING_SIGNATURE'),
    );
    await a.submit(a.t.orgWallet('hospitalB'), 'registry.revoke', {
      memberId: a.id('carol'),
      reason: 'left',
    });
    await assert.rejects(
      a.anon.relay('anon.ring.submit', answer(a, ring, k.alice!, { x: 3 })),
      rejects('RING_MEMBER_REVOKED'),
    );
  } finally {
    await a.close();
  }
});

test('ring signatures: one anonymous survey answer per patient and scope (linkable), whatever the ring', async () => {
  const a = await makeAnonLedger({ extraMembers: PATIENTS });
  try {
    const k = await withRingKeys(a, ['pat', 'pia', 'paul', 'bob']);
    const patients = [k.pat!, k.pia!, k.paul!];
    const first = await a.anon.relay('anon.ring.submit', answer(a, patients, k.pia!, { q1: 4 }, 'survey-7'), {
      waitMs: 10_000,
    });
    assert.equal(first.receipt?.code, 'OK');
    await assert.rejects(
      a.anon.relay('anon.ring.submit', answer(a, [k.pia!, k.paul!], k.pia!, { q1: 5 }, 'survey-7')),
      rejects('KEY_IMAGE_USED'),
    );
    const other = await a.anon.relay(
      'anon.ring.submit',
      answer(a, patients, k.paul!, { q1: 2 }, 'survey-7'),
      { waitMs: 10_000 },
    );
    assert.equal(other.receipt?.code, 'OK');
    const next = await a.anon.relay('anon.ring.submit', answer(a, patients, k.pia!, { q1: 3 }, 'survey-8'), {
      waitMs: 10_000,
    });
    assert.equal(next.receipt?.code, 'OK', 'another survey is another scope');
    await assert.rejects(
      a.anon.relay('anon.ring.submit', answer(a, [k.pat!, k.bob!], k.pat!, { q1: 1 }, 'survey-9')),
      rejects('RING_ROLE_MISMATCH'),
      'a patient survey takes patient rings only',
    );
  } finally {
    await a.close();
  }
});
