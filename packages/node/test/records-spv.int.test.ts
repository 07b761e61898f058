/**
 * SPV through a real node over HTTP (issue 3 §4, §5, §6, §7): upload + commitment, consented
 * reads sealed to the requester and checked against the ledger, default deny, windows by block
 * time, revocation, minimal disclosure for insurers, write rules, tampering in the EHR store.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { randomBytes, toB64u } from '@medledger/crypto';
import { sealRecord } from '../src/ehr/encryption.js';
import {
  condition,
  isCode,
  makeRecordsWorld,
  observation,
  sleep,
  type RecordsWorld,
} from './helpers/records.js';

let w: RecordsWorld;
const S = 'ep1-subject';
const far = (): number => Date.now() + 3_600_000;

before(async () => {
  w = await makeRecordsWorld();
});
after(async () => {
  await w.cleanup();
});

test('spv: a responsible doctor uploads and commits; a consented requester reads it sealed and checks the commitment', async () => {
  const resource = observation(S, 5.4);
  const { commitment } = await w.c.alice.writeSpv({ recordId: 'spv-lab-1', patient: w.id.bob, resource });
  const onChain = w.node.stateValue('record:spv-lab-1') as {
    commitment: string;
    category: string;
    holder: string;
  };
  assert.equal(onChain.commitment, commitment);
  assert.deepEqual(
    [onChain.category, onChain.holder],
    ['lab', 'hospitalA'],
    'category derived from the FHIR resource',
  );
  const stored = await w.ehr.get('spv-lab-1');
  assert.ok(stored, 'the record is in the EHR store');

  await w.c.bob.grantConsent({
    grantId: 'g-baker-lab',
    grantee: { kind: 'member', memberId: w.id.baker },
    scope: { categories: ['lab'] },
    purposes: ['treatment'],
    notBefore: 0,
    notAfter: far(),
  });
  const got = await w.c.baker.readSpv('spv-lab-1', 'treatment');
  assert.equal(got.verified, true);
  assert.equal(got.deidentified, false);
  assert.deepEqual(got.resource, resource);
  // The response is sealed to baker: chen cannot use baker's decision, nor open it.
  const { txId } = await w.c.baker.requestAccess('spv-lab-1', 'treatment');
  await assert.rejects(w.c.chen.fetchSpv(txId), isCode('FORBIDDEN'));
});

test('spv: read without a grant is denied on the ledger, refused by the node and shown in the patient’s access log', async () => {
  await w.c.alice.writeSpv({ recordId: 'spv-cond-1', patient: w.id.bob, resource: condition(S) });
  await assert.rejects(w.c.chen.readSpv('spv-cond-1', 'treatment'), isCode('NO_GRANT'));
  const { txId, decision } = await w.c.chen.requestAccess('spv-cond-1', 'treatment');
  assert.deepEqual([decision.allow, decision.code], [false, 'NO_GRANT']);
  await assert.rejects(w.c.chen.fetchSpv(txId), isCode('ACCESS_DENIED'));
  const log = await w.c.bob.accessLog();
  const denied = log.filter(
    (e) => e.type === 'access.decided' && e.recordId === 'spv-cond-1' && e.allow === false,
  );
  assert.equal(denied.length, 2);
  assert.ok(denied.every((e) => e.requester === w.id.chen && e.code === 'NO_GRANT'));
  await assert.rejects(
    w.c.chen.signed('GET', `/v1/patients/${w.id.bob}/access-log`),
    isCode('FORBIDDEN'),
    'nobody else reads the patient’s log',
  );
});

test('spv: a grant past its window (by block time) denies; a revoked grant denies from the next block', async () => {
  await w.c.alice.writeSpv({ recordId: 'spv-lab-2', patient: w.id.bob, resource: observation(S, 6.1) });
  const start = Date.now();
  await w.c.bob.grantConsent({
    grantId: 'g-chen-short',
    grantee: { kind: 'member', memberId: w.id.chen },
    scope: { recordIds: ['spv-lab-2'] },
    purposes: ['treatment'],
    notBefore: start - 1000,
    notAfter: start + 400,
  });
  await sleep(Math.max(0, start + 450 - Date.now()));
  await assert.rejects(w.c.chen.readSpv('spv-lab-2', 'treatment'), isCode('GRANT_EXPIRED'));

  // A second record, so that the expired grant above does not take part in the decision.
  await w.c.alice.writeSpv({ recordId: 'spv-lab-2b', patient: w.id.bob, resource: observation(S, 6.2) });
  await w.c.bob.grantConsent({
    grantId: 'g-chen-long',
    grantee: { kind: 'member', memberId: w.id.chen },
    scope: { recordIds: ['spv-lab-2b'] },
    purposes: ['treatment'],
    notBefore: 0,
    notAfter: far(),
  });
  const allowed = await w.c.chen.requestAccess('spv-lab-2b', 'treatment');
  assert.equal(allowed.decision.allow, true);
  const { receipt } = await w.c.bob.revokeConsent('g-chen-long');
  const later = await w.c.chen.requestAccess('spv-lab-2b', 'treatment');
  assert.ok(later.decision.height > receipt.height, 'decided in a block after the revocation');
  assert.deepEqual([later.decision.allow, later.decision.code], [false, 'GRANT_REVOKED']);
  // A decision taken before the revocation no longer opens the record either (node defence).
  await assert.rejects(w.c.chen.fetchSpv(allowed.txId), isCode('ACCESS_DENIED'));
  assert.equal(await w.services.accessLog.settle(), 'OK');
  const log = await w.c.bob.accessLog();
  assert.ok(
    log.some((e) => e.type === 'access.logged' && e.recordId === 'spv-lab-2b' && e.outcome === 'denied'),
    'the refused delivery is logged on the ledger',
  );
});

test('spv: an insurer gets billing only — a clinical grant is refused, clinical reads are denied', async () => {
  await w.c.alice.writeSpv({ recordId: 'spv-cond-2', patient: w.id.bob, resource: condition(S, 'ulcer') });
  await assert.rejects(
    w.c.bob.grantConsent({
      grantId: 'g-claims-clinical',
      grantee: { kind: 'member', memberId: w.id.claims },
      scope: { categories: ['clinical'] },
      purposes: ['payment'],
      notBefore: 0,
      notAfter: far(),
    }),
    isCode('INSURER_SCOPE'),
  );
  await w.c.bob.grantConsent({
    grantId: 'g-claims-billing',
    grantee: { kind: 'org', org: 'insurer' },
    scope: { categories: ['billing'] },
    purposes: ['payment'],
    notBefore: 0,
    notAfter: far(),
  });
  await assert.rejects(w.c.claims.readSpv('spv-cond-2', 'payment'), isCode('OUT_OF_SCOPE'));
});

test('spv: only responsible doctors write — upload and transaction are both refused', async () => {
  await assert.rejects(
    w.c.outsider.writeSpv({ recordId: 'spv-x-1', patient: w.id.bob, resource: condition(S) }),
    isCode('NOT_RESPONSIBLE'),
  );
  // Bypassing the node's upload check does not help: the contract refuses the write.
  await assert.rejects(
    w.c.outsider.submit('record.spv', {
      recordId: 'spv-x-2',
      patient: w.id.bob,
      subject: S,
      category: 'clinical',
      resourceType: 'Condition',
      responsible: [w.id.outsider],
      k: 1,
      prev: (w.node.stateValue(`chain:spv:${w.id.bob}`) as { head: string }).head,
      commitment: '00'.repeat(32),
      holder: 'hospitalA',
    }),
    isCode('NOT_RESPONSIBLE'),
  );
  // A doctor of another organization cannot upload to this node.
  await assert.rejects(
    w.c.baker.signed('POST', '/v1/spv/records', {
      recordId: 'spv-x-3',
      patient: w.id.bob,
      resource: condition(S),
      salt: toB64u(randomBytes(32)),
    }),
    isCode('FORBIDDEN'),
  );
});

test('spv: an invalid FHIR upload is refused with paths, never values', async () => {
  const bad = { ...condition(S), recordedDate: 'SECRET-not-a-date' };
  await assert.rejects(
    w.c.alice.uploadSpv({ recordId: 'spv-bad-1', patient: w.id.bob, resource: bad }),
    (e: unknown) => isCode('INVALID_RECORD')(e) && !(e as Error).message.includes('SECRET'),
  );
});

test('spv: a record altered in the EHR store fails the requester’s commitment check', async () => {
  const resource = observation(S, 7.7);
  await w.c.alice.writeSpv({ recordId: 'spv-lab-3', patient: w.id.bob, resource });
  // An insider with the master key re-encrypts an altered body into the SQLite row.
  const row = await w.ehr.get('spv-lab-3');
  const altered = { ...resource, valueQuantity: { value: 4.2, unit: 'mmol/L' } };
  const sealed = sealRecord(w.masterKey, {
    ...row!,
    body: new TextEncoder().encode(JSON.stringify(altered)),
  });
  const db = new Database(w.ehrPath);
  db.prepare('UPDATE ehr_records SET wrapped_key = ?, ciphertext = ? WHERE record_id = ?').run(
    sealed.wrappedKey,
    sealed.ciphertext,
    'spv-lab-3',
  );
  const { txId } = await w.c.alice.requestAccess('spv-lab-3', 'treatment');
  const got = await w.c.alice.fetchSpv(txId);
  assert.equal(got.verified, false, 'the served record does not open the on-chain commitment');
  assert.equal((got.resource.valueQuantity as { value: number }).value, 4.2);
  await assert.rejects(w.c.alice.readSpv('spv-lab-3', 'treatment'), isCode('COMMITMENT_MISMATCH'));
  // Without the master key, flipping ciphertext bytes is detected by the store, never served.
  const ct = db
    .prepare<[string], { ciphertext: Buffer }>('SELECT ciphertext FROM ehr_records WHERE record_id = ?')
    .get('spv-lab-3')!.ciphertext;
  ct[ct.length - 20]! ^= 1;
  db.prepare('UPDATE ehr_records SET ciphertext = ? WHERE record_id = ?').run(ct, 'spv-lab-3');
  db.close();
  const again = await w.c.alice.requestAccess('spv-lab-3', 'treatment');
  await assert.rejects(w.c.alice.fetchSpv(again.txId), isCode('CORRUPT'));
});

test('spv: another organization’s record is not served here; an upload that differs from the commitment is erased', async () => {
  const prev = (w.node.stateValue(`chain:spv:${w.id.bob}`) as { head: string }).head;
  await w.c.baker.submit('record.spv', {
    recordId: 'spv-b-1',
    patient: w.id.bob,
    subject: S,
    category: 'clinical',
    resourceType: 'Condition',
    responsible: [w.id.baker],
    k: 1,
    prev,
    commitment: '11'.repeat(32),
    holder: 'hospitalB',
  });
  const { txId } = await w.c.bob.requestAccess('spv-b-1', 'treatment');
  await assert.rejects(w.c.bob.fetchSpv(txId), isCode('NOT_HOLDER'));

  const up = await w.c.alice.uploadSpv({
    recordId: 'spv-lab-4',
    patient: w.id.bob,
    resource: observation(S, 3.3),
  });
  await w.c.alice.submit('record.spv', {
    recordId: 'spv-lab-4',
    patient: w.id.bob,
    subject: up.subject,
    category: 'billing', // mislabelled: an insurer could read it
    resourceType: up.resourceType,
    responsible: [w.id.alice],
    k: 1,
    prev: (w.node.stateValue(`chain:spv:${w.id.bob}`) as { head: string }).head,
    commitment: up.commitment,
    holder: 'hospitalA',
  });
  await w.services.sync();
  assert.equal(await w.ehr.isErased('spv-lab-4'), true, 'the mislabelled upload was shredded');
  const r = await w.c.bob.requestAccess('spv-lab-4', 'treatment');
  await assert.rejects(w.c.bob.fetchSpv(r.txId), isCode('NOT_FOUND'));
});
