/**
 * `medledger cluster up` and `medledger status` as a user runs them: real etcd members and
 * node processes on loopback, one status row per node, and Ctrl-C (SIGINT) stopping every
 * process the command started.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { BIN, runCli, tempDir } from './helpers.js';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test(
  'cli: cluster up prints 3 nodes and the etcd endpoints, status shows one head on every node, Ctrl-C stops every process',
  { timeout: 150_000 },
  async () => {
    const dir = join(tempDir(), 'cluster');
    const up = spawn(process.execPath, [BIN, 'cluster', 'up', '--nodes', '3', '--dir', dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    up.stdout.on('data', (d: Buffer) => (out += d.toString()));
    up.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => up.once('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 90_000;
      while (!out.includes('medledger status --dir')) {
        if (up.exitCode !== null || Date.now() > deadline)
          throw new Error(`cluster up did not come up:\n${out}\n${err}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const nodes = [...out.matchAll(/^(\w+)\s+(http:\/\/127\.0\.0\.1:\d+)\s+pid (\d+)/gm)].map((m) => ({
        org: m[1]!,
        url: m[2]!,
        pid: Number(m[3]),
      }));
      assert.deepEqual(
        nodes.map((n) => n.org),
        ['hospitalA', 'hospitalB', 'gpclinic'],
      );
      const etcd = /^etcd\s+(.+)$/m.exec(out)![1]!.split(' ');
      assert.equal(etcd.length, 3);
      // One row per node, every node at the same head with the demo data seeded once.
      const st = await runCli(['status', '--dir', dir, '--json']);
      assert.equal(st.code, 0, st.stdout + st.stderr);
      const rows = JSON.parse(st.stdout) as {
        org: string;
        height: number;
        headHash: string;
        halted: string | null;
        cutter: boolean;
      }[];
      assert.deepEqual(
        rows.map((r) => r.org),
        ['hospitalA', 'hospitalB', 'gpclinic'],
      );
      assert.ok(rows.every((r) => r.halted === null));
      assert.equal(rows.filter((r) => r.cutter).length, 1, 'one block cutter');
      const table = await runCli(['status', '--dir', dir]);
      assert.equal(table.stdout.trim().split('\n').length, 4, table.stdout);
      assert.match(table.stdout, /^org\s+url\s+height\s+head\s+state\s+final\s+checkpoint\s+cutter/);
      // From one node's URL, the peers it reports.
      const byUrl = await runCli(['status', '--url', nodes[1]!.url, '--json']);
      assert.equal(byUrl.code, 0, byUrl.stderr);
      assert.deepEqual((JSON.parse(byUrl.stdout) as { org: string }[]).map((r) => r.org).sort(), [
        'gpclinic',
        'hospitalA',
        'hospitalB',
      ]);
      up.kill('SIGINT');
      assert.equal(await exited, 0, err);
      for (const n of nodes) assert.equal(alive(n.pid), false, `${n.org}'s node ${n.pid} stopped`);
      for (const e of etcd) await assert.rejects(fetch(`${e}/health`), `etcd member ${e} stopped`);
      const down = await runCli(['status', '--dir', dir]);
      assert.equal(down.code, 1, 'a node down is exit 1');
      assert.equal(down.stdout.match(/DOWN/g)?.length, 3, down.stdout);
      // Not a layout: a usage error that says so.
      const bad = await runCli(['status', '--dir', tempDir()]);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /is not a dev layout/);
    } finally {
      if (up.exitCode === null) {
        up.kill('SIGINT');
        await exited;
      }
    }
  },
);
