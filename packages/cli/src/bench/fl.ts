/**
 * `medledger bench fl`: a federated study on the WDBC data set through a real node, against
 * training the same model on all the data at once.
 *
 * Set-up (node/src/fl/demo.ts): four hospitals, each holding its samples as SPV records in its
 * own SQLite EHR store, hospitalD holding mostly malignant cases (non-IID); every patient
 * enrolled and consenting to research by the institute; a seeded 20% of the samples held out as
 * the institute's test set, the same for both models. The study: round 0 aggregates the feature
 * moments (standardization), then `rounds` rounds of federated averaging of `localEpochs`
 * gradient steps, every round under pairwise-mask secure aggregation with a 3-of-4 threshold,
 * re-derived by the ledger and re-checked by a client over HTTP at the end. The centralized
 * baseline standardizes with the training samples and runs `rounds · localEpochs` gradient steps
 * of the same logistic regression on all of them.
 *
 * With `dp`, studies with differential privacy follow (one clipped gradient step per round,
 * Gaussian noise for ε ∈ {8, 4, 2, 1} at δ = 1e-5 over their training rounds, and one with
 * clipping only); `dpAccuracy` lists their accuracy on the same test samples.
 *
 * A second, short study makes hospitalD's service die after it dealt its shares in round 1:
 * `droppedParticipantRoundOk` says that round completed (hospitalD recorded as dropped) and its
 * aggregate re-derives. Round times are block times from the block that opened a round to the
 * one that closed it; ledger bytes are the canonical JSON of a round's transactions.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { gaussianNoiseMultiplier } from '@medledger/crypto';
import { DEFAULT_ORDERING, txCanonicalText, isTxOf } from '@medledger/core';
import { getModel, getRound, getStudy, type FlStudySpec } from '@medledger/core/contracts/fl';
import { FlClient } from '@medledger/client';
import {
  accuracyOf,
  loadWdbc,
  splitWdbc,
  standardizationOf,
  startFlDemo,
  trainLocal,
  type FlDemo,
  type WdbcRow,
} from '@medledger/node';
import { percentile, round } from './stats.js';

export interface BenchFlOptions {
  rounds?: number;
  localEpochs?: number;
  learningRate?: number;
  l2?: number;
  seed?: string;
  /** Block-cut timeout of the solo orderer (ms); default the genesis default (50). */
  timeoutMs?: number;
  /** Use only the first N training samples of each hospital (tests); default all. */
  samplesPerHospital?: number;
  /** Also run differentially private studies at several ε (see {@link DP_EPSILONS}). */
  dp?: boolean;
  /** Training rounds of each differentially private study (default 30). */
  dpRounds?: number;
  /** Studies per ε (default 3; the noise makes each a random draw). */
  dpRuns?: number;
  log?: (s: string) => void;
}

const HOSPITALS = ['hospitalA', 'hospitalB', 'hospitalC', 'hospitalD'];
/** Targets of the differentially private studies (null: clipping without noise); δ = 1e-5. */
export const DP_EPSILONS = [null, 8, 4, 2, 1] as const;
const DP = { clip: 1, learningRate: 2, delta: 1e-5 };

/** Bytes of each round's fl transactions of `studyId` (canonical JSON), by round. */
function ledgerBytesByRound(demo: FlDemo, studyId: string, from: number): Map<number, number> {
  const out = new Map<number, number>();
  for (let h = from; h <= demo.node.head().height; h++) {
    for (const tx of demo.node.getBlock(h)?.block.txs ?? []) {
      const p = tx.body.payload;
      if (!tx.body.type.startsWith('fl.') || p.studyId !== studyId || typeof p.round !== 'number') continue;
      out.set(p.round, (out.get(p.round) ?? 0) + Buffer.byteLength(txCanonicalText(tx)));
    }
  }
  return out;
}

/** Runs the benchmark; see the module comment. Returns one JSON object. */
export async function benchFl(o: BenchFlOptions = {}): Promise<Record<string, unknown>> {
  const log = o.log ?? (() => {});
  const rounds = o.rounds ?? 20;
  const localEpochs = o.localEpochs ?? 5;
  const learningRate = o.learningRate ?? 0.5;
  const l2 = o.l2 ?? 0.001;
  const seed = o.seed ?? 'medledger-fl';
  const dir = mkdtempSync(join(tmpdir(), 'medledger-bench-fl-'));
  const split = splitWdbc({ rows: loadWdbc(), hospitals: HOSPITALS, seed });
  const test = split.test;
  const byHospital = new Map(
    [...split.byHospital].map(([h, r]) => [h, r.slice(0, o.samplesPerHospital ?? r.length)]),
  );
  // hospitalD's connection, through which the dropout study loses it
  const lose = new Set<string>();
  let demo: FlDemo | undefined;
  try {
    const t0 = performance.now();
    demo = await startFlDemo({
      dir,
      rows: byHospital,
      timeoutMs: o.timeoutMs ?? DEFAULT_ORDERING.timeoutMs,
      ledgerFor: (org, ledger) =>
        org !== 'hospitalD'
          ? ledger
          : {
              ...ledger,
              submit: (tx) => {
                const p = tx.body.payload;
                if (isTxOf(tx.body, 'fl.update') && p.round === 1 && lose.has(String(p.studyId)))
                  return Promise.reject(new Error('connection lost'));
                return ledger.submit(tx);
              },
            },
    });
    const train = [...byHospital.values()].flat();
    log(
      `set up ${HOSPITALS.length} hospitals (${[...byHospital].map(([h, r]) => `${h} ${r.length}, ${r.filter((x) => x.y === 1).length} malignant`).join('; ')}), test ${test.length}, in ${Math.round(performance.now() - t0)} ms`,
    );
    const state = { get: (k: string) => demo!.node.stateValue(k), hasCommittedTx: () => false };
    const hyper = { rounds, localEpochs, learningRate, l2 };
    const main = demo.spec({ studyId: 'wdbc-bench', hyper, phaseMs: 10_000 });
    const from = demo.node.head().height;
    const t1 = performance.now();
    await demo.openStudy(main);
    await demo.until(
      () => ['done', 'failed'].includes(getStudy(state, main.studyId)?.status ?? ''),
      600_000,
      'the study',
    );
    const wallMs = performance.now() - t1;
    const study = getStudy(state, main.studyId)!;
    if (study.status !== 'done') throw new Error(`the study failed: ${study.failure ?? ''}`);
    const roundMs: number[] = [];
    for (let r = 0; r <= rounds; r++) {
      const rd = getRound(state, main.studyId, r)!;
      roundMs.push(rd.closedAt! - rd.openedAt);
    }
    const bytes = ledgerBytesByRound(demo, main.studyId, from);
    const trainBytes = [...bytes].filter(([r]) => r >= 1).map(([, b]) => b);
    const researcher = demo.researcher;
    const client = new FlClient(demo.url, {
      signerId: researcher.memberId,
      privateKey: researcher.keys.privateKey,
    });
    const verified = await client.verifyStudy(main.studyId);
    const model = getModel(state, main.studyId, rounds)!;
    const federatedAccuracy = accuracyOf(model, test);
    const s = standardizationOf(train, 30);
    const central = trainLocal(
      { ...s, weights: new Array<number>(31).fill(0) },
      train,
      rounds * localEpochs,
      learningRate,
      l2,
    );
    const centralizedAccuracy = accuracyOf({ ...s, weights: central }, test);
    const local = (rows: readonly WdbcRow[]) => {
      const ls = standardizationOf(rows, 30);
      const w = trainLocal(
        { ...ls, weights: new Array<number>(31).fill(0) },
        rows,
        rounds * localEpochs,
        learningRate,
        l2,
      );
      return round(accuracyOf({ ...ls, weights: w }, test), 4);
    };
    log(
      `federated ${federatedAccuracy.toFixed(4)}, centralized ${centralizedAccuracy.toFixed(4)}; verified ${verified.ok}`,
    );

    // Differentially private studies: one clipped gradient step per round, with noise for each ε.
    const dpAccuracy: Record<string, unknown>[] = [];
    if (o.dp) {
      const dpRounds = o.dpRounds ?? 30;
      for (const epsilon of DP_EPSILONS) {
        const noiseMultiplier =
          epsilon === null ? 0 : gaussianNoiseMultiplier({ epsilon, steps: dpRounds, delta: DP.delta });
        const accuracies: number[] = [];
        // the noise makes each run a random draw: several runs per ε (one without noise)
        for (let k = 0; k < (epsilon === null ? 1 : (o.dpRuns ?? 3)); k++) {
          const spec = demo.spec({
            studyId: `wdbc-dp-${epsilon ?? 'clip'}-${k}`,
            hyper: { rounds: dpRounds, localEpochs: 1, learningRate: DP.learningRate, l2 },
            dp: { clip: DP.clip, noiseMultiplier, delta: DP.delta },
            phaseMs: 10_000,
          });
          await demo.openStudy(spec);
          await demo.until(
            () => ['done', 'failed'].includes(getStudy(state, spec.studyId)?.status ?? ''),
            600_000,
            spec.studyId,
          );
          const m = getModel(state, spec.studyId, dpRounds);
          if (!m) throw new Error(`${spec.studyId} failed: ${getStudy(state, spec.studyId)?.failure ?? ''}`);
          accuracies.push(accuracyOf(m, test));
        }
        const mean = accuracies.reduce((a, b) => a + b, 0) / accuracies.length;
        dpAccuracy.push({
          epsilon,
          delta: DP.delta,
          noiseMultiplier: round(noiseMultiplier, 3),
          runs: accuracies.length,
          accuracy: round(mean, 4),
          accuracyMin: round(Math.min(...accuracies), 4),
          accuracyMax: round(Math.max(...accuracies), 4),
        });
        log(
          `dp ε ${epsilon ?? '∞ (clip only)'}: σ ${noiseMultiplier.toFixed(2)}, accuracy ${accuracies.map((x) => x.toFixed(4)).join(', ')}`,
        );
      }
    }

    // The dropout study: hospitalD dies after dealing its shares in round 1.
    const dropout: FlStudySpec = demo.spec({
      studyId: 'wdbc-dropout',
      hyper: { ...hyper, rounds: 1 },
      phaseMs: 1000,
    });
    lose.add(dropout.studyId);
    const d = demo.participants.get('hospitalD')!;
    d.once('error', () => void d.stop());
    await demo.openStudy(dropout);
    await demo.until(
      () => ['done', 'failed'].includes(getStudy(state, dropout.studyId)?.status ?? ''),
      60_000,
      'the dropout study',
    );
    const r1 = getRound(state, dropout.studyId, 1);
    const dropCheck = await client.verifyRound(dropout.studyId, 1);
    const droppedParticipantRoundOk =
      r1?.phase === 'done' && r1.contributions.hospitalD?.status === 'dropped' && dropCheck.ok;

    return {
      bench: 'fl',
      federatedAccuracy: round(federatedAccuracy, 4),
      centralizedAccuracy: round(centralizedAccuracy, 4),
      accuracyGapPoints: round((federatedAccuracy - centralizedAccuracy) * 100, 2),
      rounds,
      localEpochs,
      learningRate,
      l2,
      roundMsP50: round(percentile(roundMs, 50), 1),
      roundMsP99: round(percentile(roundMs, 99), 1),
      momentsRoundMs: roundMs[0],
      studyWallMs: Math.round(wallMs),
      ledgerBytesPerRound: Math.round(trainBytes.reduce((a, b) => a + b, 0) / trainBytes.length),
      ledgerBytesMomentsRound: bytes.get(0),
      participants: HOSPITALS.length,
      threshold: main.threshold,
      records: study.round === rounds ? getRound(state, main.studyId, rounds)!.records : undefined,
      testSamples: test.length,
      split: Object.fromEntries(
        [...byHospital].map(([h, r]) => [
          h,
          { samples: r.length, malignant: r.filter((x) => x.y === 1).length },
        ]),
      ),
      hospitalAloneAccuracy: Object.fromEntries(HOSPITALS.map((h) => [h, local(byHospital.get(h)!)])),
      verified: verified.ok,
      droppedParticipantRoundOk,
      dropoutRoundMs: r1?.closedAt !== undefined ? r1.closedAt - r1.openedAt : undefined,
      ...(o.dp
        ? {
            dpAccuracy,
            dpSetting: {
              rounds: o.dpRounds ?? 30,
              localEpochs: 1,
              learningRate: DP.learningRate,
              clip: DP.clip,
            },
          }
        : {}),
      blockCutTimeoutMs: o.timeoutMs ?? DEFAULT_ORDERING.timeoutMs,
      seed,
    };
  } finally {
    await demo?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
