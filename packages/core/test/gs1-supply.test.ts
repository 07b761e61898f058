/**
 * GS1 identifiers (General Specifications: GTIN mod-10 check digit; Digital Link URIs) and the
 * EPCIS 2.0 event shapes the supply contracts accept, plus the rules a real node cannot reach
 * quickly: a pack expired by block time, recalled lots and notices, on a chain in memory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isLedgerError } from '../src/index.js';
import {
  expiredFrom,
  gs1CheckDigit,
  isGtin,
  parseExpiry,
  parseLotUri,
  parsePackUri,
} from '../src/contracts/supply/gs1.js';
import { commissionEvent, parseEpcisEvent, shipEvent } from '../src/contracts/supply/epcis.js';
import type { RecallNotice } from '../src/contracts/supply/state.js';
import { recallEvent } from '../src/contracts/supply/epcis.js';
import { GTIN, LOT, rxPayload, rxWorld, stockPharmacy1 } from './rx-world.js';

const refused = (f: () => unknown, path: RegExp): void =>
  assert.throws(f, (e: unknown) => isLedgerError(e, 'INVALID_PAYLOAD') && path.test((e as Error).message));

test('gs1: check digits of published GTINs; any other last digit is refused', () => {
  // GS1's example GTIN-13 of the Digital Link standard, a UPC-A (GTIN-12) and an EAN-8
  for (const g of ['9506000134352', '09506000134352', '036000291452', '96385074']) assert.ok(isGtin(g), g);
  fc.assert(
    fc.property(fc.stringMatching(/^\d{13}$/), (body) => {
      const check = gs1CheckDigit(body);
      for (let d = 0; d < 10; d++) assert.equal(isGtin(body + d), d === check);
    }),
  );
  assert.ok(!isGtin('950600013435'), 'wrong length');
  assert.ok(!isGtin('95060001343X2'));
});

test('gs1: Digital Link URIs of packs and lots; expiry dates', () => {
  assert.deepEqual(parsePackUri(`https://id.gs1.org/01/${GTIN}/21/S-1.a_B`, 'p'), {
    gtin: GTIN,
    serial: 'S-1.a_B',
  });
  assert.deepEqual(parseLotUri(`https://id.gs1.org/01/${GTIN}/10/${LOT}`, 'p'), { gtin: GTIN, lot: LOT });
  refused(() => parsePackUri(`https://id.gs1.org/01/${GTIN}/10/${LOT}`, 'p'), /Digital Link/);
  refused(() => parsePackUri('https://id.gs1.org/01/09506000134353/21/S1', 'p'), /Digital Link/);
  refused(() => parsePackUri(`https://id.gs1.org/01/${GTIN}/21/has space`, 'p'), /Digital Link/);
  assert.equal(parseExpiry('2028-02-29', 'e'), '2028-02-29');
  refused(() => parseExpiry('2027-02-29', 'e'), /YYYY-MM-DD/);
  assert.equal(expiredFrom('2026-12-31'), Date.UTC(2027, 0, 1), 'good through the last day');
});

test('epcis: each step accepts only its shape (action, bizStep, disposition, parties, ilmd)', () => {
  const time = Date.UTC(2026, 5, 1);
  const ship = shipEvent({ time, packs: [{ gtin: GTIN, serial: 'S1' }], from: 'a', to: 'b' });
  const shape = {
    action: 'OBSERVE',
    bizStep: 'shipping',
    disposition: 'in_transit',
    objects: 'packs',
    source: true,
    destination: true,
  } as const;
  const p = parseEpcisEvent(ship, shape);
  assert.deepEqual([p.source, p.destination, p.packs[0]!.serial], ['a', 'b', 'S1']);
  refused(() => parseEpcisEvent({ ...ship, bizStep: 'receiving' }, shape), /bizStep: must be shipping/);
  refused(() => parseEpcisEvent({ ...ship, extra: 1 }, shape), /extra: unknown field/);
  refused(
    () =>
      parseEpcisEvent(
        { ...ship, epcList: [...(ship.epcList as string[]), (ship.epcList as string[])[0]!] },
        shape,
      ),
    /duplicate pack/,
  );
  refused(
    () =>
      parseEpcisEvent(
        { ...ship, sourceList: [{ type: 'possessing_party', source: 'urn:medledger:org:a' }] },
        shape,
      ),
    /owning_party/,
  );
  const c = commissionEvent({ time, gtin: GTIN, serials: ['S1'], lot: LOT, expiry: '2027-01-31' });
  refused(() => parseEpcisEvent(c, shape), /ilmd: unknown field/);
  const { ilmd: _ilmd, ...noIlmd } = c;
  refused(
    () =>
      parseEpcisEvent(
        { ...noIlmd, sourceList: ship.sourceList!, destinationList: ship.destinationList! },
        shape,
      ),
    /action: must be OBSERVE/,
  );
});

test('supply: block time decides expiry — an expired pack is not dispensed', async () => {
  const w = await rxWorld();
  stockPharmacy1(w, ['E1'], '2026-06-02');
  const rx = await rxPayload(w, 'rx-e', { quantity: 2, refills: 0 });
  assert.deepEqual(w.run(w.tx(w.m.drA, 'rx.write', rx.payload)), ['OK']);
  w.t = Date.UTC(2026, 5, 3); // the day after the pack's expiry
  const d = w.tx(w.m.ph1, 'rx.dispense', {
    dispenseId: 'd-e',
    rxId: 'rx-e',
    quantity: 2,
    commitment: rx.commitment,
    packs: [{ gtin: GTIN, serial: 'E1' }],
  });
  assert.deepEqual(w.run(d), ['PACK_EXPIRED']);
  const again = w.tx(w.m.ph1, 'rx.dispense', {
    dispenseId: 'd-e2',
    rxId: 'rx-e',
    quantity: 2,
    commitment: rx.commitment,
    packs: [],
  });
  assert.deepEqual(w.run(again), ['OK'], 'the prescription itself is still valid');
});

test('supply: a recall reaches holders and the pharmacies that dispensed; a second recall of the lot is refused', async () => {
  const w = await rxWorld();
  stockPharmacy1(w, ['A1', 'A2']);
  const rx = await rxPayload(w, 'rx-r', { quantity: 2, refills: 0 });
  assert.deepEqual(w.run(w.tx(w.m.drA, 'rx.write', rx.payload)), ['OK']);
  const d = w.tx(w.m.ph1, 'rx.dispense', {
    dispenseId: 'd-r',
    rxId: 'rx-r',
    quantity: 2,
    commitment: rx.commitment,
    packs: [{ gtin: GTIN, serial: 'A1' }],
  });
  assert.deepEqual(w.run(d), ['OK']);
  const recall = (by: typeof w.m.mfr) =>
    w.tx(by, 'supply.recall', {
      event: recallEvent({ time: w.t, gtin: GTIN, lot: LOT }),
      reason: 'sterility',
    });
  assert.deepEqual(w.run(recall(w.m.ph1)), ['UNAUTHORIZED']);
  assert.deepEqual(w.run(recall(w.m.officer)), ['OK'], 'a regulator may recall');
  assert.deepEqual(w.run(recall(w.m.mfr)), ['ALREADY_RECALLED']);
  const notices = w.state<RecallNotice[]>('supply:recalls:pharmacy1');
  assert.deepEqual(
    notices.map((n) => [n.lot, n.packs, n.as]),
    [[LOT, 1, 'holder']],
  );
  assert.equal(
    w.state<RecallNotice[]>('supply:recalls:pharmacy2'),
    undefined,
    'pharmacy 2 never held the lot',
  );
});
