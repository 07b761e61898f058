/**
 * Drug track and trace through a real node over HTTP (issue 16 §2): a product registered with
 * the regulator's approval; serialized packs commissioned; EPCIS-shaped ship and receive events
 * signed by the organization in custody; a dispense that links a pack to a prescription; the
 * verification endpoint (authentic, custody path, recalled / expired / dispensed, flags);
 * refused and flagged: a duplicated serial, a shipment by a non-holder, a dispense of a
 * recalled lot; a recall by lot that reaches every holder.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  approveProduct,
  commissionTx,
  dispenseTx,
  receiveTx,
  recallTx,
  registerProductTx,
  shipTx,
  type PackRef,
} from '@medledger/client';
import { verifyPack } from '../src/supply/verifyPack.js';
import { httpCode, makeRxWorld, prescribe, type Label, type RxWorld } from './helpers/rx.js';

const GTIN = '09506000134352';
const LOT = 'L2031A';
const product = {
  gtin: GTIN,
  name: 'Amoxicillin 250 mg, 20 capsules',
  code: {
    system: 'http://www.nlm.nih.gov/research/umls/rxnorm',
    code: '308182',
    display: 'amoxicillin 250 MG',
  },
  unitsPerPack: 20,
  controlled: false,
};
const packs = (...serials: string[]): PackRef[] => serials.map((serial) => ({ gtin: GTIN, serial }));

let w: RxWorld;
let code: (tx: ReturnType<typeof shipTx>) => Promise<string>;
before(async () => {
  w = await makeRxWorld();
  code = async (tx) => (await w.commit(tx)).code;
});
after(async () => {
  await w.cleanup();
});

test('supply: a product needs a regulator officer’s approval of exactly this product and manufacturer', async () => {
  const officer = { memberId: w.id('officer'), privateKey: w.member('officer').keys.privateKey };
  const approval = approveProduct(w.node.chainId, officer, {
    ...product,
    manufacturer: 'pharma',
    number: 'EU/1/26/001',
    issuedAt: Date.now(),
  });
  const selfSigned = approveProduct(
    w.node.chainId,
    { memberId: w.id('officer'), privateKey: w.member('mfr').keys.privateKey },
    {
      ...product,
      manufacturer: 'pharma',
      number: 'EU/1/26/001',
      issuedAt: approval.issuedAt,
    },
  );
  assert.equal(await code(registerProductTx(w.ctx('mfr'), product, selfSigned)), 'APPROVAL_INVALID');
  assert.equal(
    await code(registerProductTx(w.ctx('mfr'), { ...product, unitsPerPack: 40 }, approval)),
    'APPROVAL_INVALID',
    'the approval covers 20 per pack',
  );
  assert.equal(await code(registerProductTx(w.ctx('dist'), product, approval)), 'NOT_MANUFACTURER');
  assert.equal(await code(registerProductTx(w.ctx('mfr'), product, approval)), 'OK');
});

test('supply: a duplicated serial is refused as a counterfeit and flagged on the genuine pack', async () => {
  const c = commissionTx(w.ctx('mfr'), {
    gtin: GTIN,
    serials: ['S1', 'S2', 'S3', 'S4', 'S5', 'S6'],
    lot: LOT,
    expiry: '2031-06-30',
  });
  assert.equal(await code(c), 'OK');
  const dup = commissionTx(w.ctx('mfr'), {
    gtin: GTIN,
    serials: ['S7', 'S3'],
    lot: LOT,
    expiry: '2031-06-30',
  });
  assert.equal(await code(dup), 'DUPLICATE_SERIAL');
  const s3 = await w.supplyApi().verifyPack(GTIN, 'S3');
  assert.equal(s3.authentic, true);
  assert.deepEqual(
    s3.flags.map((f) => [f.code, f.org]),
    [['DUPLICATE_SERIAL', 'pharma']],
  );
  const s7 = await w.supplyApi().verifyPack(GTIN, 'S7');
  assert.deepEqual(
    [s7.authentic, s7.ok, s7.path.length, s7.flags.length],
    [false, false, 0, 0],
    'S7 was never commissioned',
  );
});

test('supply: only the organization in custody ships; the consignee alone receives; the custody path is complete', async () => {
  assert.equal(
    await code(shipTx(w.ctx('dist'), { packs: packs('S5'), from: 'wholesale', to: 'pharmacy1' })),
    'NOT_HOLDER',
  );
  assert.equal(
    await code(shipTx(w.ctx('dist'), { packs: packs('S5'), from: 'pharma', to: 'pharmacy1' })),
    'NOT_HOLDER',
  );
  assert.deepEqual(
    (await w.supplyApi().verifyPack(GTIN, 'S5')).flags.map((f) => [f.code, f.org]),
    [
      ['NOT_HOLDER', 'wholesale'],
      ['NOT_HOLDER', 'wholesale'],
    ],
  );
  assert.equal(
    await code(
      shipTx(w.ctx('mfr'), { packs: packs('S1', 'S2', 'S3', 'S4'), from: 'pharma', to: 'wholesale' }),
    ),
    'OK',
  );
  assert.equal(await code(receiveTx(w.ctx('ph1'), { packs: packs('S1'), to: 'pharmacy1' })), 'NOT_CONSIGNEE');
  assert.equal(
    await code(receiveTx(w.ctx('dist'), { packs: packs('S1', 'S2', 'S3', 'S4'), to: 'wholesale' })),
    'OK',
  );
  assert.equal(
    await code(shipTx(w.ctx('dist'), { packs: packs('S1', 'S2'), from: 'wholesale', to: 'pharmacy1' })),
    'OK',
  );
  assert.equal(
    await code(shipTx(w.ctx('dist'), { packs: packs('S3'), from: 'wholesale', to: 'pharmacy2' })),
    'OK',
  );
  assert.equal(await code(receiveTx(w.ctx('ph1'), { packs: packs('S1', 'S2'), to: 'pharmacy1' })), 'OK');
  assert.equal(await code(receiveTx(w.ctx('ph2'), { packs: packs('S3'), to: 'pharmacy2' })), 'OK');
  const s1 = await w.supplyApi().verifyPack(GTIN, 'S1');
  assert.equal(s1.ok, true);
  assert.deepEqual(
    s1.path.map((s) => `${s.bizStep}:${s.org}${s.to ? `>${s.to}` : ''}`),
    [
      'commissioning:pharma',
      'shipping:pharma>wholesale',
      'receiving:wholesale',
      'shipping:wholesale>pharmacy1',
      'receiving:pharmacy1',
    ],
  );
  assert.deepEqual(
    [s1.holder, s1.lot, s1.expiry, s1.product?.approval],
    ['pharmacy1', LOT, '2031-06-30', 'EU/1/26/001'],
  );
});

test('supply: a dispense links a pack to a prescription, once', async () => {
  const rx = await prescribe(w, { rxId: 'rx-pack', by: 'drA', quantity: 20, refills: 1 });
  const d = (id: string, serial: string) =>
    w.pharmacy('ph1').dispense(
      dispenseTx(w.ctx('ph1'), {
        dispenseId: id,
        rxId: 'rx-pack',
        request: rx.request,
        salt: rx.salt,
        quantity: 20,
        packs: packs(serial),
      }),
    );
  const first = await d('pk-1', 'S1');
  assert.equal(first.receipt.code, 'OK');
  assert.deepEqual(
    (first.resource!.identifier as { value: string }[])[0]!.value,
    `https://id.gs1.org/01/${GTIN}/21/S1`,
  );
  assert.equal((await d('pk-2', 'S1')).receipt.code, 'PACK_DISPENSED');
  const s1 = await w.supplyApi().verifyPack(GTIN, 'S1');
  assert.deepEqual(
    [s1.ok, s1.dispensed?.pharmacy, s1.path.at(-1)?.bizStep],
    [false, 'pharmacy1', 'dispensing'],
  );
  assert.equal((await d('pk-3', 'S3')).receipt.code, 'NOT_HOLDER', 'S3 is in pharmacy 2');
});

test('supply: a recall by lot reaches every holder; a recalled pack is not dispensed, and goes back only to its maker', async () => {
  assert.equal(await code(recallTx(w.ctx('dist'), { gtin: GTIN, lot: LOT, reason: 'x' })), 'UNAUTHORIZED');
  assert.equal(
    await code(
      recallTx(w.ctx('mfr'), { gtin: GTIN, lot: LOT, reason: 'contamination found in batch testing' }),
    ),
    'OK',
  );
  const expect: Record<string, [Label, number, string]> = {
    pharma: ['mfr', 2, 'holder'], // S5, S6
    wholesale: ['dist', 1, 'holder'], // S4
    pharmacy1: ['ph1', 1, 'holder'], // S2 (S1 was dispensed there too)
    pharmacy2: ['ph2', 1, 'holder'], // S3
  };
  for (const [org, [label, n, as]] of Object.entries(expect)) {
    const { recalls } = await w.supplyApi(label).recalls(org);
    assert.deepEqual(
      recalls.map((r) => [r.lot, r.packs, r.as]),
      [[LOT, n, as]],
      org,
    );
  }
  await assert.rejects(w.supplyApi('ph1').recalls('wholesale'), httpCode('FORBIDDEN'));
  const rx = await prescribe(w, { rxId: 'rx-recalled', by: 'drA', quantity: 20 });
  const r = await w.pharmacy('ph1').dispense(
    dispenseTx(w.ctx('ph1'), {
      dispenseId: 'rc-1',
      rxId: 'rx-recalled',
      request: rx.request,
      salt: rx.salt,
      quantity: 20,
      packs: packs('S2'),
    }),
  );
  assert.equal(r.receipt.code, 'PACK_RECALLED');
  const s2 = await w.supplyApi().verifyPack(GTIN, 'S2');
  assert.equal(s2.ok, false);
  assert.equal(s2.recalled?.reason, 'contamination found in batch testing');
  assert.deepEqual(
    s2.flags.map((f) => [f.code, f.org, f.type]),
    [['PACK_RECALLED', 'pharmacy1', 'rx.dispense']],
  );
  assert.equal(
    await code(shipTx(w.ctx('dist'), { packs: packs('S4'), from: 'wholesale', to: 'pharmacy1' })),
    'PACK_RECALLED',
  );
  assert.equal(
    await code(shipTx(w.ctx('dist'), { packs: packs('S4'), from: 'wholesale', to: 'pharma' })),
    'OK',
  );
});

test('supply: verification answers expired at the clock, and refuses malformed identifiers', async () => {
  await w.supply.idle();
  const later = verifyPack(w.node, w.supply, GTIN, 'S6', Date.UTC(2031, 6, 1));
  assert.deepEqual([later.authentic, later.expired, later.ok], [true, true, false]);
  const before = verifyPack(w.node, w.supply, GTIN, 'S6', Date.UTC(2031, 5, 30, 23, 59));
  assert.equal(before.expired, false, 'still good on its expiry date');
  await assert.rejects(w.supplyApi().verifyPack('09506000134353', 'S1'), httpCode('BAD_INPUT'));
  await assert.rejects(w.supplyApi().verifyPack(GTIN, 'bad serial!'), httpCode('BAD_INPUT'));
});
