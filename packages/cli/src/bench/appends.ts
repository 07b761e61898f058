/**
 * `medledger bench appends [--grants 80000] [--window 5000] [--json]`: whether appending to a
 * patient's history costs the same at any length (issue 14 §2).
 *
 * One patient grants consent to a doctor `grants` times (`consent.grant`, each its own grant id)
 * on a real node (`medledger start` as a child process: SQLite, solo ordering), in batches of
 * 250 with 4 in flight, every transaction signed before the clock starts. Each grant appends to
 * the patient's grant list in the world state (`grants:<patient>`, core/src/stateList.ts). The
 * rate is measured per window of `window` grants, so the last window's rate is the cost of an
 * append with a history of `grants - window` grants. A list rewritten whole on each append
 * (as `grants:<patient>` was, O(history) per grant) shows a falling rate; one key per entry
 * shows a flat one. Reports each window's grants/s, and the growth exponent of the time per
 * grant against the history length between the first and the last window (0: flat).
 */
import { MedledgerClient, Wallet } from '@medledger/client';
import type { SignedTx } from '@medledger/core';
import { startBenchNode } from './benchNode.js';
import { peakRssMb } from './nodeProcess.js';
import { growthExponent } from './scalePlot.js';
import { round } from './stats.js';

/** Options of {@link benchAppends}. */
export interface AppendsBenchOptions {
  /** Grants the one patient makes. */
  grants: number;
  /** Grants per measured window. */
  window: number;
  log: (s: string) => void;
}

const BATCH = 250;
const IN_FLIGHT = 4;

/**
 * Runs the benchmark (see the module comment); returns one JSON-able object:
 * `{ bench: 'appends', grants, window, windows: [{ history, grantsPerSec }], growth, ... }`.
 * @throws Error on bad options, or if a grant is not committed OK
 */
export async function benchAppends(o: AppendsBenchOptions): Promise<Record<string, unknown>> {
  if (!(Number.isInteger(o.window) && o.window >= BATCH))
    throw new Error(`--window must be an integer >= ${BATCH}`);
  if (!(Number.isInteger(o.grants) && o.grants >= 2 * o.window && o.grants % o.window === 0))
    throw new Error('--grants must be a multiple of --window, at least two windows');
  const node = await startBenchNode('bench-appends', [
    { label: 'patient', role: 'patient' },
    { label: 'doctor', role: 'doctor' },
  ]);
  try {
    const { consortium, client, chainId, url, child } = node;
    const [patient, doctor] = consortium.members as [
      (typeof consortium.members)[0],
      (typeof consortium.members)[0],
    ];
    const wallet = new Wallet({ signerId: patient.memberId, privateKey: patient.keys.privateKey });

    o.log(`signing ${o.grants} consent grants of one patient...`);
    const createdAt = Date.now();
    const txs: SignedTx[] = Array.from({ length: o.grants }, (_, i) =>
      wallet.tx({
        chainId,
        type: 'consent.grant',
        payload: {
          grantId: `append-${createdAt}-${i}`,
          grantee: { kind: 'member', memberId: doctor.memberId },
          scope: { categories: ['lab'] },
          purposes: ['treatment'],
          notBefore: createdAt - 1000,
          notAfter: createdAt + 86_400_000,
        },
        createdAt,
      }),
    );

    const windows: { history: number; grantsPerSec: number; seconds: number }[] = [];
    for (let w = 0; w < o.grants; w += o.window) {
      const batches: SignedTx[][] = [];
      for (let i = w; i < w + o.window; i += BATCH) batches.push(txs.slice(i, i + BATCH));
      let next = 0;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async () => {
          while (next < batches.length) {
            const b = batches[next++]!;
            const res = await client.submitBatch(b, { waitMs: 60_000 });
            const bad = res.find((r) => r.status !== 'committed' || r.receipt.code !== 'OK');
            if (bad) throw new Error(`a grant was not committed OK: ${JSON.stringify(bad)}`);
          }
        }),
      );
      const secs = (performance.now() - t0) / 1000;
      windows.push({ history: w, grantsPerSec: round(o.window / secs, 1), seconds: round(secs, 3) });
      o.log(`grants ${w + 1}..${w + o.window} (history ${w}): ${Math.round(o.window / secs)} grants/s`);
    }
    // The grant list holds every grant: its length is the history the last window appended to.
    const asPatient = new MedledgerClient(url, {
      signerId: patient.memberId,
      privateKey: patient.keys.privateKey,
    });
    const list = (await asPatient.getState<{ n?: number }>(`grants:${patient.memberId}`)).value;
    if (list?.n !== o.grants)
      throw new Error(`the grant list holds ${JSON.stringify(list)}, not ${o.grants}`);
    const first = windows[1]!; // the first window also pays V8 compiling the path
    const last = windows[windows.length - 1]!;
    return {
      bench: 'appends',
      grants: o.grants,
      window: o.window,
      windows,
      grantListLength: list.n,
      // Time per grant ∝ history^k between the second window and the last.
      timePerGrantGrowth: round(
        growthExponent(
          { txs: first.history, value: 1 / first.grantsPerSec },
          { txs: last.history, value: 1 / last.grantsPerSec },
        ),
        3,
      ),
      lastToSecondWindowRate: round(last.grantsPerSec / first.grantsPerSec, 3),
      peakRssMb: round(peakRssMb(child.pid!), 1),
    };
  } finally {
    await node.stop();
  }
}
