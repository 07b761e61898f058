/**
 * `medledger bench scale [--sizes 10000,100000,1000000] [--dir D] [--out docs] [--json]`: how the
 * node's figures grow with the ledger. At each size it generates a ledger
 * (`medledger generate`, with one patient per 100 transactions, at most 10,000, so a patient's
 * history is about the same at every size and only the ledger grows), then measures:
 *   - the commit rate (committed tx/s of the generation);
 *   - read p99: `GET /v1/txs/:id` with its inclusion proof (`bench queries`);
 *   - query p99: the slowest of a patient's records, access log and consents (`bench queries`);
 *   - store bytes: the node's ledger.sqlite with its WAL, and its whole directory;
 *   - the verify rate (`medledger verify`: tx/s re-checked from genesis);
 *   - the sync rate: a new node fetching, verifying and applying every block (`bench sync`);
 *   - the node's peak RSS while it generates and while it serves the queries.
 * It writes `<out>/scale.svg` (a panel per figure against ledger size, Vega-Lite) and
 * `<out>/scale.json` (the rows), and reports each figure's growth exponent between the smallest
 * and the largest size (figure ∝ size^k: 1 grows as the ledger, 0 stays flat).
 * Without --dir each ledger is made in a temp directory and removed after it is measured.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from '../commands/generate.js';
import { verify } from '../commands/verify.js';
import { benchQueries } from './queries.js';
import { benchSync } from './sync.js';
import { nodeDirOf, readFixture } from './scaleSetup.js';
import { growthExponent, scalePlotSvg, type ScalePoint } from './scalePlot.js';
import { round } from './stats.js';

/** Options of {@link benchScale}. */
export interface ScaleBenchOptions {
  sizes: number[];
  samples: number;
  /** Keep each ledger in `<dir>/ledger-<size>` (default: temp directories, removed). */
  dir?: string;
  /** Sizes above this are not verified (default: every size). */
  verifyMax?: number;
  /** Where the plot and the rows go. */
  out: string;
  log: (s: string) => void;
}

/** The patients of a ledger of `txs` transactions: one per 100, at least 10, at most 10,000. */
export const patientsFor = (txs: number): number => Math.max(10, Math.min(10_000, Math.round(txs / 100)));

/** The figures plotted, by row field, with their panel titles. */
const FIGURES: [string, string][] = [
  ['commitTxPerSec', 'commit rate (tx/s)'],
  ['readP99Ms', 'read p99: GET /v1/txs/:id + proof (ms)'],
  ['queryP99Ms', "query p99: a patient's records, log, consents (ms)"],
  ['ledgerBytes', 'store: ledger.sqlite + WAL (bytes)'],
  ['verifyTxPerSec', 'verify rate (tx/s)'],
  ['syncTxPerSec', 'sync rate of a new node (tx/s)'],
  ['servePeakRssMb', 'node peak RSS while serving (MB)'],
];

/**
 * Runs the benchmark (see the module comment) and returns `{ bench: 'scale', rows, growth, plot }`.
 * @throws Error if a size is not an integer above its set-up, or a step fails
 */
export async function benchScale(o: ScaleBenchOptions): Promise<Record<string, unknown>> {
  if (o.sizes.length === 0 || o.sizes.some((n) => !Number.isInteger(n) || n < 1000))
    throw new Error('--sizes must be integers >= 1000, comma-separated');
  const sizes = [...o.sizes].sort((a, b) => a - b);
  const root = o.dir ?? mkdtempSync(join(tmpdir(), 'medledger-scale-'));
  mkdirSync(root, { recursive: true });
  const rows: Record<string, number | number[]>[] = [];
  try {
    for (const txs of sizes) {
      const dir = join(root, `ledger-${txs}`);
      o.log(`--- ${txs} transactions, ${patientsFor(txs)} patients`);
      // A ledger this command generated before (its summary kept in scale.json) is measured
      // again without generating it anew; a directory left by an interrupted run is remade.
      const before = existsSync(join(dir, 'scale.json')) ? readFixture(dir) : undefined;
      let g: Record<string, unknown>;
      if (before?.summary !== undefined && before.txs === txs) {
        o.log(`reusing the ledger generated in ${dir}`);
        g = before.summary;
      } else {
        rmSync(dir, { recursive: true, force: true });
        g = await generate({
          txs,
          patients: patientsFor(txs),
          dir,
          log: o.log,
          progress: process.stderr,
        });
      }
      o.log(JSON.stringify(g));
      if (g.failed !== 0)
        throw new Error(
          `generate ${txs}: ${String(g.failed)} transactions failed: ${JSON.stringify(g.failures)}`,
        );
      const q = await benchQueries({ dir, samples: o.samples, log: o.log });
      o.log(JSON.stringify(q));
      // Verifying replays the whole ledger (about as long as generating it): --verify-max skips
      // it above a size on a machine too busy for it.
      const v = txs <= (o.verifyMax ?? Infinity) ? await verify(nodeDirOf(dir), process.stderr) : undefined;
      o.log(JSON.stringify(v ?? { verify: 'skipped (--verify-max)' }));
      if (v && !v.ok) throw new Error(`verify ${txs}: ${v.reason}`);
      const sy = await benchSync({ dir, log: o.log });
      o.log(JSON.stringify(sy));
      const row = {
        txs,
        patients: g.patients as number,
        height: g.height as number,
        commitTxPerSec: g.txPerSec as number,
        readP99Ms: q.txProofP99Ms as number,
        readP50Ms: q.txProofP50Ms as number,
        statusP99Ms: q.statusP99Ms as number,
        queryP99Ms: q.queryP99Ms as number,
        recordsP99Ms: q.recordsP99Ms as number,
        accessLogP99Ms: q.accessLogP99Ms as number,
        consentsP99Ms: q.consentsP99Ms as number,
        ledgerBytes: g.ledgerBytes as number,
        nodeDirBytes: g.nodeDirBytes as number,
        ledgerBytesPerMillionTx: g.ledgerBytesPerMillionTx as number,
        verifyTxPerSec: v?.txPerSec ?? NaN,
        verifyBlocksPerSec: v?.blocksPerSec ?? NaN,
        verifySeconds: v?.seconds ?? NaN,
        syncTxPerSec: sy.txPerSec as number,
        syncBlocksPerSec: sy.blocksPerSec as number,
        syncSeconds: sy.seconds as number,
        generatePeakRssMb: g.peakRssMb as number,
        servePeakRssMb: q.peakRssMb as number,
        loadAverage: loadavg().map((x) => round(x, 2)),
      };
      o.log(JSON.stringify(row));
      rows.push(row);
      await writePlot(rows, o.out);
      if (o.dir === undefined) rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    if (o.dir === undefined) rmSync(root, { recursive: true, force: true });
  }
  const { plot, growth } = await writePlot(rows, o.out);
  return { bench: 'scale', sizes, rows, growth, plot };
}

/**
 * Writes `<out>/scale.svg` and `<out>/scale.json` from the rows measured so far (after each
 * size, so a run stopped at the largest size still leaves the smaller ones plotted), or from the
 * rows of an earlier run's scale.json.
 */
export async function writePlot(
  rows: readonly Record<string, number | number[]>[],
  out: string,
): Promise<{ plot: string; growth: Record<string, number> }> {
  const growth: Record<string, number> = {};
  const points: ScalePoint[] = [];
  for (const [field, title] of FIGURES) {
    // Between the smallest and the largest size that have the figure (verify may be skipped).
    const have = rows.filter((r) => typeof r[field] === 'number' && (r[field] as number) > 0);
    const [first, last] = [have[0], have[have.length - 1]];
    growth[field] =
      first && last
        ? round(
            growthExponent(
              { txs: first.txs as number, value: first[field] as number },
              { txs: last.txs as number, value: last[field] as number },
            ),
            3,
          )
        : NaN;
    for (const r of have) points.push({ txs: r.txs as number, figure: title, value: r[field] as number });
  }
  mkdirSync(out, { recursive: true });
  const plot = join(out, 'scale.svg');
  writeFileSync(
    plot,
    await scalePlotSvg(points, 'medledger: figures against ledger size (medledger bench scale)'),
  );
  writeFileSync(join(out, 'scale.json'), `${JSON.stringify({ rows, growth }, null, 2)}\n`);
  return { plot, growth };
}
