/**
 * `medledger bench appends` on a small size: every grant of the one patient commits, the
 * patient's grant list holds them all, each window reports its rate; bad options are refused
 * before anything starts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benchAppends } from '../src/bench/appends.js';
import { runCli } from './helpers.js';

test(
  'bench appends: 1,000 grants of one patient in four windows all commit and all are in the grant list',
  { timeout: 120_000 },
  async () => {
    const r = await benchAppends({ grants: 1000, window: 250, log: () => {} });
    assert.equal(r.bench, 'appends');
    assert.equal(r.grantListLength, 1000);
    const windows = r.windows as { history: number; grantsPerSec: number }[];
    assert.deepEqual(
      windows.map((w) => w.history),
      [0, 250, 500, 750],
    );
    assert.ok(windows.every((w) => w.grantsPerSec > 0));
    assert.ok(Number.isFinite(r.timePerGrantGrowth), JSON.stringify(r));
  },
);

test('bench appends: options that do not make two whole windows are refused', async () => {
  const few = await runCli(['bench', 'appends', '--grants', '300', '--window', '250', '--json']);
  assert.equal(few.code, 1);
  assert.match(few.stderr, /--grants must be a multiple of --window, at least two windows/);
  const small = await runCli(['bench', 'appends', '--grants', '1000', '--window', '100', '--json']);
  assert.equal(small.code, 1);
  assert.match(small.stderr, /--window must be an integer >= 250/);
});
