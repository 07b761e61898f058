/**
 * Crash safety: a node committing under load is killed with SIGKILL at a random moment, 20
 * times over the same data directory. After each kill the node restarts, every transaction
 * whose receipt a client got is there with the same receipt, and the ledger verifies. A kill
 * counts as one "with pending" only if transactions were submitted and not yet acknowledged
 * when it struck; after the restart each of those is either committed with a receipt or not on
 * the ledger at all, and most kills must strike with some in flight, or the test proves little.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { HashTag, hashTagged, toHex, utf8 } from '@medledger/crypto';
import { MedledgerClient, MedledgerHttpError, type Receipt } from '@medledger/client';
import { verifyLedger } from '@medledger/node';
import { txIdOf, type SignedTx } from '@medledger/core';
import { startNodeProcess } from '../src/bench/nodeProcess.js';
import { memberWallet, readMembers } from '../src/dirs/wallets.js';
import { start } from '../src/commands/start.js';
import { makeDevDir } from './helpers.js';

const TRIALS = 20;

test(
  `crash: SIGKILL under load at random moments (${TRIALS} trials) loses no acknowledged transaction`,
  { timeout: 600_000 },
  async () => {
    const { dir, nodeDir, passphrase, wallets: walletsDir, walletPassphrase } = await makeDevDir();
    // Seed the demo members once, in-process.
    const seeded = await start({ dir, dev: true, port: 0, log: () => {} });
    const chainId = seeded.node.chainId;
    await seeded.close();
    const wallets = readMembers(walletsDir)
      .filter((m) => m.role === 'doctor')
      .map((m) => memberWallet(walletsDir, m.label, walletPassphrase));
    const acknowledged = new Map<string, Receipt>();
    let seq = 0;
    let killedWithPending = 0;
    /** Transactions of batches sent and not yet answered. */
    const inFlight = new Set<string>();
    let unacknowledgedAtKill: string[] = [];
    let committedUnacknowledged = 0;
    // What was in flight at the last kill committed whole, with a receipt, or not at all.
    const checkUnacknowledged = async (client: MedledgerClient, when: string): Promise<void> => {
      for (const id of unacknowledgedAtKill) {
        const r = await client.getReceipt(id).catch((e: unknown) => {
          if (e instanceof MedledgerHttpError && e.status === 404) return undefined;
          throw e;
        });
        if (r === undefined) continue;
        assert.equal(r.txId, id);
        assert.equal(r.code, 'OK', `${when}: ${id} committed with ${r.code}`);
        committedUnacknowledged++;
      }
    };
    try {
      for (let trial = 0; trial < TRIALS; trial++) {
        const { child, url } = await startNodeProcess(nodeDir, { MEDLEDGER_PASSPHRASE: passphrase });
        const client = new MedledgerClient(url);
        // Every receipt acknowledged so far is still there, unchanged, after the restart.
        for (const [id, r] of acknowledged)
          assert.deepEqual(await client.getReceipt(id), r, `trial ${trial}: receipt of ${id}`);
        await checkUnacknowledged(client, `trial ${trial}`);
        let stop = false;
        const load = async (): Promise<void> => {
          while (!stop) {
            const txs: SignedTx[] = Array.from({ length: 40 }, () => {
              const n = seq++;
              return wallets[n % wallets.length]!.tx({
                chainId,
                type: 'record.anchor',
                payload: { recordId: `crash-${n}`, hash: toHex(hashTagged(HashTag.record, utf8(String(n)))) },
                createdAt: Date.now(),
              });
            });
            const ids = txs.map((t) => txIdOf(t.body));
            for (const id of ids) inFlight.add(id);
            try {
              const res = await client.submitBatch(txs, { waitMs: 5000 });
              for (const r of res) if (r.status === 'committed') acknowledged.set(r.txId, r.receipt);
            } catch {
              return; // the node died under us: what was not acknowledged may or may not be there
            }
            for (const id of ids) if (acknowledged.has(id)) inFlight.delete(id);
          }
        };
        const loaders = [load(), load(), load()];
        await new Promise((r) => setTimeout(r, 150 + Math.random() * 900));
        unacknowledgedAtKill = [...inFlight].filter((id) => !acknowledged.has(id));
        child.kill('SIGKILL');
        await new Promise((r) => child.once('exit', r));
        stop = true;
        await Promise.all(loaders);
        if (unacknowledgedAtKill.length > 0) killedWithPending++;
        inFlight.clear();
      }
      // Final restart: every acknowledged transaction is present, and the ledger verifies.
      const { child, url } = await startNodeProcess(nodeDir, { MEDLEDGER_PASSPHRASE: passphrase });
      const client = new MedledgerClient(url);
      for (const [id, r] of acknowledged) assert.deepEqual(await client.getReceipt(id), r);
      await checkUnacknowledged(client, 'final restart');
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      const report = await verifyLedger(join(nodeDir, 'ledger.sqlite'));
      assert.equal(report.ok, true, JSON.stringify(report));
      assert.ok(
        killedWithPending >= TRIALS / 2,
        `only ${killedWithPending} of ${TRIALS} kills struck with transactions in flight`,
      );
      console.log(
        `crash: ${killedWithPending}/${TRIALS} kills with transactions in flight; ${committedUnacknowledged} unacknowledged transactions committed anyway, the rest absent`,
      );
      assert.ok(acknowledged.size > TRIALS * 20, `only ${acknowledged.size} acknowledged transactions`);
    } finally {
      rmSync(join(dir, '..'), { recursive: true, force: true });
    }
  },
);
