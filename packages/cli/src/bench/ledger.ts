/**
 * `medledger bench ledger --txs N`: end-to-end commit throughput and latency of one node.
 *
 * 1. measures this machine's parallel P-256 verify rate (one worker per core);
 * 2. creates a consortium in a temp dir and starts a real node as a child process
 *    (`medledger start`: SQLite WAL with synchronous=FULL, solo ordering, HTTP API);
 * 3. enrolls signer members, pre-signs N `record.anchor` transactions;
 * 4. encodes the requests, pushes a warm-up of other transactions through first (not timed),
 *    then the N through the HTTP batch API with a bounded number of batches in flight, each
 *    waiting for its receipts: latency is submit → receipt as a client sees it;
 * 5. reads the node's peak RSS (VmHWM) and stops it.
 */
import { Agent } from 'node:http';
import { HashTag, canonicalBytes, hashTagged, importP256PrivateKey, toHex } from '@medledger/crypto';
import { Wallet, signRequest } from '@medledger/client';
import type { SignedTx } from '@medledger/core';
import { startBenchNode } from './benchNode.js';
import { measureVerifyLimit } from './verifyLimit.js';
import { peakRssMb, processCpuMs, threadCpuMs } from './nodeProcess.js';
import { percentile, round } from './stats.js';
import { postBatch } from './http.js';

export interface LedgerBenchOptions {
  txs: number;
  /** Transactions committed before the timed run (not counted). */
  warmup: number;
  batch: number;
  inFlight: number;
  signers: number;
  log: (s: string) => void;
}

export async function benchLedger(o: LedgerBenchOptions): Promise<Record<string, unknown>> {
  o.log('measuring the parallel P-256 verify limit...');
  const limit = await measureVerifyLimit();
  o.log(`verify limit: ${Math.round(limit.perSec)} signatures/s with ${limit.workers} workers`);

  const node = await startBenchNode(
    'bench',
    Array.from({ length: o.signers }, (_, i) => ({ label: `signer-${i}`, role: 'doctor' })),
  );
  const { consortium, child, url, chainId, client } = node;
  let result: Record<string, unknown> & { committedTxPerSec: number };
  try {
    o.log(`pre-signing ${o.warmup} + ${o.txs} transactions with ${o.signers} signers...`);
    const wallets = consortium.members.map(
      (m) => new Wallet({ signerId: m.memberId, privateKey: m.keys.privateKey }),
    );
    const createdAt = Date.now();
    const sign = (from: number, n: number): Buffer[] => {
      const txs: SignedTx[] = [];
      for (let i = from; i < from + n; i++) {
        const hash = toHex(hashTagged(HashTag.record, canonicalBytes({ bench: i, salt: createdAt })));
        txs.push(
          wallets[i % wallets.length]!.tx({
            chainId,
            type: 'record.anchor',
            payload: { recordId: `bench-${createdAt}-${i}`, hash },
            createdAt,
          }),
        );
      }
      // Request bodies are encoded here, before the clock starts: the load generator shares
      // the machine's cores with the node, so it does as little as it can while timed.
      const bodies: Buffer[] = [];
      for (let i = 0; i < txs.length; i += o.batch)
        bodies.push(Buffer.from(JSON.stringify({ txs: txs.slice(i, i + o.batch) })));
      return bodies;
    };
    const warmup = sign(0, o.warmup);
    const batches = sign(o.warmup, o.txs);

    // Pushes batches with `inFlight` of them outstanding, each waiting for its receipts.
    const agent = new Agent({ keepAlive: true, maxSockets: o.inFlight });
    const batchUrl = new URL('/v1/txs/batch?wait=60000', url);
    const waiter = consortium.members[0]!;
    const waiterKey = importP256PrivateKey(waiter.keys.privateKey);
    const push = async (
      bs: Buffer[],
    ): Promise<{ committed: number; failed: number; latencies: number[] }> => {
      const latencies: number[] = [];
      let committed = 0;
      let failed = 0;
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < bs.length) {
          const b = bs[next++]!;
          const auth = signRequest({
            audience: { chainId, node: 'bench' },
            signerId: waiter.memberId,
            privateKey: waiterKey,
            method: 'POST',
            path: `${batchUrl.pathname}${batchUrl.search}`,
            ts: Date.now(),
            body: b,
          });
          const s = performance.now();
          const res = await postBatch(agent, batchUrl, b, auth);
          const dt = performance.now() - s;
          for (const r of res) {
            if (r.status === 'committed' && r.receipt.code === 'OK') {
              committed++;
              latencies.push(dt);
            } else failed++;
          }
        }
      };
      await Promise.all(Array.from({ length: o.inFlight }, worker));
      return { committed, failed, latencies };
    };

    // Warm-up, not timed: the first seconds of a fresh Node process are dominated by V8
    // compiling the commit path; the figures below are of the node in its steady state.
    if (warmup.length > 0) {
      o.log(`warm-up: ${o.warmup} transactions (not timed)...`);
      const w = await push(warmup);
      if (w.failed > 0) throw new Error(`warm-up: ${w.failed} transactions failed`);
    }

    o.log(`submitting ${batches.length} batches of ${o.batch}, ${o.inFlight} in flight...`);
    const before = (await client.status()) as unknown as { mainThread: { activeMs: number } };
    const nodeCpu0 = processCpuMs(child.pid!);
    const threads0 = threadCpuMs(child.pid!);
    const clientCpu0 = process.cpuUsage();
    const t0 = performance.now();
    const { committed, failed, latencies } = await push(batches);
    agent.destroy();
    const secs = (performance.now() - t0) / 1000;
    const status = await client.status();
    const after = status as unknown as { mainThread: { activeMs: number } };
    const nodeCpuMs = processCpuMs(child.pid!) - nodeCpu0;
    const threads = [...threadCpuMs(child.pid!)].map(([tid, ms]) => ({
      tid,
      cores: (ms - (threads0.get(tid) ?? 0)) / (performance.now() - t0),
    }));
    const clientCpu = process.cpuUsage(clientCpu0);
    const mainThreadBusy = (after.mainThread.activeMs - before.mainThread.activeMs) / (secs * 1000);
    const rss = peakRssMb(child.pid!);
    const committedTxPerSec = committed / secs;
    result = {
      bench: 'ledger',
      txs: o.txs,
      warmupTxs: o.warmup,
      committed,
      failed,
      seconds: round(secs, 3),
      blocks: status.height,
      batchSize: o.batch,
      inFlight: o.inFlight,
      committedTxPerSec,
      p50CommitMs: round(percentile(latencies, 50), 1),
      p99CommitMs: round(percentile(latencies, 99), 1),
      peakRssMb: round(rss, 1),
      nodeMainThreadBusy: round(mainThreadBusy, 3),
      // Cores used on average during the run: the node process (all its threads) and this
      // benchmark's client. With signatures the limit, their sum against the machine's cores
      // shows how much of the machine the rest of the work takes.
      nodeCpuCores: round(nodeCpuMs / (secs * 1000), 2),
      nodeThreadCores: {
        main: round(threads.find((t) => t.tid === child.pid)?.cores ?? 0, 2),
        // In thread creation order: V8's platform threads (garbage collection, compilation)
        // first, libuv's pool, then the node's ledger writer and its signature verifiers.
        others: threads
          .filter((t) => t.tid !== child.pid)
          .sort((a, b) => a.tid - b.tid)
          .map((t) => round(t.cores, 2)),
      },
      clientCpuCores: round((clientCpu.user + clientCpu.system) / 1000 / (secs * 1000), 2),
    };
  } finally {
    await node.stop();
  }
  // The verify limit is measured again once the node has stopped: on a shared VM the machine's
  // speed drifts within a run, and the mean of the two bounds the run on both sides.
  const after = await measureVerifyLimit();
  o.log(`verify limit after the run: ${Math.round(after.perSec)} signatures/s`);
  const limitPerSec = (limit.perSec + after.perSec) / 2;
  const { committedTxPerSec, ...rest } = result;
  return {
    ...rest,
    committedTxPerSec: round(committedTxPerSec, 1),
    verifyLimitTxPerSec: round(limitPerSec, 1),
    verifyLimitBeforeTxPerSec: round(limit.perSec, 1),
    verifyLimitAfterTxPerSec: round(after.perSec, 1),
    verifyWorkers: limit.workers,
    ratio: round(committedTxPerSec / limitPerSec, 3),
  };
}
