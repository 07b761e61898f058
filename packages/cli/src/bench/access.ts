/**
 * `medledger bench access`: consented SPV reads per second (issue 3, survey §6.3), each one
 * audited on the ledger.
 *
 * 1. creates a dev consortium in a temp dir (`medledger init --dev`: each organization, hospital
 *    A's node and the members' wallets in their own directories), seeds its members in-process
 *    (`start --dev`), then starts hospital A's node directory as a child process (`medledger
 *    start`: SQLite ledger, solo ordering, EHR store, HTTP API);
 * 2. with the client SDK (`RecordsClient`): Bob names his care team, dr-alice (hospital A, the
 *    node's organization) writes `records` SPV lab records (FHIR DiagnosticReport), Bob grants
 *    treatment access to `lab` to dr-baker, dr-chen and dr-gp;
 * 3. warms up with `warmupReads` reads of the same shape (untimed in the figures: each reader's
 *    first call fills its light-client cache — genesis, headers — and the JIT compiles the
 *    path; the slowest warm-up call is reported as `coldCallMs`), then
 *    measures `reads` reads with `concurrency` in flight, spread over the readers and the
 *    records, `batch` reads per client call. Each read is its own `access.request` transaction
 *    committed on the ledger (the audit entry), its record fetched from the holder's node
 *    (sealed to the reader, logged by the holder), decrypted and checked against the commitment
 *    of a light-client-checked transaction. With `batch` 1 a call is `readSpv(recordId,
 *    'treatment')`; above, `readSpvMany`: the batch's requests submitted together, the allowed
 *    records fetched in one call and sealed together. Latency is from the requests being signed
 *    to the records verified, as the reader sees it (every read of a call has its call's);
 *    the bench consortium's genesis cuts a block `blockCutMs` after its first transaction;
 * 4. proves the audit: Bob's access log (the node's index of the ledger) must hold one allowed
 *    `access.decided` entry per successful read, and each entry's decision must be in the
 *    ledger state (`access:<txId>`, allow, requested by a reader, about Bob's record);
 * 5. runs a write-only load on the same node: `commitTxs` plain `record.anchor` transactions,
 *    so that `readsPerSec` can be read against `committedTxPerSec`;
 * 6. reads the node's peak RSS (VmHWM) and its main thread's busy share, and stops it.
 *
 * The reader clients run in this process: their CPU (P-256 signing, HPKE opening, the
 * light-client check) is reported as `clientCpuBusy` (share of one core over the run) and
 * `clientCpuMsPerRead`; the node's CPU, all its threads, as `nodeCpuMsPerRead` (from /proc).
 * On a machine shared with other work, CPU per read is the steadier figure.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { generateEpisodeKey, sha256, toHex, utf8, type JsonValue } from '@medledger/crypto';
import { MAX_BATCH_READS, MedledgerClient, RecordsClient, episodeSubject } from '@medledger/client';
import { DEFAULT_ORDERING, type AccessDecisionEntry } from '@medledger/core';
import { initDev } from '../commands/init.js';
import { start } from '../commands/start.js';
import { openWalletFile, readMembers } from '../dirs/wallets.js';
import { passphraseFor } from '../passphrase.js';
import { peakRssMb, processCpuMs, startNodeProcess } from './nodeProcess.js';
import { percentile, round } from './stats.js';

type Obj = { [k: string]: JsonValue };

/** Options of {@link benchAccess}. */
export interface AccessBenchOptions {
  /** Number of measured reads. */
  reads: number;
  /** Reads in flight at once. */
  concurrency: number;
  /** Number of SPV lab records the reads are spread over. */
  records: number;
  /**
   * Reads per client call (`RecordsClient.readSpvMany`: their `access.request`s submitted
   * together, the allowed records fetched in one call); 1 = `readSpv`, one read per call.
   */
  batch: number;
  /**
   * Reads before the measured ones, of the same shape, not in the figures (their slowest call
   * is `coldCallMs`); the audit check covers the measured reads. Default 0.
   */
  warmupReads?: number;
  /** Transactions of the write-only load measured after the reads (`committedTxPerSec`). */
  commitTxs: number;
  /**
   * The block cutter's time limit in the bench consortium's genesis (`ordering.timeoutMs`): how
   * long the first pending transaction waits for others before its block is cut. Reads wait
   * for their decision's block, so a read-heavy consortium wants it short (default 50 ms).
   */
  blockCutMs?: number;
  log: (s: string) => void;
}

/** The members Bob grants `lab` reads for treatment; the reads go round them. */
const READERS = ['dr-baker', 'dr-chen', 'dr-gp'] as const;

/** A FHIR R4 lab DiagnosticReport for the bench (category LAB → `lab`). */
function labReport(i: number, subject: string, performer: string): Obj {
  return {
    resourceType: 'DiagnosticReport',
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'LAB' }] }],
    code: { text: `Full blood count #${i}` },
    subject: { reference: `Patient/${subject}` },
    performer: [{ reference: `Practitioner/${performer}` }],
    conclusion: `Haemoglobin ${120 + (i % 40)} g/L, within reference range`,
  };
}

/** Runs `f` over `items` with at most `n` calls in flight. */
async function pool<T>(items: readonly T[], n: number, f: (x: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await f(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}

/**
 * The write-only load: `n` signed `record.anchor` transactions (the readers' own), submitted in
 * batches of 250 with 4 in flight, each batch waiting for its receipts; the commit rate the same
 * node reaches in the same run, so a read's cost can be read against a commit's.
 */
async function writeOnlyLoad(
  signers: readonly RecordsClient[],
  n: number,
  log: (s: string) => void,
): Promise<{ txs: number; txPerSec: number }> {
  if (n === 0) return { txs: 0, txPerSec: 0 };
  const http = signers[0]!.http;
  const { chainId } = await http.status();
  const txs = Array.from({ length: n }, (_, i) =>
    signers[i % signers.length]!.wallet.tx({
      chainId,
      type: 'record.anchor',
      payload: { recordId: `bench-anchor-${i}`, hash: toHex(sha256(utf8(`anchor ${i}`))) },
      createdAt: Date.now(),
    }),
  );
  const batches = Array.from({ length: Math.ceil(n / 250) }, (_, b) => txs.slice(b * 250, (b + 1) * 250));
  log(`write-only load: ${n} record.anchor transactions...`);
  let ok = 0;
  const t0 = performance.now();
  await pool(batches, 4, async (batch) => {
    const results = await http.submitBatch(batch, { waitMs: 30_000 });
    for (const r of results) if (r.status === 'committed' && r.receipt.code === 'OK') ok++;
  });
  const secs = (performance.now() - t0) / 1000;
  return { txs: ok, txPerSec: round(ok / secs, 1) };
}

/**
 * Runs the benchmark (see the module comment) and returns one JSON-able object:
 * `{ bench: 'access', reads, concurrency, records, succeeded, failed, seconds, readsPerSec,
 * p50ReadMs, p99ReadMs, auditedOnLedger, allAudited, blocks, peakRssMb, ... }`.
 * @throws Error if the set-up fails (a failed measured read is counted, not thrown)
 * @example
 * const r = await benchAccess({ reads: 2000, concurrency: 32, records: 20, log: console.error });
 * console.log(JSON.stringify(r));
 */
export async function benchAccess(opts: AccessBenchOptions): Promise<Record<string, unknown>> {
  if (!(Number.isInteger(opts.reads) && opts.reads >= 1)) throw new Error('reads must be an integer >= 1');
  if (!(Number.isInteger(opts.concurrency) && opts.concurrency >= 1))
    throw new Error('concurrency must be an integer >= 1');
  if (!(Number.isInteger(opts.records) && opts.records >= 1))
    throw new Error('records must be an integer >= 1');
  if (!(Number.isInteger(opts.batch) && opts.batch >= 1 && opts.batch <= MAX_BATCH_READS))
    throw new Error(`batch must be an integer from 1 to ${MAX_BATCH_READS}`);
  if (!(Number.isInteger(opts.commitTxs) && opts.commitTxs >= 0))
    throw new Error('commitTxs must be an integer >= 0');
  const log = opts.log;
  const root = mkdtempSync(join(tmpdir(), 'medledger-bench-access-'));
  const dir = join(root, 'data');
  let child: Awaited<ReturnType<typeof startNodeProcess>>['child'] | undefined;
  try {
    const ordering = { ...DEFAULT_ORDERING, timeoutMs: opts.blockCutMs ?? DEFAULT_ORDERING.timeoutMs };
    const { dirs } = await initDev({ dir, port: 0, scryptN: 1024, ordering });
    // Enroll the dev members in-process (what `start --dev` does), then run the real node.
    const seeded = await start({ dir, dev: true, port: 0, log: () => {} });
    await seeded.close();
    const nodeDir = dirs.node('hospitalA');
    const proc = await startNodeProcess(nodeDir, { MEDLEDGER_PASSPHRASE: passphraseFor(nodeDir) });
    child = proc.child;
    const url = proc.url;
    log(`node process ${child.pid} listening on ${url}`);

    const members = readMembers(dirs.wallets);
    const walletPass = passphraseFor(dirs.wallets);
    const client = (label: string): RecordsClient => {
      const m = members.find((x) => x.label === label);
      if (!m) throw new Error(`no member ${label} in the dev consortium`);
      const w = openWalletFile(dirs.wallets, label, walletPass);
      return new RecordsClient({
        baseUrl: url,
        signerId: m.memberId,
        privateKey: w.keys.signing.privateKey,
        encryptionKey: w.keys.encryption.privateKey,
        waitMs: 30_000,
      });
    };
    const bob = client('bob');
    const alice = client('dr-alice');
    const readers = READERS.map(client);
    const B = bob.memberId;

    // --- set-up (not timed) -----------------------------------------------------------------
    await bob.setCareTeam([alice.memberId]);
    const subject = episodeSubject(generateEpisodeKey(), B);
    const recordIds: string[] = [];
    for (let i = 0; i < opts.records; i++) {
      const recordId = `bench-lab-${i}`;
      await alice.writeSpv({ recordId, patient: B, resource: labReport(i, subject, alice.memberId) });
      recordIds.push(recordId);
    }
    const first = await bob.state<{ category?: string; mode?: string }>(`record:${recordIds[0]!}`);
    if (first?.category !== 'lab' || first.mode !== 'spv')
      throw new Error(`the bench records are not SPV lab records: ${JSON.stringify(first)}`);
    const now = Date.now();
    for (const r of readers)
      await bob.grantConsent({
        grantId: `bench-lab-${r.memberId.slice(0, 12)}`,
        grantee: { kind: 'member', memberId: r.memberId },
        scope: { categories: ['lab'] },
        purposes: ['treatment'],
        notBefore: now - 1000,
        notAfter: now + 86_400_000,
      });
    log(`${opts.records} SPV lab records written by dr-alice; lab granted to ${READERS.join(', ')}`);

    // Calls of `batch` reads each, going round the readers and the records; `concurrency`
    // reads in flight, so ceil(concurrency / batch) calls at once. Each call reports its
    // latency once per read it verified.
    const failures = new Map<string, number>();
    const fail = (code: string): void => void failures.set(code, (failures.get(code) ?? 0) + 1);
    const callsOf = (reads: number) =>
      Array.from({ length: Math.ceil(reads / opts.batch) }, (_, c) => ({
        reader: readers[c % readers.length]!,
        recordIds: Array.from(
          { length: Math.min(opts.batch, reads - c * opts.batch) },
          (_, k) => recordIds[(c * opts.batch + k) % recordIds.length]!,
        ),
      }));
    const runReads = (reads: number, latencies: number[]): Promise<void> =>
      pool(callsOf(reads), Math.ceil(opts.concurrency / opts.batch), async ({ reader, recordIds: ids }) => {
        const s = performance.now();
        if (opts.batch === 1) {
          try {
            const rec = await reader.readSpv(ids[0]!, 'treatment');
            if (!rec.verified || rec.recordId !== ids[0]) fail('NOT_VERIFIED');
            else latencies.push(performance.now() - s);
          } catch (e) {
            fail((e as { code?: string }).code ?? (e as Error).name);
          }
          return;
        }
        try {
          const page = await reader.readSpvMany(ids.map((recordId) => ({ recordId, purpose: 'treatment' })));
          const ms = performance.now() - s;
          page.forEach((r, k) => {
            if (!r.ok) fail(r.code);
            else if (!r.record.verified || r.record.recordId !== ids[k]) fail('NOT_VERIFIED');
            else latencies.push(ms);
          });
        } catch (e) {
          for (let k = 0; k < ids.length; k++) fail((e as { code?: string }).code ?? (e as Error).name);
        }
      });

    // Bob's access log after `seq`: its allowed decisions, and the last seq seen.
    const logAfter = async (seq: number): Promise<{ allowed: { txId: string }[]; last: number }> => {
      const allowed: { txId: string }[] = [];
      let last = seq;
      for (;;) {
        const page = await bob.accessLog(last);
        if (page.length === 0) return { allowed, last };
        for (const e of page) if (e.type === 'access.decided' && e.allow === true) allowed.push(e);
        last = page[page.length - 1]!.seq;
      }
    };
    // The log is the node's index of committed blocks: give it a moment to catch up to `n`.
    const waitForLog = async (
      seq: number,
      n: number,
    ): Promise<{ allowed: { txId: string }[]; last: number }> => {
      let r = await logAfter(seq);
      for (let tries = 0; r.allowed.length < n && tries < 50; tries++) {
        await new Promise((res) => setTimeout(res, 100));
        r = await logAfter(seq);
      }
      return r;
    };

    // --- warm-up (not in the figures) -------------------------------------------------------
    let afterSeq = (await logAfter(0)).last;
    const warmupReads = opts.warmupReads ?? 0;
    const warmLatencies: number[] = [];
    if (warmupReads > 0) {
      log(`warm-up: ${warmupReads} reads...`);
      await runReads(warmupReads, warmLatencies);
      if (failures.size > 0)
        throw new Error(`warm-up reads failed: ${JSON.stringify(Object.fromEntries(failures))}`);
      // The measured reads' audit starts after the warm-up's entries.
      afterSeq = (await waitForLog(afterSeq, warmupReads)).last;
    }

    // --- measured reads ---------------------------------------------------------------------
    const http = new MedledgerClient(url);
    const status0 = (await http.status()) as unknown as { mainThread: { activeMs: number } };
    const latencies: number[] = [];
    log(`${opts.reads} consented SPV reads, ${opts.batch} per call, ${opts.concurrency} in flight...`);
    const cpu0 = process.cpuUsage();
    const nodeCpu0 = processCpuMs(child.pid!);
    const t0 = performance.now();
    await runReads(opts.reads, latencies);
    const secs = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const nodeCpuMs = processCpuMs(child.pid!) - nodeCpu0;
    const status1 = (await http.status()) as unknown as {
      height: number;
      mainThread: { activeMs: number };
    };
    const succeeded = latencies.length;
    const failed = opts.reads - succeeded;
    if (failed > 0) log(`${failed} reads failed: ${JSON.stringify(Object.fromEntries(failures))}`);

    // --- the audit: one allowed decision on the ledger per successful read ------------------
    const readerIds = new Set(readers.map((r) => r.memberId));
    const recordSet = new Set(recordIds);
    const entries = (await waitForLog(afterSeq, succeeded)).allowed;
    let auditedOnLedger = 0;
    const seen = new Set<string>();
    await pool(entries, 16, async ({ txId }) => {
      if (seen.has(txId)) return;
      seen.add(txId);
      const d = await bob.state<AccessDecisionEntry>(`access:${txId}`);
      if (
        d?.allow === true &&
        d.patient === B &&
        d.mode === 'spv' &&
        d.purpose === 'treatment' &&
        readerIds.has(d.requester) &&
        recordSet.has(d.recordId)
      )
        auditedOnLedger++;
    });
    // A read that failed after its allowed decision (e.g. a bad record) is audited too, so
    // with failures there may be more entries than successes; never fewer.
    const allAudited = failed === 0 ? auditedOnLedger === succeeded : auditedOnLedger >= succeeded;
    // --- the same run's write-only load: plain `record.anchor` commits --------------------------
    const committed = await writeOnlyLoad(readers, opts.commitTxs, log);
    const rss = peakRssMb(child.pid!);
    return {
      bench: 'access',
      reads: opts.reads,
      concurrency: opts.concurrency,
      records: opts.records,
      readers: READERS.length,
      succeeded,
      failed,
      ...(failed > 0 ? { failures: Object.fromEntries(failures) } : {}),
      seconds: round(secs, 3),
      readsPerSec: round(succeeded / secs, 1),
      p50ReadMs: round(percentile(latencies, 50), 1),
      p99ReadMs: round(percentile(latencies, 99), 1),
      warmupReads,
      coldCallMs: warmLatencies.length > 0 ? round(Math.max(...warmLatencies), 1) : null,
      auditedOnLedger,
      allAudited,
      blocks: status1.height,
      peakRssMb: round(rss, 1),
      nodeMainThreadBusy: round(
        (status1.mainThread.activeMs - status0.mainThread.activeMs) / (secs * 1000),
        3,
      ),
      clientCpuBusy: round((cpu.user + cpu.system) / 1000 / (secs * 1000), 3),
      // CPU time per read (all threads), the figure to steer by on a shared machine.
      nodeCpuMsPerRead: round(nodeCpuMs / opts.reads, 3),
      clientCpuMsPerRead: round((cpu.user + cpu.system) / 1000 / opts.reads, 3),
      batch: opts.batch,
      blockCutMs: ordering.timeoutMs,
      committedTxs: committed.txs,
      committedTxPerSec: committed.txPerSec,
      readsPerCommittedTx: committed.txPerSec > 0 ? round(succeeded / secs / committed.txPerSec, 3) : null,
    };
  } finally {
    if (child && child.exitCode === null) {
      const c = child;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await exited;
    }
    rmSync(root, { recursive: true, force: true });
  }
}
