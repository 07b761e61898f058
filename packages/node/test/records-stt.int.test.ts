/**
 * STT through a real node over HTTP (issue 3 §3, §7, §9): double sealing (release key at the
 * sender's node + HPKE envelope), receivers only, audited decryption, re-sharing along the
 * transmission DAG, erasure by crypto-shredding the release key.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from '@medledger/crypto';
import { decryptSttBody } from '@medledger/client';
import { getTransmissions } from '@medledger/core';
import { condition, isCode, makeRecordsWorld, type RecordsWorld } from './helpers/records.js';

let w: RecordsWorld;
const S = 'ep-stt';

before(async () => {
  w = await makeRecordsWorld();
});
after(async () => {
  await w.cleanup();
});

test('stt: a receiver opens the record; non-receivers and receivers without the release key cannot', async () => {
  const resource = condition(S, 'suspected gastric cancer');
  await w.c.alice.sendStt({
    recordId: 'stt-1',
    patient: w.id.bob,
    category: 'clinical',
    resource,
    receivers: [w.id.baker],
    purpose: 'treatment',
  });
  assert.deepEqual(await w.c.baker.openStt('stt-1', 'treatment'), resource);

  // The ledger holds only ciphertext: nothing of the record is readable in the transaction.
  const t = getTransmissions(w.node.store, 'stt-1')[0]!;
  const onChain = JSON.stringify(w.node.getTxWithProof(t.txId)!.tx);
  assert.ok(!onChain.includes('gastric'));

  // Not a receiver: no wrap to open, and the ledger refuses the release key.
  await assert.rejects(w.c.chen.openSttEnvelope('stt-1', t.txId), /not a receiver/);
  const { txId, decision } = await w.c.chen.requestAccess('stt-1', 'treatment');
  assert.deepEqual([decision.allow, decision.code], [false, 'NOT_A_RECEIVER']);
  await assert.rejects(w.c.chen.fetchReleaseKey(txId), isCode('ACCESS_DENIED'));

  // A receiver without the release key holds only the inner ciphertext.
  const inner = await w.c.baker.openSttEnvelope('stt-1');
  assert.ok(!new TextDecoder().decode(inner).includes('gastric'));
  assert.throws(() => decryptSttBody(randomBytes(32), inner, 'stt-1'), /decryption failed/);

  const log = await w.c.bob.accessLog();
  assert.ok(
    log.some((e) => e.type === 'record.transmitted' && e.recordId === 'stt-1' && e.from === w.id.alice),
  );
  assert.ok(
    log.some(
      (e) =>
        e.type === 'access.decided' &&
        e.recordId === 'stt-1' &&
        e.requester === w.id.baker &&
        e.allow === true,
    ),
  );
});

test('stt: a receiver re-shares along the DAG; the new receiver reads it, the path is on the ledger', async () => {
  const resource = condition(S, 'biopsy');
  const first = await w.c.alice.sendStt({
    recordId: 'stt-2',
    patient: w.id.bob,
    category: 'clinical',
    resource,
    receivers: [w.id.baker],
    purpose: 'treatment',
  });
  const second = await w.c.baker.reshareStt({
    recordId: 'stt-2',
    receivers: [w.id.chen],
    purpose: 'treatment',
  });
  assert.deepEqual(await w.c.chen.openStt('stt-2', 'treatment'), resource);
  // The path on the ledger: an append-only list (stt:<id> holds { n }, an item per transmission).
  assert.deepEqual(w.node.stateValue('stt:stt-2'), { n: 2 });
  const path = getTransmissions(w.node.store, 'stt-2');
  assert.deepEqual(
    path.map((p) => [p.txId, p.prev, p.from, p.to]),
    [
      [first.txId, null, w.id.alice, [w.id.baker]],
      [second.txId, first.txId, w.id.baker, [w.id.chen]],
    ],
  );
  // The outsider (not in the care team, no grant) cannot be a receiver of a re-share.
  await assert.rejects(
    w.c.chen.reshareStt({ recordId: 'stt-2', receivers: [w.id.outsider], purpose: 'treatment' }),
    isCode('RECEIVER_NOT_PERMITTED'),
  );
});

test('stt: erasure shreds the release key — receivers can no longer decrypt — and is logged', async () => {
  const resource = condition(S, 'to be erased');
  await w.c.alice.sendStt({
    recordId: 'stt-3',
    patient: w.id.bob,
    category: 'clinical',
    resource,
    receivers: [w.id.baker],
    purpose: 'treatment',
  });
  const before = await w.c.baker.requestAccess('stt-3', 'treatment');
  assert.equal(before.decision.allow, true);
  const { receipt } = await w.c.bob.erase('stt-3', 'GDPR Art. 17 request');
  assert.equal(receipt?.code, 'OK');
  await w.services.sync();
  assert.equal(w.vault.isErased('stt-3', 'release'), true);
  assert.equal(w.vault.get('stt-3', 'release'), undefined);
  // Even a decision taken before the erasure gets nothing; new requests are denied.
  await assert.rejects(w.c.baker.fetchReleaseKey(before.txId), isCode('RECORD_ERASED'));
  await assert.rejects(w.c.baker.openStt('stt-3', 'treatment'), isCode('RECORD_ERASED'));
  assert.equal(await w.services.accessLog.settle(), 'OK');
  const log = await w.c.bob.accessLog();
  assert.ok(log.some((e) => e.type === 'record.erased' && e.recordId === 'stt-3'));
  assert.ok(
    log.some(
      (e) =>
        e.type === 'access.logged' &&
        e.recordId === 'stt-3' &&
        e.channel === 'erasure' &&
        e.code === 'ERASED',
    ),
    'the node logged the shredding on the ledger',
  );
  // Only the patient erases.
  await w.c.alice.sendStt({
    recordId: 'stt-4',
    patient: w.id.bob,
    category: 'clinical',
    resource,
    receivers: [w.id.baker],
    purpose: 'treatment',
  });
  await assert.rejects(w.c.baker.erase('stt-4', 'not mine'), isCode('FORBIDDEN'));
});

test('spv erasure: the EHR record and its salt are shredded; nothing is readable afterwards', async () => {
  await w.c.alice.writeSpv({ recordId: 'spv-e-1', patient: w.id.bob, resource: condition(S, 'erase me') });
  await w.c.bob.erase('spv-e-1', 'GDPR Art. 17 request');
  await w.services.sync();
  assert.equal(await w.ehr.isErased('spv-e-1'), true);
  assert.equal(await w.ehr.get('spv-e-1'), undefined);
  assert.equal(w.vault.get('spv-e-1', 'salt'), undefined);
  await assert.rejects(w.c.bob.readSpv('spv-e-1', 'treatment'), isCode('RECORD_ERASED'));
  assert.ok(w.node.stateValue('record:spv-e-1'), 'the commitment stays on the ledger');
});
