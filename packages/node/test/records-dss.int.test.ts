/**
 * DSS through a real node over HTTP (issue 3 §2, §6, §7, §9): k-of-n co-signed records on the
 * per-patient chain, every API read logged in a node-signed access.log transaction, erasure
 * refused with the contract's explanation, researchers served de-identified records.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DSS_ERASURE_REFUSAL, txIdOf } from '@medledger/core';
import { MedledgerHttpError } from '@medledger/client';
import { condition, isCode, makeRecordsWorld, type RecordsWorld } from './helpers/records.js';

let w: RecordsWorld;
const S = 'ep-dss';

before(async () => {
  w = await makeRecordsWorld();
});
after(async () => {
  await w.cleanup();
});

test('dss: k of n responsible doctors co-sign; short quorums and outsiders are rejected; the chain links in order', async () => {
  const first = await w.c.alice.writeDss({
    recordId: 'dss-1',
    patient: w.id.bob,
    category: 'clinical',
    resource: condition(S),
  });
  const group = [w.id.baker, w.id.chen, w.id.gp];
  const plan = {
    recordId: 'dss-plan',
    patient: w.id.bob,
    category: 'clinical',
    resource: condition(S, 'surgical plan'),
    responsible: group,
  };
  const short = await w.c.baker.prepareDss({ ...plan, k: 2 });
  await assert.rejects(w.c.baker.submitCosigned(short, [w.c.baker.sign(short)]), isCode('QUORUM_NOT_MET'));
  const body = await w.c.baker.prepareDss({ ...plan, k: 2 }, [w.id.chen]);
  const second = await w.c.baker.submitCosigned(body, [w.c.chen.sign(body), w.c.baker.sign(body)]);
  await assert.rejects(
    w.c.outsider.writeDss({
      recordId: 'dss-x',
      patient: w.id.bob,
      category: 'clinical',
      resource: condition(S),
    }),
    isCode('NOT_RESPONSIBLE'),
  );
  const head = w.node.stateValue(`chain:dss:${w.id.bob}`) as { head: string; count: number };
  assert.deepEqual(head, { head: second.txId, count: 2 });
  const tx = w.node.getTxWithProof(second.txId)!.tx;
  assert.equal((tx.body.payload as { prev: string }).prev, first.txId);
  assert.equal(txIdOf(tx.body), second.txId);
});

test('dss: every read through the API appears in a node-signed access.log transaction on the ledger', async () => {
  await w.c.alice.writeDss({
    recordId: 'dss-read',
    patient: w.id.bob,
    category: 'clinical',
    resource: condition(S, 'read me'),
  });
  const readers = [w.c.baker, w.c.chen, w.c.claims, w.c.gp];
  const got = await Promise.all(readers.map((c) => c.readDss('dss-read', 'treatment')));
  assert.ok(got.every((g) => (g.resource.code as { text: string }).text === 'read me'));
  assert.equal(await w.services.accessLog.settle(), 'OK');
  const entries: { recordId: string; requester: string; channel: string }[] = [];
  const logTxs = new Set<number>();
  for (let h = 1; h <= w.node.head().height; h++) {
    const b = w.node.getBlock(h)!;
    b.block.txs.forEach((t, i) => {
      if (t.body.type !== 'access.log' || b.codes[i] !== 'OK') return;
      assert.deepEqual(t.body.signers, ['node:hospitalA']);
      logTxs.add(h);
      entries.push(...(t.body.payload as { entries: typeof entries }).entries);
    });
  }
  const reads = entries.filter((e) => e.recordId === 'dss-read' && e.channel === 'dss');
  assert.deepEqual(reads.map((e) => e.requester).sort(), readers.map((c) => c.memberId).sort());
  const log = await w.c.bob.accessLog();
  assert.equal(
    log.filter((e) => e.type === 'access.logged' && e.recordId === 'dss-read').length,
    readers.length,
  );
});

test('dss: erasure is refused with the explanation and nothing is submitted', async () => {
  await w.c.alice.writeDss({
    recordId: 'dss-keep',
    patient: w.id.bob,
    category: 'clinical',
    resource: condition(S),
  });
  await w.services.accessLog.settle();
  const height = w.node.head().height;
  await assert.rejects(
    w.c.bob.erase('dss-keep', 'GDPR Art. 17 request'),
    (e: unknown) =>
      e instanceof MedledgerHttpError &&
      e.status === 422 &&
      e.code === 'ERASURE_NOT_POSSIBLE' &&
      e.message === DSS_ERASURE_REFUSAL,
  );
  assert.equal(w.node.mempool.size, 0);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(w.node.head().height, height, 'no transaction was submitted');
});

test('dss: a researcher without a linkage grant is served a de-identified record', async () => {
  await w.c.alice.writeDss({
    recordId: 'dss-res',
    patient: w.id.bob,
    category: 'clinical',
    resource: condition(S, 'cohort'),
  });
  const r = await w.c.researcher.readDss('dss-res', 'research');
  assert.equal(r.deidentified, true);
  assert.equal(r.resource.subject, undefined);
  assert.equal(r.resource.recorder, undefined);
  assert.ok(!JSON.stringify(r.resource).includes(S));
  assert.ok(r.removed.includes('Condition.subject'));
  const doctor = await w.c.baker.readDss('dss-res', 'treatment');
  assert.equal(doctor.deidentified, false);
});
