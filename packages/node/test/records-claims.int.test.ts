/**
 * Record ids cannot be squatted: only a member the ledger would let write a record may claim
 * its id at the node before writing it. A release-key deposit names the record's patient, and
 * the depositor must be in the patient's care team (as the first `record.stt` requires); an SPV
 * upload must come from a doctor of the node's organization in the patient's care team.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, toB64u } from '@medledger/crypto';
import { MedledgerHttpError } from '@medledger/client';
import { condition, makeRecordsWorld, type RecordsWorld } from './helpers/records.js';

let w: RecordsWorld;
before(async () => {
  w = await makeRecordsWorld();
});
after(async () => {
  await w.cleanup();
});

const refused = (code: string) => (e: unknown) => e instanceof MedledgerHttpError && e.code === code;

test("security: a member outside the patient's care team cannot claim a record id; the real sender then writes it", async () => {
  const key = { key: toB64u(randomBytes(32)) };
  // outsider is a doctor of hospital A, not in Bob's care team.
  await assert.rejects(
    w.c.outsider.signed('PUT', '/v1/stt/release-keys/squat-1', { ...key, patient: w.id.bob }),
    refused('NOT_RESPONSIBLE'),
  );
  await assert.rejects(
    w.c.outsider.signed('PUT', '/v1/stt/release-keys/squat-1', key),
    refused('MALFORMED_REQUEST'),
    'a deposit names the patient',
  );
  await assert.rejects(
    w.c.outsider.uploadSpv({ recordId: 'squat-2', patient: w.id.bob, resource: condition('ep-sq') }),
    refused('NOT_RESPONSIBLE'),
  );
  assert.equal(w.vault.get('squat-1', 'release'), undefined, 'nothing claimed');
  const resource = condition('ep-sq');
  await w.c.alice.sendStt({
    recordId: 'squat-1',
    patient: w.id.bob,
    category: 'clinical',
    resource,
    receivers: [w.id.baker],
    purpose: 'treatment',
  });
  assert.deepEqual(await w.c.baker.openStt('squat-1', 'treatment'), resource);
  const spv = await w.c.alice.writeSpv({ recordId: 'squat-2', patient: w.id.bob, resource });
  assert.equal(spv.receipt.code, 'OK');
});

test('security: a claim by another possible writer does not block the record’s writer: once the ledger names the writer, the writer’s key displaces it', async () => {
  // outsider joins Bob's care team: he may write Bob's records, and claims an id first.
  await w.c.bob.setCareTeam([w.id.outsider]);
  const squatKey = randomBytes(32);
  await w.c.outsider.signed('PUT', '/v1/stt/release-keys/squat-3', {
    key: toB64u(squatKey),
    patient: w.id.bob,
  });
  const resource = condition('ep-sq3');
  const sent = await w.c.alice.sendStt({
    recordId: 'squat-3',
    patient: w.id.bob,
    category: 'clinical',
    resource,
    receivers: [w.id.baker],
    purpose: 'treatment',
  });
  assert.equal(sent.receipt.code, 'OK');
  await w.services.sync();
  const k = w.vault.get('squat-3', 'release');
  assert.equal(k?.owner, w.id.alice, "the writer's key is kept");
  assert.ok(k?.confirmedAt !== undefined);
  assert.deepEqual(await w.c.baker.openStt('squat-3', 'treatment'), resource);
  // The squatter, not the ledger's writer, cannot replace the key now.
  await assert.rejects(
    w.c.outsider.signed('PUT', '/v1/stt/release-keys/squat-3', {
      key: toB64u(squatKey),
      patient: w.id.bob,
    }),
    refused('RECORD_EXISTS'),
  );
  // Nor can the writer once her key is confirmed: a confirmed key is never replaced.
  await assert.rejects(
    w.c.alice.signed('PUT', '/v1/stt/release-keys/squat-3', {
      key: toB64u(randomBytes(32)),
      patient: w.id.bob,
    }),
    refused('DUPLICATE_RECORD'),
  );
});
