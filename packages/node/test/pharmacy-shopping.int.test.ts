/**
 * Doctor shopping through a real node (issue 16 §1): overlapping controlled prescriptions for
 * one patient from different prescribers, of different organizations, within the window
 * raise an alert to the regulator; the patient is linked only by the regulator's pseudonym,
 * which appears nowhere on the ledger, nor does the patient's member id next to a
 * prescription; other pharmacies and prescribers cannot open the alert; a replay of the
 * ledger raises nothing twice; prescriptions outside the window, cancelled first or from the
 * same prescriber raise nothing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { regulatorPseudonym } from '@medledger/crypto/rxlink';
import { cancelPrescriptionTx, openAlert } from '@medledger/client';
import { RegulatorService } from '../src/pharmacy/regulatorService.js';
import { httpCode, makeRxWorld, prescribe, sleep, until, type RxWorld } from './helpers/rx.js';

let w: RxWorld;
before(async () => {
  w = await makeRxWorld();
});
after(async () => {
  await w.cleanup();
});

const alertsOnLedger = async (): Promise<number> => {
  await w.regulator.idle();
  return w.regulator.alerts().length;
};

test('shopping: two prescribers of two organizations, overlapping controlled prescriptions → one alert the regulator alone opens', async () => {
  assert.equal(
    (await prescribe(w, { rxId: 'c-1', by: 'drA', quantity: 20, controlled: true })).receipt.code,
    'OK',
  );
  assert.equal(await alertsOnLedger(), 0, 'one controlled prescription is no alert');
  assert.equal(
    (await prescribe(w, { rxId: 'c-2', by: 'drB', quantity: 30, controlled: true })).receipt.code,
    'OK',
  );
  await until(async () => (await alertsOnLedger()) === 1, 'the alert');
  const { alerts } = await w.pharmacy('officer').alerts();
  assert.equal(alerts.length, 1);
  const alert = alerts[0]!;
  assert.equal(alert.count, 2);
  const content = await openAlert(alert, {
    id: w.id('officer'),
    privateKey: w.member('officer').encryption.privateKey,
  });
  assert.deepEqual(content.prescriptions.map((p) => p.rxId).sort(), ['c-1', 'c-2']);
  assert.deepEqual(content.prescriptions.map((p) => p.prescriberOrg).sort(), ['clinic', 'hospital']);
  assert.equal(content.pseudonym, regulatorPseudonym(w.linkKey, w.id('pat')));
  // The pharmacies and the prescribers learn nothing: they cannot open it, nor list alerts.
  for (const l of ['ph1', 'drB'] as const)
    await assert.rejects(
      openAlert(alert, { id: w.id(l), privateKey: w.member(l).encryption.privateKey }),
      /not a receiver/,
    );
  await assert.rejects(w.pharmacy('ph1').alerts(), httpCode('FORBIDDEN'));
  await assert.rejects(w.pharmacy('drB').alerts(), httpCode('FORBIDDEN'));
});

test('shopping: the ledger holds neither the pseudonym nor, next to a prescription, the patient id', async () => {
  const pseudonym = regulatorPseudonym(w.linkKey, w.id('pat'));
  const patient = w.id('pat');
  for (let h = 1; h <= w.node.head().height; h++) {
    for (const tx of w.node.getBlock(h)!.block.txs) {
      const text = JSON.stringify(tx);
      assert.ok(!text.includes(pseudonym), `the pseudonym is in block ${h}`);
      if (tx.body.type.startsWith('rx.'))
        assert.ok(!text.includes(patient), `${tx.body.type} names the patient`);
    }
  }
  for (const id of ['c-1', 'c-2'])
    assert.ok(!JSON.stringify(w.node.stateValue(`rx:${id}`)).includes(patient));
});

test('shopping: the same prescriber twice, or a prescription that is not controlled, raises nothing', async () => {
  const raised: string[] = [];
  const on = (a: { alertId: string }): number => raised.push(a.alertId);
  w.regulator.on('alert', on);
  await prescribe(w, { rxId: 'c-3', by: 'drA', patient: 'pat2', quantity: 10, controlled: true });
  await prescribe(w, { rxId: 'c-4', by: 'drA', patient: 'pat2', quantity: 10, controlled: true });
  await prescribe(w, { rxId: 'c-5', by: 'drB', patient: 'pat2', quantity: 10 });
  await w.regulator.idle(); // every committed prescription handled, any alert submitted
  w.regulator.off('alert', on);
  assert.deepEqual(raised, []);
});

test('shopping: a regulator node restarting replays the ledger and raises nothing twice', async () => {
  const raised: string[] = [];
  const again = new RegulatorService({
    node: w.node,
    org: 'regulator',
    nodeKey: w.consortium.orgs.get('regulator')!.node.privateKey,
    encryption: w.nodeEnc.regulator,
    linkKey: w.linkKey,
    officers: [w.id('officer')],
  });
  again.on('alert', (a: { alertId: string }) => raised.push(a.alertId));
  again.start();
  await again.idle();
  again.close();
  assert.deepEqual(raised, []);
  assert.equal(again.alerts().length, 1, 'it knows the alert already on the ledger');
});

test('shopping: outside the window, or after a cancellation, no alert; inside it, one', async () => {
  const v = await makeRxWorld({ windowMs: 2000 });
  try {
    const raised: string[] = [];
    v.regulator.on('alert', (a: { alertId: string }) => raised.push(a.alertId));
    const count = async (): Promise<number> => {
      await v.regulator.idle(); // every committed prescription handled, any alert submitted
      return raised.length;
    };
    await prescribe(v, { rxId: 'w-1', by: 'drA', quantity: 10, controlled: true });
    await sleep(2300);
    await prescribe(v, { rxId: 'w-2', by: 'drB', quantity: 10, controlled: true });
    assert.equal(await count(), 0, 'written more than the window apart');
    assert.equal((await v.commit(cancelPrescriptionTx(v.ctx('drB'), 'w-2', 'stopped'))).code, 'OK');
    await prescribe(v, { rxId: 'w-3', by: 'drA2', quantity: 10, controlled: true });
    assert.equal(await count(), 0, 'w-2 was cancelled before w-3 was written; w-1 is outside the window');
    await prescribe(v, { rxId: 'w-4', by: 'drB', quantity: 10, controlled: true });
    assert.equal(await count(), 1);
    await until(() => v.regulator.alerts().length === 1, 'the alert on the ledger');
    const content = await openAlert(v.regulator.alerts()[0]!, {
      id: v.id('officer'),
      privateKey: v.member('officer').encryption.privateKey,
    });
    assert.deepEqual(content.prescriptions.map((p) => p.rxId).sort(), ['w-3', 'w-4']);
  } finally {
    await v.cleanup();
  }
});
