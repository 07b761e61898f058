/**
 * Integration: faults in a federated study through a real node. hospitalD's connection to the
 * ledger is wrapped: in round 1 of a study it loses the connection and its service dies after
 * dealing shares (dropout), sends a malformed update, or has its update delivered late. Each
 * time the round completes with the other three, the ledger records what happened to
 * hospitalD, and hospitalD is back in the next round.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { toB64u } from '@medledger/crypto';
import type { SignedTx } from '@medledger/core';
import { getStudy } from '@medledger/core/contracts/fl';
import { FlParticipant, type FlLedger } from '../src/fl/index.js';
import { HOSPITALS, flTestWorld, type FlTestWorld } from './helpers/fl.js';

let w: FlTestWorld;
/** hospitalD's view of the ledger, with the faults below. */
let dLedger: FlLedger;
/** What happens to hospitalD's transactions, by study. */
const faults = new Map<string, (tx: SignedTx, ledger: FlLedger) => Promise<string>>();

before(async () => {
  w = await flTestWorld({
    perHospital: 8,
    ledgerFor: (org, ledger) =>
      org !== 'hospitalD'
        ? ledger
        : (dLedger = {
            ...ledger,
            submit: (tx) => {
              const f = faults.get(String(tx.body.payload.studyId));
              return f ? f(tx, ledger) : ledger.submit(tx);
            },
          }),
  });
});
after(async () => w?.cleanup());

const isRound1Update = (tx: SignedTx) => tx.body.type === 'fl.update' && tx.body.payload.round === 1;

async function run(studyId: string, phaseMs: number) {
  const spec = w.demo.spec({
    studyId,
    phaseMs,
    hyper: { rounds: 2, localEpochs: 2, learningRate: 0.5, l2: 0.001 },
  });
  assert.equal((await w.demo.openStudy(spec)).code, 'OK');
  const study = await w.finished(studyId);
  assert.equal(study.status, 'done', study.failure);
  return { r1: w.round(studyId, 1), r2: w.round(studyId, 2) };
}

test('behavior: a participant that disappears mid-round (after dealing shares) does not stall it; it is back next round', async () => {
  const d = w.demo.participants.get('hospitalD')!;
  let dropped = false;
  faults.set('dropout', async (tx, ledger) => {
    if (!isRound1Update(tx)) return ledger.submit(tx);
    dropped = true;
    setImmediate(() => {
      void d.stop().then(() => {
        // the hospital restarts its service (same node key and EHR store, no round secrets)
        const again = new FlParticipant({
          ledger: dLedger,
          autoJoin: true,
          org: 'hospitalD',
          nodeKey: w.demo.consortium.orgs.get('hospitalD')!.node.privateKey,
          ehr: w.demo.ehr.get('hospitalD')!,
        });
        w.demo.participants.set('hospitalD', again);
        again.start();
      });
    });
    throw new Error('connection lost');
  });
  const { r1, r2 } = await run('dropout', 800);
  assert.ok(dropped);
  assert.deepEqual(r1.u2, HOSPITALS, 'hospitalD dealt its shares...');
  assert.deepEqual(r1.u3, ['hospitalA', 'hospitalB', 'hospitalC'], '...and sent no update');
  assert.deepEqual(r1.contributions.hospitalD, { status: 'dropped', phase: 'masked' });
  assert.equal(r1.records, 24);
  assert.equal(r2.contributions.hospitalD?.status, 'included');
  assert.equal(r2.records, 32);
  const v = await w.client().verifyRound('dropout', 1);
  assert.equal(v.ok, true, v.ok ? '' : v.reason);
});

test('behavior: a malformed update is rejected, recorded on the ledger, and the round completes without waiting', async () => {
  faults.set('malformed', async (tx, ledger) => {
    if (!isRound1Update(tx)) return ledger.submit(tx);
    const p = tx.body.payload;
    const bad = w.demo.wallet('node:hospitalD').txFromJson({
      chainId: ledger.chainId,
      type: 'fl.update',
      payload: { ...p, masked: toB64u(new Uint8Array(16 * 30)) }, // 30 elements; the model has 31
      createdAt: Date.now(),
    });
    return ledger.submit(bad);
  });
  // a 60 s phase: if the round waited for a deadline the test would time out
  const { r1, r2 } = await run('malformed', 60_000);
  assert.deepEqual(r1.contributions.hospitalD, {
    status: 'malformed',
    phase: 'masked',
    records: 8,
    reason: 'masked update has 30 elements; the round has 31',
    height: r1.contributions.hospitalD!.height!,
  });
  assert.deepEqual(r1.u3, ['hospitalA', 'hospitalB', 'hospitalC']);
  assert.equal(r1.records, 24);
  assert.equal(r2.contributions.hospitalD?.status, 'included');
  assert.equal((await w.client().verifyRound('malformed', 1)).ok, true);
});

test('behavior: an update delivered after its phase closed is recorded late, and the round completes without it', async () => {
  faults.set('late', async (tx, ledger) => {
    if (!isRound1Update(tx)) return ledger.submit(tx);
    // held back until the masked phase of round 1 has been closed by the deadline
    await w.demo.until(() => {
      const s = getStudy(w.state, 'late')!;
      return s.round > 1 || w.round('late', 1).phase !== 'masked';
    });
    return ledger.submit(tx);
  });
  const { r1, r2 } = await run('late', 800);
  assert.equal(r1.contributions.hospitalD?.status, 'late');
  assert.equal(r1.contributions.hospitalD?.records, 8);
  assert.deepEqual(r1.u3, ['hospitalA', 'hospitalB', 'hospitalC']);
  assert.equal(r1.records, 24);
  assert.equal(r2.contributions.hospitalD?.status, 'included');
});
