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
