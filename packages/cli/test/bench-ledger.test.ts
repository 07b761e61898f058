/**
 * `medledger bench ledger --json`, the command behind the throughput figure, run end
 * to end on a small size: its last line is one JSON object whose fields are consistent with
 * each other (every transaction committed, the ratio is throughput over the verify limit,
 * CPU shares are within what two processes on this machine can use).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { runCli } from './helpers.js';

test(
  'bench ledger: the JSON line has every figure, and they agree with each other',
  { timeout: 120_000 },
  async () => {
    const r = await runCli([
      'bench',
      'ledger',
      '--txs',
      '600',
      '--batch',
      '100',
      '--in-flight',
      '2',
      '--warmup',
      '200',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const d = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, number> & {
      nodeThreadCores: { main: number; others: number[] };
    };
    assert.equal(d.bench as unknown, 'ledger');
    assert.equal(d.committed, 600);
    assert.equal(d.warmupTxs, 200);
    assert.equal(d.failed, 0);
    assert.ok(d.blocks! >= 3, 'enrollment, the warm-up and the timed transactions span blocks');
    for (const k of ['committedTxPerSec', 'verifyLimitTxPerSec', 'p50CommitMs', 'p99CommitMs', 'peakRssMb'])
      assert.ok(Number.isFinite(d[k]) && d[k]! > 0, `${k} = ${d[k]}`);
    assert.ok(d.p99CommitMs! >= d.p50CommitMs!);
    assert.ok(Math.abs(d.ratio! - d.committedTxPerSec! / d.verifyLimitTxPerSec!) < 0.001);
    assert.equal(d.verifyWorkers, availableParallelism());
    const cores = availableParallelism();
    assert.ok(d.nodeCpuCores! > 0 && d.nodeCpuCores! <= cores + 0.1, `nodeCpuCores ${d.nodeCpuCores}`);
    assert.ok(d.nodeThreadCores.main > 0 && d.nodeThreadCores.main <= 1.05, `main ${d.nodeThreadCores.main}`);
    const threads = d.nodeThreadCores.main + d.nodeThreadCores.others.reduce((a, b) => a + b, 0);
    assert.ok(threads <= d.nodeCpuCores! + 0.1, `threads ${threads} > process ${d.nodeCpuCores}`);
    assert.ok(d.clientCpuCores! > 0 && d.clientCpuCores! <= cores + 0.1);
  },
);
