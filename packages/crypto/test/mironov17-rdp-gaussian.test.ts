import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import type { RandomSource } from '../src/bytes.js';
import { gaussianEpsilon, gaussianNoiseMultiplier, gaussianSamples } from '../src/dp.js';

test('mironov17: the closed-form epsilon is the minimum over alpha of R·alpha/(2σ²) + ln(1/δ)/(alpha − 1)', () => {
  fc.assert(
    fc.property(
      fc.double({ min: 0.3, max: 100, noNaN: true }),
      fc.integer({ min: 1, max: 500 }),
      fc.double({ min: 1e-9, max: 1e-2, noNaN: true }),
      (sigma, steps, delta) => {
        const closed = gaussianEpsilon({ noiseMultiplier: sigma, steps, delta });
        let best = Infinity;
        for (let a = 1.0001; a < 1e5; a *= 1.001)
          best = Math.min(best, (steps * a) / (2 * sigma * sigma) + Math.log(1 / delta) / (a - 1));
        assert.ok(closed <= best * (1 + 1e-9), 'no alpha does better');
        assert.ok(best <= closed * 1.0001, 'and the grid gets there');
      },
    ),
    { numRuns: 50 },
  );
});

test('mironov17: the noise multiplier for a target epsilon gives back that epsilon; more noise, less epsilon', () => {
  fc.assert(
    fc.property(
      fc.double({ min: 0.05, max: 50, noNaN: true }),
      fc.integer({ min: 1, max: 1000 }),
      (eps, steps) => {
        const sigma = gaussianNoiseMultiplier({ epsilon: eps, steps, delta: 1e-5 });
        assert.ok(
          Math.abs(gaussianEpsilon({ noiseMultiplier: sigma, steps, delta: 1e-5 }) - eps) <
            1e-9 * Math.max(1, eps),
        );
        assert.ok(gaussianEpsilon({ noiseMultiplier: sigma * 1.1, steps, delta: 1e-5 }) < eps);
      },
    ),
  );
  // a known point: 30 releases at σ = 10, δ = 1e-5: 30/200 + sqrt(60·ln 1e5)/10
  assert.equal(
    gaussianEpsilon({ noiseMultiplier: 10, steps: 30, delta: 1e-5 }),
    0.15 + Math.sqrt(60 * Math.log(1e5)) / 10,
  );
  assert.equal(gaussianEpsilon({ noiseMultiplier: 0, steps: 30, delta: 1e-5 }), Infinity);
  assert.throws(() => gaussianEpsilon({ noiseMultiplier: 1, steps: 0, delta: 1e-5 }), RangeError);
  assert.throws(() => gaussianNoiseMultiplier({ epsilon: 0, steps: 1, delta: 1e-5 }), RangeError);
  assert.throws(() => gaussianNoiseMultiplier({ epsilon: 1, steps: 1, delta: 1 }), RangeError);
});

test('mironov17: Gaussian samples have mean 0 and the requested standard deviation (20,000 draws, seeded)', () => {
  let counter = 0;
  const random: RandomSource = (n) => {
    const out = new Uint8Array(n);
    for (let o = 0; o < n; o += 32)
      out.set(
        createHash('sha256')
          .update(`dp/${counter++}`)
          .digest()
          .subarray(0, n - o),
        o,
      );
    return out;
  };
  const xs = gaussianSamples(20_000, 3, random);
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
  assert.ok(Math.abs(mean) < 0.07, `mean ${mean}`); // 3.3 standard errors
  assert.ok(Math.abs(sd - 3) < 0.06, `sd ${sd}`);
  const within1 = xs.filter((x) => Math.abs(x) < 3).length / xs.length;
  assert.ok(Math.abs(within1 - 0.6827) < 0.012, `P(|x| < σ) = ${within1}`);
  assert.deepEqual(gaussianSamples(0, 1), []);
  assert.ok(gaussianSamples(5, 0).every((x) => x === 0));
  assert.throws(() => gaussianSamples(3, -1), RangeError);
});
