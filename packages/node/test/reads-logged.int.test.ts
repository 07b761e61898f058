/**
 * Reads of patient data outside the record routes are on the ledger: a world-state value that
 * names a patient (`GET /v1/state/:key`) and the records of an episode (`GET /v1/records?subject=`)
 * are logged in the node's `access.log`, under the record or the patient, before the answer;
 * a state value that names no patient logs nothing. The patient sees them in their access log.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AccessLogEntry } from '@medledger/core';
import { condition, makeRecordsWorld, type RecordsWorld } from './helpers/records.js';

function entries(w: RecordsWorld): AccessLogEntry[] {
  const out: AccessLogEntry[] = [];
  for (let h = 1; h <= w.node.head().height; h++) {
    const b = w.node.getBlock(h)!;
    b.block.txs.forEach((t, i) => {
      if (t.body.type === 'access.log' && b.codes[i] === 'OK')
        out.push(...(t.body.payload as unknown as { entries: AccessLogEntry[] }).entries);
    });
  }
  return out;
}

const strip = (e: AccessLogEntry): Partial<AccessLogEntry> => {
  const { at: _at, ...rest } = e;
  return rest;
};

test('audit: state values that name a patient, and the records of an episode, are logged on the ledger as reads', async () => {
  const w = await makeRecordsWorld();
  try {
    await w.c.alice.writeDss({
      recordId: 'rl-1',
      patient: w.id.bob,
      category: 'clinical',
      resource: condition('ep-reads-logged'),
    });
    await w.c.bob.grantConsent({
      grantId: 'rl-grant-1',
      grantee: { kind: 'member', memberId: w.id.chen },
      scope: { categories: ['lab'] },
      purposes: ['treatment'],
      notBefore: 0,
      notAfter: Date.now() + 3_600_000,
    });
    await w.services.accessLog.settle();
    const before = entries(w).length;

    // a patient-keyed value, a record's meta, a value naming no patient
    const careteam = `careteam:${w.id.bob}`;
    assert.ok(Array.isArray((await w.c.baker.http.getState(careteam)).value));
    await w.c.chen.http.getState('record:rl-1');
    // an item of the patient's grant list (an append-only list: `grants:<p>#<i>`)
    const item = `grants:${w.id.bob}#0`;
    assert.equal((await w.c.chen.http.getState(item)).value, 'rl-grant-1');
    await w.c.chen.http.getState(`member:${w.id.baker}`);
    await w.c.chen.http.getState(`pubkeys:${w.id.bob}`).catch(() => undefined); // public keys: not logged
    // the records of an episode
    const listed = await w.c.chen.recordsBySubject('ep-reads-logged');
    assert.deepEqual(
      listed.map((r) => r.recordId),
      ['rl-1'],
    );
    assert.equal(await w.services.accessLog.settle(), 'OK');

    const logged = entries(w).slice(before).map(strip);
    assert.deepEqual(
      logged,
      [
        {
          patient: w.id.bob,
          ref: careteam,
          requester: w.id.baker,
          purpose: 'unspecified',
          channel: 'state',
          outcome: 'allowed',
        },
        {
          recordId: 'rl-1',
          requester: w.id.chen,
          purpose: 'unspecified',
          channel: 'state',
          outcome: 'allowed',
        },
        {
          patient: w.id.bob,
          ref: `grants:${w.id.bob}`,
          requester: w.id.chen,
          purpose: 'unspecified',
          channel: 'state',
          outcome: 'allowed',
        },
        {
          recordId: 'rl-1',
          requester: w.id.chen,
          purpose: 'unspecified',
          channel: 'index',
          outcome: 'allowed',
        },
      ],
      'four reads of the patient’s data logged; the doctor’s member entry is nobody’s patient data',
    );
    // the patient sees who read his care team
    const log = await w.c.bob.accessLog();
    assert.ok(
      log.some((e) => e.type === 'access.logged' && e.channel === 'state' && e.requester === w.id.baker),
      'the patient’s access log shows the state read',
    );
  } finally {
    await w.cleanup();
  }
});
