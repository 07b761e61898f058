/**
 * Integration: a study with differential privacy through a real node. Each hospital sends
 * −lr · (its clipped per-record gradients + Gaussian noise); the test recomputes the clipped
 * gradients of the records each hospital committed to and checks what is left — the noise —
 * has the standard deviation the study states (noiseMultiplier · clip / sqrt(t) per hospital).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeFixedPoint, gaussianEpsilon } from '@medledger/crypto';
import { getModel } from '@medledger/core/contracts/fl';
import { clippedGradientSum } from '../src/fl/index.js';
import { HOSPITALS, flTestWorld, type FlTestWorld } from './helpers/fl.js';

let w: FlTestWorld;
before(async () => {
  w = await flTestWorld({ perHospital: 10 });
});
after(async () => w?.cleanup());

test('behavior: with differential privacy each update is clipped gradients plus noise of the stated size', async (t) => {
  const dp = { clip: 1, noiseMultiplier: 4, delta: 1e-5 };
  const lr = 2;
  const l2 = 0.001;
  const spec = w.demo.spec({ studyId: 'dp', dp, hyper: { rounds: 2, localEpochs: 1, learningRate: lr, l2 } });
  assert.equal((await w.demo.openStudy(spec)).code, 'OK');
  const study = await w.finished('dp');
  assert.equal(study.status, 'done', study.failure);
  const byId = new Map(HOSPITALS.flatMap((h) => w.rows.get(h)!).map((r) => [`wdbc-${r.index}`, r]));
  const noise: number[] = [];
  for (const r of [1, 2]) {
    const model = getModel(w.state, 'dp', r - 1)!;
    for (const h of HOSPITALS) {
      const o = w.demo.participants.get(h)!.opening('dp', r)!;
      const rows = o.recordIds.map((id) => byId.get(id)!);
      const sum = clippedGradientSum(model, rows, dp.clip);
      const sent = decodeFixedPoint(o.input);
      sent.forEach((v, j) => {
        const penalty = j < 30 ? rows.length * l2 * model.weights[j]! : 0;
        noise.push(-v / lr - sum[j]! - penalty);
      });
    }
  }
  const sd = Math.sqrt(noise.reduce((a, x) => a + x * x, 0) / noise.length);
  const want = (dp.noiseMultiplier * dp.clip) / Math.sqrt(study.threshold);
  t.diagnostic(`noise sd ${sd.toFixed(3)} over ${noise.length} coordinates; stated ${want.toFixed(3)}`);
  assert.ok(Math.abs(sd - want) < 0.2 * want, `noise sd ${sd}, want ${want}`);
  const eps = gaussianEpsilon({ noiseMultiplier: dp.noiseMultiplier, steps: 2, delta: dp.delta });
  t.diagnostic(`(ε, δ) = (${eps.toFixed(2)}, ${dp.delta}) for the 2 training rounds`);
  const v = await w.client().verifyStudy('dp');
  assert.equal(v.ok, true, v.reason);
});
