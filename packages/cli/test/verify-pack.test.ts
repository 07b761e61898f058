/**
 * `medledger verify-pack GTIN SERIAL --url` against a node with packs on it: the answer for an
 * authentic pack in custody, a recalled one, one never commissioned, the JSON form, and the
 * exit codes (0 fit to dispense, 1 not, 2 usage).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { approveProduct, commissionTx, recallTx, registerProductTx, shipTx } from '@medledger/client';
import { openDemoConsortium, type DemoConsortium } from '../src/commands/demoConsortium.js';
import { DEMO_GTIN, DEMO_LOT, DEMO_PRODUCT, packsOf } from '../src/commands/supply.js';
import { runCli } from './helpers.js';

let w: DemoConsortium;
before(async () => {
  w = await openDemoConsortium();
  const officer = { memberId: w.id('inspector'), privateKey: w.member('inspector').keys.privateKey };
  const approval = approveProduct(w.node.chainId, officer, {
    ...DEMO_PRODUCT,
    manufacturer: 'pharma',
    number: 'EU/1/26/001',
    issuedAt: Date.now(),
  });
  for (const tx of [
    registerProductTx(w.ctx('maker'), DEMO_PRODUCT, approval),
    commissionTx(w.ctx('maker'), { gtin: DEMO_GTIN, serials: ['S1'], lot: DEMO_LOT, expiry: '2031-06-30' }),
    commissionTx(w.ctx('maker'), { gtin: DEMO_GTIN, serials: ['R1'], lot: 'LOT-R', expiry: '2031-06-30' }),
    shipTx(w.ctx('maker'), { packs: packsOf('S1'), from: 'pharma', to: 'wholesale' }),
    recallTx(w.ctx('maker'), { gtin: DEMO_GTIN, lot: 'LOT-R', reason: 'label misprint' }),
  ])
    assert.equal((await w.commit(tx)).code, 'OK', tx.body.type);
});
after(async () => {
  await w.close();
  w.remove();
});

test('verify-pack: an authentic pack in transit is fit to dispense (exit 0), with its custody path', async () => {
  const r = await runCli(['verify-pack', DEMO_GTIN, 'S1', '--url', w.url]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /AUTHENTIC/);
  assert.match(r.stdout, /custody {3}commissioning pharma, shipping pharma → wholesale/);
  assert.match(r.stdout, /verdict: fit to dispense/);
});

test('verify-pack: a recalled pack and a pack never commissioned are not fit (exit 1), and say why', async () => {
  const recalled = await runCli(['verify-pack', DEMO_GTIN, 'R1', '--url', w.url]);
  assert.equal(recalled.code, 1);
  assert.match(recalled.stdout, /recalled {2}yes, .*: label misprint/);
  assert.match(recalled.stdout, /NOT fit to dispense \(recalled\)/);
  const fake = await runCli(['verify-pack', DEMO_GTIN, 'X9', '--url', w.url]);
  assert.equal(fake.code, 1);
  assert.match(fake.stdout, /NOT AUTHENTIC/);
});

test('verify-pack: --json prints one JSON object; a malformed GTIN or a missing serial are refused', async () => {
  const j = await runCli(['verify-pack', DEMO_GTIN, 'S1', '--url', w.url, '--json']);
  const report = JSON.parse(j.stdout.trim().split('\n').at(-1)!) as {
    authentic: boolean;
    holder: string;
    status: string;
  };
  assert.deepEqual([report.authentic, report.holder, report.status], [true, 'pharma', 'in_transit']);
  const bad = await runCli(['verify-pack', '09506000134353', 'S1', '--url', w.url]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /check digit/);
  const usage = await runCli(['verify-pack', DEMO_GTIN]);
  assert.equal(usage.code, 2);
});
