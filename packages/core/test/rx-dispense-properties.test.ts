/**
 * Property (issue 16): for any interleaving of dispense attempts — by the chosen pharmacy and
 * another one, of any quantity, with or without packs, with the real or an altered
 * prescription, reusing dispense ids, split into blocks of any size, with a cancellation or
 * the expiry falling anywhere — the dispensed total never exceeds the prescribed quantity and
 * a serial is never dispensed twice. Each attempt's outcome is also compared with a reference
 * model of the rules, so the contract can fail both ways (refusing what it should allow).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { SignedTx } from '../src/index.js';
import type { PackEntry } from '../src/contracts/supply/state.js';
import type { DispenseEntry, PrescriptionEntry } from '../src/contracts/pharmacy/state.js';
import { MemChain } from './fixtures.js';
import { GTIN, rxPayload, rxWorld, stockPharmacy1, type RxWorld } from './rx-world.js';

const SERIALS = Array.from({ length: 10 }, (_, i) => `S${i}`);
const UNITS_PER_PACK = 2;

type Op =
  | {
      kind: 'dispense';
      who: 'ph1' | 'ph2';
      qty: number;
      packs: number[];
      matchPacks: boolean;
      altered: boolean;
      id: number;
    }
  | { kind: 'cancel' }
  | { kind: 'expire' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.record({
      kind: fc.constant('dispense' as const),
      who: fc.constantFrom('ph1' as const, 'ph1' as const, 'ph1' as const, 'ph2' as const),
      qty: fc.integer({ min: 1, max: 9 }),
      packs: fc.uniqueArray(fc.integer({ min: 0, max: SERIALS.length - 1 }), { maxLength: 3 }),
      matchPacks: fc.boolean(),
      altered: fc.integer({ min: 0, max: 9 }).map((x) => x < 2),
      id: fc.integer({ min: 0, max: 7 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'cancel' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'expire' as const }) },
);

/** A copy of a chain in memory, to run each case from the same stocked state. */
function fork(w: RxWorld): RxWorld {
  const c = new MemChain(w.f);
  for (const [k, v] of w.c.state) c.state.set(k, v);
  for (const id of w.c.committed) c.committed.add(id);
  c.head = w.c.head;
  c.digest = w.c.digest;
  const f: RxWorld = { ...w, c };
  f.run = (...txs) => {
    f.t += 1000;
    return c.commit(txs, f.t);
  };
  f.state = <T>(key: string): T => c.state.get(key) as T;
  return f;
}

test('property: any interleaving of dispenses never exceeds the prescribed quantity nor dispenses a serial twice', async () => {
  const base = await rxWorld();
  stockPharmacy1(base, SERIALS);
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 0, max: 2 }),
      fc.array(opArb, { minLength: 1, maxLength: 24 }),
      fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 24, maxLength: 24 }),
      async (quantity, refills, ops, cuts) => {
        const w = fork(base);
        const rx = await rxPayload(w, 'rx-p', { quantity, refills, validMs: 40_000 });
        assert.deepEqual(w.run(w.tx(w.m.drA, 'rx.write', rx.payload)), ['OK']);
        const authorized = quantity * (1 + refills);
        const expiresAt = rx.payload.expiresAt as number;
        // reference model
        const model = { dispensed: 0, cancelled: false, ids: new Set<number>(), serials: new Set<number>() };
        const okDispenses: { id: string; qty: number; serials: string[] }[] = [];
        let i = 0;
        let cut = 0;
        while (i < ops.length) {
          const block = ops.slice(i, i + cuts[cut++ % cuts.length]!);
          i += block.length;
          const txs: SignedTx[] = [];
          const txOps: Op[] = [];
          const expect: (boolean | null)[] = [];
          let jump = false;
          for (const op of block) {
            if (op.kind === 'expire') {
              jump = true;
              continue;
            }
            if (op.kind === 'cancel') {
              txs.push(w.tx(w.m.drA, 'rx.cancel', { rxId: 'rx-p', reason: 'changed therapy' }));
              txOps.push(op);
              expect.push(null);
              continue;
            }
            const units = op.packs.length * UNITS_PER_PACK;
            const qty = op.matchPacks && op.packs.length > 0 ? units : op.qty;
            txs.push(
              w.tx(w.m[op.who], 'rx.dispense', {
                dispenseId: `d-${op.id}`,
                rxId: 'rx-p',
                quantity: qty,
                commitment: op.altered ? '0'.repeat(64) : rx.commitment,
                packs: op.packs.map((k) => ({ gtin: GTIN, serial: SERIALS[k]! })),
              }),
            );
            txOps.push({ ...op, qty });
            expect.push(false); // decided below, in block order, against the block's time
          }
          if (jump) w.t = Math.max(w.t, expiresAt + 1);
          const blockTime = w.t + 1000;
          // the model applies the block's transactions in order
          txOps.forEach((op, k) => {
            if (op.kind !== 'dispense') {
              if (model.dispensed < authorized) model.cancelled = true;
              return;
            }
            const ok =
              !model.cancelled &&
              blockTime < expiresAt &&
              op.who === 'ph1' &&
              !op.altered &&
              !model.ids.has(op.id) &&
              op.qty <= quantity &&
              model.dispensed + op.qty <= authorized &&
              op.packs.every((s) => !model.serials.has(s)) &&
              (op.packs.length === 0 || op.packs.length * UNITS_PER_PACK === op.qty);
            expect[k] = ok;
            if (ok) {
              model.dispensed += op.qty;
              model.ids.add(op.id);
              for (const s of op.packs) model.serials.add(s);
              okDispenses.push({ id: `d-${op.id}`, qty: op.qty, serials: op.packs.map((s) => SERIALS[s]!) });
            }
          });
          if (txs.length === 0) continue;
          const codes = w.run(...txs);
          codes.forEach((code, k) => {
            if (expect[k] !== null) assert.equal(code === 'OK', expect[k], `attempt ${k}: ${code}`);
          });
          // invariants on the ledger's own state, after every block
          const entry = w.state<PrescriptionEntry>('rx:rx-p');
          assert.ok(entry.dispensed <= authorized, `dispensed ${entry.dispensed} > ${authorized}`);
          assert.equal(entry.dispensed, model.dispensed);
          const sum = entry.dispenses.reduce(
            (n, id) => n + w.state<DispenseEntry>(`rx:dispense:${id}`).quantity,
            0,
          );
          assert.equal(sum, entry.dispensed);
          const seen = new Set<string>();
          for (const id of entry.dispenses)
            for (const p of w.state<DispenseEntry>(`rx:dispense:${id}`).packs) {
              assert.ok(!seen.has(p.serial), `serial ${p.serial} dispensed twice`);
              seen.add(p.serial);
              assert.equal(w.state<PackEntry>(`supply:pack:${GTIN}:${p.serial}`).dispensed?.dispenseId, id);
            }
          for (const s of SERIALS) {
            const pack = w.state<PackEntry>(`supply:pack:${GTIN}:${s}`);
            assert.equal(pack.status === 'dispensed', seen.has(s), `pack ${s} status ${pack.status}`);
          }
        }
        assert.equal(
          okDispenses.reduce((n, d) => n + d.qty, 0),
          model.dispensed,
        );
      },
    ),
    { numRuns: 60 },
  );
});
