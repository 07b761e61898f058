/** From ledger events to patient notifications: only allow-listed summary fields, never contents. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toNotification } from '../src/notify/notification.js';
import type { EventName } from '@medledger/core';

const P = 'ab'.repeat(32);
const TX = 'cd'.repeat(32);

test('privacy: a notification copies only summary fields, never record contents', () => {
  const n = toNotification(
    {
      type: 'record.written',
      mode: 'dss',
      recordId: 'r-1',
      patient: P,
      category: 'lab',
      subject: 'ep1-abc',
      resource: { resourceType: 'Observation', valueString: 'secret' },
      commitment: '00'.repeat(32),
      txId: TX,
      height: 7,
    },
    2,
    1234,
  );
  assert.deepEqual(n, {
    id: `${TX}:2`,
    type: 'record.written',
    patient: P,
    height: 7,
    txId: TX,
    at: 1234,
    mode: 'dss',
    recordId: 'r-1',
    category: 'lab',
  });
});

test('behavior: access.logged keeps the read time as readAt; at is the block time', () => {
  const n = toNotification(
    {
      type: 'access.logged',
      patient: P,
      node: 'hospitalA',
      recordId: 'r-1',
      requester: 'ef'.repeat(32),
      purpose: 'treatment',
      channel: 'api',
      outcome: 'allowed',
      at: 99,
      txId: TX,
      height: 3,
    },
    0,
    500,
  );
  assert.equal(n?.at, 500);
  assert.equal(n?.readAt, 99);
  assert.equal(n?.outcome, 'allowed');
});

test('behavior: an emergency request tells the patient who asked, for which record and why', () => {
  const n = toNotification(
    {
      type: 'emergency.requested',
      patient: P,
      requestId: TX,
      setupId: 'es-1',
      recordId: 'er-1',
      requester: 'ef'.repeat(32),
      reason: 'life-threatening',
      allow: true,
      code: 'OK',
      txId: TX,
      height: 4,
    },
    0,
    500,
  );
  assert.deepEqual(
    [n?.requester, n?.recordId, n?.setupId, n?.reason, n?.allow, n?.code],
    ['ef'.repeat(32), 'er-1', 'es-1', 'life-threatening', true, 'OK'],
  );
});

test('behavior: each proxy share of an emergency re-encryption tells the patient who asked, for which record, which proxy and how many of the threshold are in', () => {
  const n = toNotification(
    {
      type: 'emergency.reencrypted',
      patient: P,
      requestId: TX,
      recordId: 'er-1',
      requester: 'ef'.repeat(32),
      proxy: 'cd'.repeat(32),
      count: 2,
      threshold: 2,
      cfrag: 'not for the patient',
      txId: TX,
      height: 5,
    },
    1,
    600,
  );
  assert.deepEqual(
    [n?.requestId, n?.recordId, n?.requester, n?.proxy, n?.count, n?.threshold, n?.id],
    [TX, 'er-1', 'ef'.repeat(32), 'cd'.repeat(32), 2, 2, `${TX}:1`],
  );
  assert.equal(n?.cfrag, undefined, 'a field off the allow-list is not copied');
});

test('behavior: events without a patient, or with a malformed one, are not notifications', () => {
  assert.equal(
    toNotification({ type: 'member.enrolled', memberId: P, txId: TX, height: 1 }, 0, 1),
    undefined,
  );
  assert.equal(
    toNotification({ type: 'consent.granted', patient: 'bob', txId: TX, height: 1 }, 0, 1),
    undefined,
  );
  const unknown = toNotification(
    { type: 'future.event' as EventName, patient: P, secret: 'x', txId: TX, height: 1 },
    0,
    undefined,
  );
  assert.deepEqual(unknown, { id: `${TX}:0`, type: 'future.event', patient: P, height: 1, txId: TX });
});
