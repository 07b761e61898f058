/**
 * `medledger bench fl` at a tiny size: the JSON has the fields the issue names, the study
 * verifies, the dropout round completes, and differentially private runs report their ε.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benchFl } from '../src/bench/fl.js';

test(
  'bench fl: a tiny run reports both accuracies, round times, ledger bytes, the dropout round and accuracy at several ε',
  { timeout: 120_000 },
  async () => {
    const r = await benchFl({
      rounds: 2,
      localEpochs: 2,
      samplesPerHospital: 8,
      timeoutMs: 5,
      dp: true,
      dpRounds: 1,
      dpRuns: 1,
    });
    for (const k of [
      'federatedAccuracy',
      'centralizedAccuracy',
      'roundMsP50',
      'roundMsP99',
      'ledgerBytesPerRound',
    ])
      assert.equal(typeof r[k], 'number', k);
    assert.ok((r.federatedAccuracy as number) > 0.5 && (r.federatedAccuracy as number) <= 1);
    assert.ok((r.roundMsP99 as number) >= (r.roundMsP50 as number));
    assert.ok(
      (r.ledgerBytesPerRound as number) > 1000,
      'four masked updates and their shares are on the ledger',
    );
    assert.equal(r.rounds, 2);
    assert.equal(r.participants, 4);
    assert.equal(r.records, 32);
    assert.equal(r.verified, true);
    assert.equal(r.droppedParticipantRoundOk, true);
    const dp = r.dpAccuracy as { epsilon: number | null; noiseMultiplier: number; accuracy: number }[];
    assert.deepEqual(
      dp.map((x) => x.epsilon),
      [null, 8, 4, 2, 1],
    );
    assert.equal(dp[0]!.noiseMultiplier, 0);
    for (let i = 1; i < dp.length; i++)
      assert.ok(dp[i]!.noiseMultiplier > dp[i - 1]!.noiseMultiplier, 'smaller ε, more noise');
    for (const x of dp) assert.ok(x.accuracy > 0 && x.accuracy <= 1);
  },
);
