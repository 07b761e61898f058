/**
 * `medledger generate --txs N --patients P [--dir D] [--json]`: builds a ledger of N real
 * transactions across P patients (bench/scaleWorkload.ts: enrollments, care teams, then DSS,
 * SPV and STT records, consent grants and access requests), each signed by the member it belongs
 * to and committed through a real node: `medledger start` on the generated node directory as a
 * child process (SQLite ledger with synchronous=FULL, solo ordering, the HTTP API), fed in
 * batches over HTTP that wait for their receipts. Progress goes to stderr; the summary
 * (tx/s, store bytes, bytes per million transactions, the node's peak RSS) is returned.
 * The node is stopped at the end; `medledger bench queries --dir D` starts it again.
 */
import { Agent } from 'node:http';
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { importP256PrivateKey } from '@medledger/crypto';
import { MedledgerClient, signRequest } from '@medledger/client';
import { txIdOf, type SignedTx } from '@medledger/core';
import { paths } from '@medledger/node';
import { postBatch, waitReceipt } from '../bench/http.js';
import { peakRssMb, startNodeProcess } from '../bench/nodeProcess.js';
import { createScaleDir, keyOf, nodeDirOf, writeFixture, type ScaleFixture } from '../bench/scaleSetup.js';
import { ScaleWorkload } from '../bench/scaleWorkload.js';
import { round } from '../bench/stats.js';

/** Options of {@link generate}. */
export interface GenerateOptions {
  /** Transactions in all (the set-up's enrollments and care teams included). */
  txs: number;
  patients: number;
  /** Directory to generate into (created; must not hold a node). Default: a new temp dir. */
  dir?: string;
  /** Doctors (default: one per 50 patients, at least 4). */
  doctors?: number;
  /** Batches in flight (default 4). */
  inFlight?: number;
  log: (s: string) => void;
  /** Progress lines (stderr); a bar when it is a terminal. */
  progress?: NodeJS.WriteStream;
}

/** Bytes of the files in a directory (not recursive). */
export function dirBytes(dir: string, prefix = ''): number {
  let n = 0;
  for (const f of readdirSync(dir)) {
    if (!f.startsWith(prefix)) continue;
    const s = statSync(join(dir, f));
    if (s.isFile()) n += s.size;
  }
  return n;
}

/** A node directory's ledger store (ledger.sqlite with its WAL) and every SQLite file beside it. */
export function storeBytes(nodeDir: string): { ledgerBytes: number; nodeDirBytes: number } {
  return { ledgerBytes: dirBytes(nodeDir, 'ledger.sqlite'), nodeDirBytes: dirBytes(nodeDir) };
}

/** Batches that complete out of order; `until(m)` waits until every batch up to m completed. */
class Completion {
  readonly #done: boolean[] = [];
  #prefix = -1;
  #waiters: { m: number; resolve: () => void }[] = [];

  complete(n: number): void {
    this.#done[n] = true;
    while (this.#done[this.#prefix + 1]) this.#prefix++;
    this.#waiters = this.#waiters.filter((w) => (w.m <= this.#prefix ? (w.resolve(), false) : true));
  }

  until(m: number): Promise<void> {
    if (m <= this.#prefix) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ m, resolve }));
  }
}

/**
 * Generates the ledger (see the module comment) and returns its summary.
 * @throws Error if the options are out of range, the directory holds a node, or the set-up fails
 */
export async function generate(o: GenerateOptions): Promise<Record<string, unknown>> {
  if (!(Number.isInteger(o.patients) && o.patients >= 1))
    throw new Error('--patients must be an integer >= 1');
  const doctors = o.doctors ?? Math.max(4, Math.ceil(o.patients / 50));
  const setup = doctors + 2 * o.patients;
  if (!(Number.isInteger(o.txs) && o.txs > setup))
    throw new Error(
      `--txs must be more than the set-up's ${setup} transactions (${doctors} doctors and ${o.patients} patients enrolled, ${o.patients} care teams)`,
    );
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'medledger-generate-'));
  const t00 = performance.now();
  o.log(`generating ${o.txs} transactions for ${o.patients} patients and ${doctors} doctors into ${dir}`);
  const f: ScaleFixture = await createScaleDir(dir, { patients: o.patients, doctors, log: o.log });
  const nodeDir = nodeDirOf(dir);
  const { child, url } = await startNodeProcess(nodeDir, { MEDLEDGER_PASSPHRASE: f.passphrase });
  let summary: Record<string, unknown>;
  try {
    const client = new MedledgerClient(url);
    const chainId = (await client.status()).chainId;
    f.chainId = chainId;
    const work = new ScaleWorkload(f, chainId);
    const agent = new Agent({ keepAlive: true, maxSockets: (o.inFlight ?? 4) + 1 });
    const batchUrl = new URL('/v1/txs/batch?wait=60000', url);
    const unsignedUrl = new URL('/v1/txs/batch?wait=5000', url);
    const waiter = f.doctors[0]!;
    const waiterKey = importP256PrivateKey(keyOf(waiter));
    const failures: Record<string, number> = {};
    let committed = 0;
    const sampleEvery = Math.max(1, Math.floor(o.txs / 5000));
    const sample: string[] = [];
    // Until the first doctor is enrolled, batches go unsigned (the node waits 5 s for their
    // receipts then); after, signed by that doctor (it waits up to a minute).
    let signed = false;
    const post = async (txs: SignedTx[]): Promise<void> => {
      const body = Buffer.from(JSON.stringify({ txs }));
      const auth = !signed
        ? undefined
        : signRequest({
            audience: { chainId, node: f.org },
            signerId: waiter.id,
            privateKey: waiterKey,
            method: 'POST',
            path: `${batchUrl.pathname}${batchUrl.search}`,
            ts: Date.now(),
            body,
          });
      const results = await postBatch(agent, signed ? batchUrl : unsignedUrl, body, auth);
      for (const [i, r] of results.entries()) {
        if (r.status !== 'pending') continue;
        // Not committed within the wait: wait for its receipt.
        const receipt = await waitReceipt(agent, url, r.txId, 60_000, (method, path) =>
          signRequest({
            audience: { chainId, node: f.org },
            signerId: waiter.id,
            privateKey: waiterKey,
            method,
            path,
            ts: Date.now(),
          }),
        );
        results[i] = receipt ? { txId: r.txId, status: 'committed', receipt } : r;
      }
      results.forEach((r, i) => {
        if (r.status === 'committed' && r.receipt.code === 'OK') {
          if (committed++ % sampleEvery === 0) sample.push(txIdOf(txs[i]!.body));
        } else {
          const code =
            r.status === 'committed' ? r.receipt.code : r.status === 'rejected' ? r.error.code : 'PENDING';
          failures[code] = (failures[code] ?? 0) + 1;
        }
      });
    };

    // Progress on stderr: a bar on a terminal, a line every few seconds otherwise.
    const out = o.progress;
    let lastLine = 0;
    const t0 = performance.now();
    const progress = (final = false): void => {
      if (!out) return;
      const now = performance.now();
      if (!final && now - lastLine < (out.isTTY ? 250 : 5000)) return;
      lastLine = now;
      const rate = committed / ((now - t0) / 1000);
      const share = committed / o.txs;
      const text = `${committed}/${o.txs} tx committed, ${Math.round(rate)} tx/s`;
      if (out.isTTY) {
        const w = 30;
        const filled = Math.round(share * w);
        out.write(
          `\r[${'#'.repeat(filled)}${' '.repeat(w - filled)}] ${String(Math.round(share * 100)).padStart(3)}% ${text}`,
        );
        if (final) out.write('\n');
      } else out.write(`generate: ${text}\n`);
    };

    // Set-up: enrollments, then the care teams (which name enrolled doctors).
    const inBatches = async (txs: SignedTx[], size: number): Promise<void> => {
      for (let i = 0; i < txs.length; i += size) {
        await post(txs.slice(i, i + size));
        progress();
      }
    };
    const enrollments = work.enrollments();
    await inBatches(enrollments.slice(0, doctors), 1000);
    signed = true;
    await inBatches(enrollments.slice(doctors), 1000);
    await inBatches(work.careTeams(), 1000);
    if (Object.keys(failures).length > 0) throw new Error(`set-up failed: ${JSON.stringify(failures)}`);

    // Rounds: batch n holds indices [nB, nB + B) (distinct patients, B <= P); its transactions
    // build on the patients' previous ones, P indices earlier, which must have committed.
    const P = o.patients;
    const K = o.inFlight ?? 4;
    // With B <= P/K, the K batches in flight hold no patient twice and none depends on another.
    const B = Math.max(1, Math.min(1000, Math.floor(P / K)));
    const main = o.txs - setup;
    const batches = Math.ceil(main / B);
    const done = new Completion();
    let built = Promise.resolve();
    let next = 0;
    const buildBatch = async (n: number): Promise<SignedTx[]> => {
      const firstDep = Math.floor(((n + 1) * B - 1 - P) / B);
      await done.until(firstDep);
      const txs: SignedTx[] = [];
      for (let i = n * B; i < Math.min(main, (n + 1) * B); i++)
        txs.push(await work.next(i % P, Math.floor(i / P)));
      return txs;
    };
    const worker = async (): Promise<void> => {
      while (next < batches) {
        const n = next++;
        // Batches are built one at a time, in order (the patients' chain heads advance in order).
        const mine = built.then(() => buildBatch(n));
        built = mine.then(
          () => undefined,
          () => undefined,
        );
        await post(await mine);
        done.complete(n);
        progress();
      }
    };
    await Promise.all(Array.from({ length: K }, worker));
    agent.destroy();
    const secs = (performance.now() - t0) / 1000;
    progress(true);
    const status = await client.status();
    const rss = peakRssMb(child.pid!);
    f.sampleTxIds = sample;
    f.byType = work.byType;
    f.txs = o.txs;
    writeFixture(dir, f);
    const failed = Object.values(failures).reduce((a, b) => a + b, 0);
    summary = {
      command: 'generate',
      dir,
      txs: o.txs,
      committed,
      failed,
      ...(failed > 0 ? { failures } : {}),
      patients: P,
      doctors,
      byType: work.byType,
      height: status.height,
      seconds: round(secs, 1),
      setupSeconds: round((performance.now() - t00) / 1000 - secs, 1),
      txPerSec: round(committed / secs, 1),
      peakRssMb: round(rss, 1),
      loadAverage: loadavg().map((x) => round(x, 2)),
      ledger: paths(nodeDir).ledger,
    };
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  // Sizes once the node has stopped: its WAL is checkpointed into the database file then.
  const { ledgerBytes, nodeDirBytes } = storeBytes(nodeDir);
  const committed = summary.committed as number;
  const result = {
    ...summary,
    ledgerBytes,
    nodeDirBytes,
    ledgerBytesPerMillionTx: Math.round((ledgerBytes / committed) * 1e6),
    nodeDirBytesPerMillionTx: Math.round((nodeDirBytes / committed) * 1e6),
  };
  f.summary = result;
  writeFixture(dir, f);
  return result;
}
