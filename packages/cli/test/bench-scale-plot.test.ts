/**
 * The growth plot of `bench scale`: Vega-Lite renders one panel per figure, with every point,
 * to SVG; the growth exponent says how a figure grows against the ledger's size.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { growthExponent, scalePlotSvg } from '../src/bench/scalePlot.js';
import { patientsFor } from '../src/bench/scale.js';

test('scale plot: an SVG with a panel per figure and a label per point', async () => {
  const points = [
    { txs: 10_000, figure: 'commit rate (tx/s)', value: 4000 },
    { txs: 100_000, figure: 'commit rate (tx/s)', value: 3900 },
    { txs: 1_000_000, figure: 'commit rate (tx/s)', value: 3800 },
    { txs: 10_000, figure: 'store (bytes)', value: 2e7 },
    { txs: 100_000, figure: 'store (bytes)', value: 2e8 },
    { txs: 1_000_000, figure: 'store (bytes)', value: 2e9 },
  ];
  const svg = await scalePlotSvg(points, 'test plot');
  assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(svg, /<\/svg>$/);
  for (const t of ['test plot', 'commit rate (tx/s)', 'store (bytes)', 'ledger size (transactions)'])
    assert.ok(svg.includes(t), `the plot shows "${t}"`);
  // Each point's value is written beside it (3 significant digits, SI prefix).
  for (const label of ['4k', '3.9k', '3.8k', '20M', '200M', '2G'])
    assert.ok(svg.includes(`>${label}<`), label);
});

test('scale plot: the growth exponent is 1 for a figure that grows as the ledger, 0 for a flat one, 2 for a quadratic one', () => {
  const a = { txs: 10_000, value: 5 };
  assert.equal(growthExponent(a, { txs: 1_000_000, value: 500 }), 1);
  assert.equal(growthExponent(a, { txs: 1_000_000, value: 5 }), 0);
  assert.ok(Math.abs(growthExponent(a, { txs: 1_000_000, value: 50_000 }) - 2) < 1e-12);
  assert.ok(Number.isNaN(growthExponent(a, { txs: 10_000, value: 7 })), 'one size: no exponent');
  assert.ok(Number.isNaN(growthExponent(a, { txs: 1_000_000, value: 0 })), 'no value: no exponent');
});

test('bench scale: one patient per 100 transactions, between 10 and 10,000', () => {
  assert.equal(patientsFor(10_000), 100);
  assert.equal(patientsFor(1_000_000), 10_000);
  assert.equal(patientsFor(5_000_000), 10_000);
  assert.equal(patientsFor(500), 10);
});
