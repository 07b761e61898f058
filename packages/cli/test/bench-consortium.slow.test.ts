/**
 * `medledger bench consortium --json`, the command behind the consortium figures, run
 * end to end on a small size against real etcd members and node processes: its last line is
 * one JSON object whose fields agree with each other (every transaction committed on every
 * node, the cutter's node killed and another elected, every node on one head after the killed
 * one caught up, the ratio computed from the figures beside it), and no etcd or node process
 * of the run outlives the command.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { runCli, tempDir } from './helpers.js';

/** Processes whose command line mentions `path` (Linux /proc). */
function processesUnder(path: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(path)) out.push(`${pid}: ${cmd}`);
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

test(
  'bench consortium: the JSON line has every figure, the cutter is replaced, every node ends on one head',
  { timeout: 240_000 },
  async () => {
    const tmp = tempDir('medledger-bench-consortium-test-');
    // The benchmark puts its etcd members' and nodes' directories under TMPDIR.
    const r = await runCli(
      [
        'bench',
        'consortium',
        '--nodes',
        '3',
        '--txs',
        '1000',
        '--failover-txs',
        '1000',
        '--warmup',
        '200',
        '--batch',
        '100',
        '--in-flight',
        '3',
        '--json',
      ],
      { TMPDIR: tmp },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(processesUnder(tmp), [], 'no etcd or node process is left running');
    const d = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, number> & {
      failover: Record<string, number | string | null>;
      peakRssMb: Record<string, number>;
      sameHeadAllNodes: boolean;
      nodeCpuCores: Record<string, number>;
    };
    assert.equal(d.bench as unknown, 'consortium');
    assert.equal(d.nodes, 3);
    assert.equal(d.committed, 1000);
    assert.equal(d.failed, 0);
    assert.equal(d.failover.committed, 1000);
    assert.equal(d.failover.failed, 0);
    for (const k of [
      'committedTxPerSec',
      'verifyLimitTxPerSec',
      'p50CommitMs',
      'p99CommitMs',
      'failoverStallMs',
      'ratio',
      'blocks',
    ])
      assert.ok(Number.isFinite(d[k]) && d[k]! > 0, `${k} = ${d[k]}`);
    assert.ok(d.p99CommitMs! >= d.p50CommitMs!);
    assert.ok(Math.abs(d.ratio! - (d.committedTxPerSec! * 3) / d.verifyLimitTxPerSec!) < 0.002);
    const orgs = ['hospitalA', 'hospitalB', 'gpclinic'];
    assert.ok(orgs.includes(d.failover.killedOrg as string), `killed ${d.failover.killedOrg}`);
    assert.ok(orgs.includes(d.failover.newCutter as string), `new cutter ${d.failover.newCutter}`);
    assert.notEqual(d.failover.newCutter, d.failover.killedOrg);
    assert.ok((d.failover.firstBlockAfterKillMs as number) <= d.failoverStallMs!);
    assert.equal(d.sameHeadAllNodes, true);
    // Enrollment, the warm-up and both phases: at least one block per 1,000 transactions.
    assert.ok(d.height! >= d.blocks! + 3, `height ${d.height}, steady blocks ${d.blocks}`);
    assert.deepEqual(Object.keys(d.peakRssMb).sort(), [...orgs].sort());
    for (const org of orgs) {
      assert.ok(d.peakRssMb[org]! > 30 && d.peakRssMb[org]! < 4096, `${org} RSS ${d.peakRssMb[org]}`);
      assert.ok(d.nodeCpuCores[org]! > 0, `${org} used no CPU`);
    }
    assert.equal(d.maxPeakRssMb, Math.max(...Object.values(d.peakRssMb)));
  },
);
