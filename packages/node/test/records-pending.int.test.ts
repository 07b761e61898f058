/**
 * Uploads whose transaction never commits (issue 3 §4): an SPV record or STT release key
 * uploaded to the node stays pending until its transaction commits; past `pendingTtlMs` it is
 * erased, and a late transaction for it commits a commitment the node no longer serves.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, toB64u } from '@medledger/crypto';
import { MedledgerHttpError } from '@medledger/client';
import { condition, makeRecordsWorld, sleep, type RecordsWorld } from './helpers/records.js';

let w: RecordsWorld;

before(async () => {
  w = await makeRecordsWorld({ pendingTtlMs: 300 });
});
after(async () => {
  await w.cleanup();
});

test('pending: an upload whose transaction does not commit in time is erased and never served', async () => {
  const up = await w.c.alice.uploadSpv({
    recordId: 'late-1',
    patient: w.id.bob,
    resource: condition('ep-late'),
  });
  await w.c.alice.signed('PUT', '/v1/stt/release-keys/late-2', {
    key: toB64u(randomBytes(32)),
    patient: w.id.bob,
  });
  assert.ok(await w.ehr.get('late-1'), 'held while pending');
  await sleep(350);
  await w.c.bob.setCareTeam([w.id.chen]); // any block runs the sweep
  await w.services.sync();
  assert.equal(await w.ehr.isErased('late-1'), true);
  assert.equal(w.vault.isErased('late-1', 'salt'), true);
  assert.equal(w.vault.isErased('late-2', 'release'), true);

  await w.c.alice.submit('record.spv', {
    recordId: 'late-1',
    patient: w.id.bob,
    subject: up.subject,
    category: up.category,
    resourceType: up.resourceType,
    responsible: [w.id.alice],
    k: 1,
    prev: null,
    commitment: up.commitment,
    holder: 'hospitalA',
  });
  const { txId } = await w.c.bob.requestAccess('late-1', 'treatment');
  await assert.rejects(
    w.c.bob.fetchSpv(txId),
    (e: unknown) => e instanceof MedledgerHttpError && e.code === 'NOT_FOUND',
  );
  // A re-upload under the same id is refused: ids are never reused.
  await assert.rejects(
    w.c.alice.uploadSpv({ recordId: 'late-1', patient: w.id.bob, resource: condition('ep-late') }),
    (e: unknown) => e instanceof MedledgerHttpError && e.code === 'RECORD_EXISTS',
  );
});
