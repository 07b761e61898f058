/**
 * `medledger bench consortium [--nodes 3] [--txs N] [--json]`: a consortium of node processes
 * ordered by a real 3-member etcd cluster on this machine, under load, with the block
 * cutter's node SIGKILLed half-way through the second phase.
 *
 * 1. measures this machine's parallel P-256 verify limit (again at the end; the mean is used);
 * 2. starts a dev layout's etcd and node processes as `cluster up` does (consortiumProcs.ts;
 *    the demo seed enrolls the doctors) and pre-signs every transaction (`record.anchor`, by
 *    the doctors' wallets), encoded as batches;
 * 3. warm-up (untimed): V8 compiles the commit path of every node;
 * 4. steady phase (timed): `--txs` transactions round-robin over the nodes, each batch's
 *    latency from its submission until it is committed on every node (consortiumLoad.ts):
 *    committedTxPerSec, p50CommitMs, p99CommitMs;
 * 5. failover phase: `--failover-txs` more; once a quarter of its batches committed, the node
 *    that is the block cutter (its `/v1/status`) is SIGKILLed. Every surviving node's height
 *    is polled every 20 ms; failoverStallMs is the longest time, from the kill on, in which
 *    the height every survivor has stored did not grow;
 * 6. the killed node is started again and catches up; sameHeadAllNodes compares every node's
 *    height, head hash and state digest. peakRssMb is each node's VmHWM (its highest over
 *    both of its processes).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HashTag, canonicalBytes, hashTagged, toHex } from '@medledger/crypto';
import { txIdOf, type SignedTx } from '@medledger/core';
import { measureVerifyLimit } from './verifyLimit.js';
import { peakRssMb, processCpuMs } from './nodeProcess.js';
import { percentile, round } from './stats.js';
import { getStatus } from './http.js';
import { launchBenchConsortium, type BenchConsortium, type BenchNode } from './consortiumProcs.js';
import { ConsortiumLoad, type BatchOutcome, type EncodedBatch } from './consortiumLoad.js';

export interface ConsortiumBenchOptions {
  nodes: number;
  txs: number;
  warmup: number;
  failoverTxs: number;
  batch: number;
  inFlight: number;
  log: (s: string) => void;
}

interface NodeStatus {
  height: number;
  headHash: string;
  stateDigest: string;
  cutter?: boolean;
  halted: string | null;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function benchConsortium(o: ConsortiumBenchOptions): Promise<Record<string, unknown>> {
  o.log('measuring the parallel P-256 verify limit...');
  const limit = await measureVerifyLimit();
  o.log(`verify limit: ${Math.round(limit.perSec)} signatures/s with ${limit.workers} workers`);
  const root = mkdtempSync(join(tmpdir(), 'medledger-bench-consortium-'));
  let c: BenchConsortium | undefined;
  let result: Record<string, unknown> & { committedTxPerSec: number };
  let ok = false;
  try {
    c = await launchBenchConsortium({ root, nodes: o.nodes, log: o.log });
    result = await measure(c, o);
    ok = true;
  } finally {
    await c?.stop();
    // MEDLEDGER_BENCH_KEEP=1 keeps the directories (node logs in layout/logs), e.g. of a failed run.
    if (process.env.MEDLEDGER_BENCH_KEEP !== '1') rmSync(root, { recursive: true, force: true });
    else o.log(`kept ${root}${ok ? '' : ' (the run failed)'}`);
  }
  const after = await measureVerifyLimit();
  o.log(`verify limit after the run: ${Math.round(after.perSec)} signatures/s`);
  const limitPerSec = (limit.perSec + after.perSec) / 2;
  const { committedTxPerSec, ...rest } = result;
  return {
    bench: 'consortium',
    ...rest,
    committedTxPerSec: round(committedTxPerSec, 1),
    verifyLimitTxPerSec: round(limitPerSec, 1),
    verifyLimitBeforeTxPerSec: round(limit.perSec, 1),
    verifyLimitAfterTxPerSec: round(after.perSec, 1),
    verifyWorkers: limit.workers,
    // Every node checks every transaction's signature once: nodes × tx/s signatures per second.
    ratio: round((committedTxPerSec * o.nodes) / limitPerSec, 3),
  };
}

async function measure(
  c: BenchConsortium,
  o: ConsortiumBenchOptions,
): Promise<Record<string, unknown> & { committedTxPerSec: number }> {
  const statusAgent = new Agent({ keepAlive: true, maxSockets: 4 });
  const status = (n: BenchNode): Promise<NodeStatus> => getStatus<NodeStatus>(statusAgent, n.url);
  const rssTimer = setInterval(() => c.sampleRss(), 250);
  try {
    const chainId = c.chainId;
    const wallets = c.signers;
    o.log(
      `pre-signing ${o.warmup} + ${o.txs} + ${o.failoverTxs} transactions with ${wallets.length} signers...`,
    );
    const createdAt = Date.now();
    let seq = 0;
    const sign = (n: number): EncodedBatch[] => {
      const out: EncodedBatch[] = [];
      for (let i = 0; i < n; i += o.batch) {
        const txs: SignedTx[] = [];
        for (let k = 0; k < Math.min(o.batch, n - i); k++, seq++) {
          const hash = toHex(hashTagged(HashTag.record, canonicalBytes({ bench: seq, salt: createdAt })));
          txs.push(
            wallets[seq % wallets.length]!.tx({
              chainId,
              type: 'record.anchor',
              payload: { recordId: `bench-${createdAt}-${seq}`, hash },
              createdAt,
            }),
          );
        }
        out.push({ body: Buffer.from(JSON.stringify({ txs })), ids: txs.map((t) => txIdOf(t.body)) });
      }
      return out;
    };
    const warmup = sign(o.warmup);
    const steady = sign(o.txs);
    const failover = sign(o.failoverTxs);

    const load = new ConsortiumLoad(c.nodes, o.inFlight * 2 + 2, (t, m, path, body) =>
      c.signRequest(t.org, m, path, body),
    );
    try {
      if (warmup.length > 0) {
        o.log(`warm-up: ${o.warmup} transactions (not timed)...`);
        const w = await load.run(warmup, o.inFlight);
        const failed = w.reduce((a, b) => a + b.failed, 0);
        if (failed > 0) throw new Error(`warm-up: ${failed} transactions failed`);
      }

      // ---- steady phase ----
      o.log(
        `steady: ${steady.length} batches of ${o.batch} over ${o.nodes} nodes, ${o.inFlight} in flight...`,
      );
      const h0 = Math.min(...(await Promise.all(c.nodes.map(status))).map((s) => s.height));
      const cpu0 = cpuOf(c);
      const clientCpu0 = process.cpuUsage();
      const t0 = performance.now();
      const s = await load.run(steady, o.inFlight);
      const tEnd = Math.max(...s.map((b) => b.end));
      const secs = (tEnd - t0) / 1000;
      const cpu = cpuOf(c);
      const clientCpu = process.cpuUsage(clientCpu0);
      const h1 = Math.min(...(await Promise.all(c.nodes.map(status))).map((x) => x.height));
      const committed = s.reduce((a, b) => a + b.committed, 0);
      const failed = s.reduce((a, b) => a + b.failed, 0);
      const failures = failuresOf(s);
      const lat = latencies(s);
      const cores = (ms: number): number => round(ms / (secs * 1000), 2);
      o.log(`steady: ${committed} committed on every node in ${secs.toFixed(2)} s`);

      // ---- failover phase ----
      const f = await failoverPhase(c, load, failover, o, status);

      // ---- the killed node catches up; every node the same head ----
      o.log(`restarting ${f.killed.org}; it catches up from etcd and its peers...`);
      const tRestart = performance.now();
      await c.restart(f.killed);
      const heads = await sameHeads(c, status, 120_000);
      o.log(`${f.killed.org} caught up in ${Math.round(performance.now() - tRestart)} ms`);
      c.sampleRss();
      const etcdStatus = etcdFigures(c);
      return {
        nodes: o.nodes,
        txs: o.txs,
        warmupTxs: o.warmup,
        failoverTxs: o.failoverTxs,
        batchSize: o.batch,
        inFlight: o.inFlight,
        committed,
        failed,
        ...(failed > 0 ? { failures } : {}),
        seconds: round(secs, 3),
        blocks: h1 - h0,
        txPerBlock: round(committed / Math.max(1, h1 - h0), 1),
        committedTxPerSec: committed / secs,
        p50CommitMs: round(percentile(lat, 50), 1),
        p99CommitMs: round(percentile(lat, 99), 1),
        failoverStallMs: round(f.stallMs, 0),
        failover: {
          killedOrg: f.killed.org,
          newCutter: f.newCutter,
          committed: f.committed,
          failed: f.failed,
          ...(f.failed > 0 ? { failures: f.failures } : {}),
          resubmittedBatches: f.resubmitted,
          committedTxPerSec: round(f.committedTxPerSec, 1),
          p99CommitMs: round(f.p99, 1),
          firstBlockAfterKillMs: round(f.firstBlockMs, 0),
          catchUpMs: Math.round(performance.now() - tRestart),
        },
        sameHeadAllNodes: heads.same,
        height: heads.height,
        peakRssMb: Object.fromEntries(c.nodes.map((n) => [n.org, round(n.peakRssMb, 1)])),
        maxPeakRssMb: round(Math.max(...c.nodes.map((n) => n.peakRssMb)), 1),
        // Cores used on average in the steady phase by each node process, by etcd and by this client.
        nodeCpuCores: Object.fromEntries(
          c.nodes.map((n) => [n.org, cores(cpu.nodes.get(n.org)! - cpu0.nodes.get(n.org)!)]),
        ),
        etcdCpuCores: cores(cpu.etcd - cpu0.etcd),
        clientCpuCores: cores((clientCpu.user + clientCpu.system) / 1000),
        etcd: { members: c.etcd.members.length, ...etcdStatus },
      };
    } finally {
      load.close();
    }
  } finally {
    clearInterval(rssTimer);
    statusAgent.destroy();
  }
}

/** Why transactions failed, summed over batches. */
function failuresOf(bs: readonly BatchOutcome[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const b of bs) for (const [k, n] of Object.entries(b.failures)) out[k] = (out[k] ?? 0) + n;
  return out;
}

/** Each transaction's commit latency: that of its batch. */
function latencies(bs: readonly BatchOutcome[]): number[] {
  const out: number[] = [];
  for (const b of bs) for (let i = 0; i < b.committed; i++) out.push(b.end - b.start);
  return out;
}

/** CPU time so far of every node process and of the etcd members (ms). */
function cpuOf(c: BenchConsortium): { nodes: Map<string, number>; etcd: number } {
  const nodes = new Map(c.nodes.map((n) => [n.org, processCpuMs(c.pid(n)!)]));
  let etcd = 0;
  for (const m of c.etcd.members) if (m.process?.pid) etcd += processCpuMs(m.process.pid);
  return { nodes, etcd };
}

async function failoverPhase(
  c: BenchConsortium,
  load: ConsortiumLoad,
  batches: EncodedBatch[],
  o: ConsortiumBenchOptions,
  status: (n: BenchNode) => Promise<NodeStatus>,
): Promise<{
  killed: BenchNode;
  newCutter: string | null;
  stallMs: number;
  firstBlockMs: number;
  committed: number;
  failed: number;
  failures: Record<string, number>;
  resubmitted: number;
  committedTxPerSec: number;
  p99: number;
}> {
  if (batches.length < 4) throw new Error('--failover-txs must make at least 4 batches');
  o.log(`failover: ${batches.length} batches; the cutter's node is killed after a quarter of them...`);
  // Each node's height, polled every 20 ms: [time, height] each time it grew.
  const grew = new Map<string, [number, number][]>(c.nodes.map((n) => [n.org, []]));
  let polling = true;
  const poller = (async () => {
    const last = new Map<string, number>();
    while (polling) {
      await Promise.all(
        c.nodes.map(async (n) => {
          if (n.down) return;
          const h = await status(n).then(
            (s) => s.height,
            () => undefined,
          );
          if (h !== undefined && h > (last.get(n.org) ?? -1)) {
            last.set(n.org, h);
            grew.get(n.org)!.push([performance.now(), h]);
          }
        }),
      );
      await sleep(20);
    }
  })();
  let killed: BenchNode | undefined;
  let killAt = 0;
  let killing: Promise<void> | undefined;
  const killCutter = async (): Promise<void> => {
    for (let tries = 0; tries < 100 && !killed; tries++) {
      const st = await Promise.all(c.nodes.map((n) => status(n).then((s) => ({ n, s }))));
      const cutter = st.find((x) => x.s.cutter === true);
      if (!cutter) {
        await sleep(20);
        continue;
      }
      killed = cutter.n;
      killAt = performance.now();
      o.log(`failover: SIGKILL ${killed.org}, the block cutter, at height ${cutter.s.height}`);
      await c.kill(killed);
    }
    if (!killed) throw new Error('no node said it is the block cutter');
  };
  const t0 = performance.now();
  let done = 0;
  const out = await load.run(batches, o.inFlight, () => {
    if (++done === Math.ceil(batches.length / 4)) killing = killCutter();
  });
  await killing;
  polling = false;
  await poller;
  if (!killed) throw new Error('the cutter was not killed before the load ended');
  const secs = (Math.max(...out.map((b) => b.end)) - t0) / 1000;
  // Times at which the lowest height over the surviving nodes grew, after the kill.
  const survivors = c.nodes.filter((n) => n !== killed);
  const events = [...new Set(survivors.flatMap((n) => grew.get(n.org)!.map(([t]) => t)))]
    .filter((t) => t > killAt)
    .sort((a, b) => a - b);
  const minAt = (t: number): number =>
    Math.min(
      ...survivors.map(
        (n) =>
          grew
            .get(n.org)!
            .filter(([x]) => x <= t)
            .at(-1)?.[1] ?? 0,
      ),
    );
  const commits: number[] = [];
  let low = minAt(killAt);
  for (const t of events) {
    const m = minAt(t);
    if (m > low) {
      commits.push(t);
      low = m;
    }
  }
  let stall = 0;
  let prev = killAt;
  for (const t of commits) {
    stall = Math.max(stall, t - prev);
    prev = t;
  }
  const st = await Promise.all(survivors.map((n) => status(n).then((s) => ({ n, s }))));
  return {
    killed,
    newCutter: st.find((x) => x.s.cutter === true)?.n.org ?? null,
    stallMs: commits.length > 0 ? stall : Infinity,
    firstBlockMs: commits.length > 0 ? commits[0]! - killAt : Infinity,
    committed: out.reduce((a, b) => a + b.committed, 0),
    failed: out.reduce((a, b) => a + b.failed, 0),
    failures: failuresOf(out),
    resubmitted: out.filter((b) => b.resubmitted).length,
    committedTxPerSec: out.reduce((a, b) => a + b.committed, 0) / secs,
    p99: percentile(latencies(out), 99),
  };
}

/** Waits until every node reports the same height, then compares head hash and state digest. */
async function sameHeads(
  c: BenchConsortium,
  status: (n: BenchNode) => Promise<NodeStatus>,
  timeoutMs: number,
): Promise<{ same: boolean; height: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let st: NodeStatus[];
    try {
      st = await Promise.all(c.nodes.map(status));
    } catch (e) {
      // The restarted node may not answer yet, or a connection to its old process is reset.
      if (Date.now() > deadline) throw e;
      await sleep(100);
      continue;
    }
    const halted = st.find((s) => s.halted);
    if (halted) throw new Error(`a node halted: ${halted.halted}`);
    if (st.every((s) => s.height === st[0]!.height)) {
      const same = st.every((s) => s.headHash === st[0]!.headHash && s.stateDigest === st[0]!.stateDigest);
      return { same, height: st[0]!.height };
    }
    if (Date.now() > deadline)
      throw new Error(`nodes did not reach one height: ${st.map((s) => s.height).join(', ')}`);
    await sleep(50);
  }
}

/** etcd's peak RSS per member and the size of each member's database file (bbolt, `member/snap/db`). */
function etcdFigures(c: BenchConsortium): Record<string, unknown> {
  const rss: Record<string, number> = {};
  const db: Record<string, number> = {};
  for (const m of c.etcd.members) {
    if (m.process?.pid) rss[m.name] = round(peakRssMb(m.process.pid), 1);
    try {
      db[m.name] = round(statSync(join(m.dataDir, 'member', 'snap', 'db')).size / 2 ** 20, 1);
    } catch {
      /* not written yet */
    }
  }
  return { peakRssMb: rss, dbFileMb: db };
}
