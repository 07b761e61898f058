/**
 * `medledger bench queries --dir D [--samples N] [--json]`: the latency of the queries a
 * patient's page and a light client make, on a ledger `medledger generate` built in D.
 *
 * Starts D's node as a child process (`medledger start`), then, one request at a time over a
 * keep-alive connection, each signed as its caller (signing is done before the clock starts):
 *   - `GET /v1/patients/:id/records`     a patient's record history (the node's record index)
 *   - `GET /v1/patients/:id/access-log`  a patient's access log (the index's patient log)
 *   - `GET /v1/patients/:id/consents`    a patient's consent list (the world state's grant list)
 *     — for N patients spread over the ledger, each signed by that patient;
 *   - `GET /v1/txs/:id`                  a committed transaction with its receipt, inclusion
 *     proof, header and checkpoint — for N transaction ids sampled over the whole run, signed
 *     by a doctor.
 * An untimed warm-up of each query comes first. Latency is request sent → answer parsed, as the
 * caller sees it. Reports p50/p99 per query, the answers' mean sizes, the node's peak RSS (VmHWM:
 * its high-water mark since it started, so while it serves these queries at this ledger size)
 * and the machine's load average; and, as the machine's floor at that moment, the latency of an
 * unsigned `GET /v1/status` (which reads nothing from the store).
 */
import { Agent } from 'node:http';
import { loadavg } from 'node:os';
import { importP256PrivateKey } from '@medledger/crypto';
import { signRequest } from '@medledger/client';
import type { KeyObject } from 'node:crypto';
import { getJson, getStatus } from './http.js';
import { peakRssMb, startNodeProcess } from './nodeProcess.js';
import { keyOf, nodeDirOf, readFixture, type ScaleMember } from './scaleSetup.js';
import { percentile, round } from './stats.js';

/** Options of {@link benchQueries}. */
export interface QueriesBenchOptions {
  dir: string;
  /** Patients queried (each: records, access log, consents) and transactions read. */
  samples: number;
  log: (s: string) => void;
}

/** Spreads `n` picks over `xs` (every k-th), in a fixed order. */
function spread<T>(xs: readonly T[], n: number, offset = 0): T[] {
  if (xs.length === 0) return [];
  const step = Math.max(1, Math.floor(xs.length / n));
  const out: T[] = [];
  for (let i = offset % step; i < xs.length && out.length < n; i += step) out.push(xs[i]!);
  return out;
}

/**
 * Runs the benchmark (see the module comment); returns one JSON-able object:
 * `{ bench: 'queries', txs, patients, samples, recordsP99Ms, accessLogP99Ms, consentsP99Ms,
 * txProofP99Ms, ..., peakRssMb, loadAverage }`.
 * @throws Error if D holds no generated ledger, or a query fails
 */
export async function benchQueries(o: QueriesBenchOptions): Promise<Record<string, unknown>> {
  if (!(Number.isInteger(o.samples) && o.samples >= 1)) throw new Error('--samples must be an integer >= 1');
  const f = readFixture(o.dir);
  if (!f.chainId) throw new Error(`${o.dir}: the generator did not finish (no chain id in scale.json)`);
  const chainId = f.chainId;
  const { child, url } = await startNodeProcess(nodeDirOf(o.dir), { MEDLEDGER_PASSPHRASE: f.passphrase });
  try {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const keys = new Map<string, KeyObject>();
    let lastTs = 0;
    // Signed as `m`; a fresh time each (the node refuses a replayed request).
    const signedGet = (m: ScaleMember, path: string): { u: URL; auth: string } => {
      let key = keys.get(m.id);
      if (!key) keys.set(m.id, (key = importP256PrivateKey(keyOf(m))));
      lastTs = Math.max(Date.now(), lastTs + 1);
      const auth = signRequest({
        audience: { chainId, node: f.org },
        signerId: m.id,
        privateKey: key,
        method: 'GET',
        path,
        ts: lastTs,
      });
      return { u: new URL(path, url), auth };
    };
    const timed = async (
      m: ScaleMember,
      path: string,
      check: (body: Record<string, unknown>) => number,
    ): Promise<{ ms: number; items: number; bytes: number }> => {
      const { u, auth } = signedGet(m, path);
      const s = performance.now();
      const body = await getJson<Record<string, unknown>>(agent, u, auth);
      const ms = performance.now() - s;
      return { ms, items: check(body), bytes: JSON.stringify(body).length };
    };
    const list = (k: string) => (b: Record<string, unknown>) => {
      const v = b[k];
      if (!Array.isArray(v)) throw new Error(`answer without ${k}: ${JSON.stringify(b).slice(0, 200)}`);
      return v.length;
    };
    const queries = [
      { name: 'records', path: (id: string) => `/v1/patients/${id}/records`, check: list('records') },
      { name: 'accessLog', path: (id: string) => `/v1/patients/${id}/access-log`, check: list('entries') },
      { name: 'consents', path: (id: string) => `/v1/patients/${id}/consents`, check: list('grants') },
    ];
    const reader = f.doctors[0]!;
    const txProof = (id: string): Promise<{ ms: number; items: number; bytes: number }> =>
      timed(reader, `/v1/txs/${id}`, (b) => {
        if (typeof b.proof !== 'object' || typeof b.header !== 'object')
          throw new Error('answer without a proof');
        return 1;
      });

    o.log(`warm-up (${Math.min(20, o.samples)} of each query, not timed)...`);
    for (const p of spread(f.patients, Math.min(20, o.samples), 1))
      for (const q of queries) await timed(p, q.path(p.id), q.check);
    for (const id of spread(f.sampleTxIds, Math.min(20, o.samples), 1)) await txProof(id);

    o.log(
      `${o.samples} patients × ${queries.length} queries and ${o.samples} transactions with their proofs...`,
    );
    const out: Record<string, unknown> = {};
    const patients = spread(f.patients, o.samples);
    let worstP99 = 0;
    for (const q of queries) {
      const ms: number[] = [];
      let items = 0;
      let bytes = 0;
      for (const p of patients) {
        const r = await timed(p, q.path(p.id), q.check);
        ms.push(r.ms);
        items += r.items;
        bytes += r.bytes;
      }
      const p99 = percentile(ms, 99);
      worstP99 = Math.max(worstP99, p99);
      out[`${q.name}P50Ms`] = round(percentile(ms, 50), 2);
      out[`${q.name}P99Ms`] = round(p99, 2);
      out[`${q.name}Items`] = items;
      out[`${q.name}MeanItems`] = round(items / patients.length, 1);
      out[`${q.name}MeanBytes`] = Math.round(bytes / patients.length);
    }
    const txMs: number[] = [];
    let txBytes = 0;
    const txIds = spread(f.sampleTxIds, o.samples);
    for (const id of txIds) {
      const r = await txProof(id);
      txMs.push(r.ms);
      txBytes += r.bytes;
    }
    // The floor of this machine at this moment: an unsigned GET /v1/status, which reads nothing
    // from the store. On a shared machine under load it is most of a query's time.
    const floor: number[] = [];
    for (let i = 0; i < o.samples; i++) {
      const s = performance.now();
      await getStatus(agent, url);
      floor.push(performance.now() - s);
    }
    const status = await getStatus<{ height: number }>(agent, url);
    agent.destroy();
    return {
      bench: 'queries',
      txs: f.txs,
      patients: f.patients.length,
      height: status.height,
      samples: patients.length,
      ...out,
      queryP99Ms: round(worstP99, 2),
      txProofP50Ms: round(percentile(txMs, 50), 2),
      txProofP99Ms: round(percentile(txMs, 99), 2),
      txProofMeanBytes: Math.round(txBytes / Math.max(1, txIds.length)),
      txsRead: txIds.length,
      statusP50Ms: round(percentile(floor, 50), 2),
      statusP99Ms: round(percentile(floor, 99), 2),
      peakRssMb: round(peakRssMb(child.pid!), 1),
      loadAverage: loadavg().map((x) => round(x, 2)),
    };
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}
