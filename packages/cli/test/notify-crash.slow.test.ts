/**
 * Crash between commit and notification, on a real node process: the patient signs a batch
 * of consent grants (each notifies him), and the node is killed with SIGKILL the moment the
 * first of them is durable in its ledger file — before its main thread has had a chance to
 * hand the block to the notification hub. After a restart, the patient's server-sent event
 * stream replays one notification for every grant that committed, and none twice.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { MedledgerClient, subscribeNotifications, type PatientNotification } from '@medledger/client';
import { txIdOf, type SignedTx } from '@medledger/core';
import { LedgerStore } from '@medledger/node';
import { startNodeProcess } from '../src/bench/nodeProcess.js';
import { memberWallet, openWalletFile, readMembers } from '../src/dirs/wallets.js';
import { start } from '../src/commands/start.js';
import { makeDevDir } from './helpers.js';

const GRANTS = 800;

test(
  'crash: SIGKILL right after a block of patient-notifying grants is durable — after a restart every committed grant is notified exactly once',
  { timeout: 180_000 },
  async () => {
    const { dir, nodeDir, passphrase, wallets, walletPassphrase } = await makeDevDir();
    const env = { MEDLEDGER_PASSPHRASE: passphrase };
    const seeded = await start({ dir, dev: true, port: 0, log: () => {} });
    const chainId = seeded.node.chainId;
    await seeded.close();
    const bob = memberWallet(wallets, 'bob', walletPassphrase);
    const now = Date.now();
    const txs: SignedTx[] = Array.from({ length: GRANTS }, (_, i) =>
      bob.tx({
        chainId,
        type: 'consent.grant',
        payload: {
          grantId: `g-crash-${i}`,
          grantee: { kind: 'org', org: 'hospitalB' },
          scope: { categories: ['lab'] },
          purposes: ['treatment'],
          notBefore: now - 60_000,
          notAfter: now + 86_400_000,
        },
        createdAt: now,
      }),
    );
    const ids = txs.map((tx) => txIdOf(tx.body));

    let node = await startNodeProcess(nodeDir, env);
    // A read-only connection of this process: it sees a block as soon as the node's writer
    // thread has committed it.
    const ledger = new LedgerStore(join(nodeDir, 'ledger.sqlite'), { readonly: true });
    const durable = { get: (id: string) => ledger.getTxLocation(id) };
    try {
      const submitted = new MedledgerClient(node.url).submitBatch(txs).catch(() => undefined);
      // Kill the node the moment a grant is on disk, with no time for anything after the commit.
      const deadline = Date.now() + 60_000;
      while (ids.every((id) => durable.get(id) === undefined)) {
        if (Date.now() > deadline) throw new Error('no grant committed');
        await new Promise((r) => setImmediate(r));
      }
      node.child.kill('SIGKILL');
      await new Promise((r) => node.child.once('exit', r));
      await submitted;
      const committed = new Map<string, number>();
      for (const id of ids) {
        const h = durable.get(id)?.height;
        if (h !== undefined) committed.set(id, h);
      }
      assert.ok(committed.size > 0);

      node = await startNodeProcess(nodeDir, env);
      const got: PatientNotification[] = [];
      const bobEntry = readMembers(wallets).find((m) => m.label === 'bob')!;
      const sub = subscribeNotifications({
        baseUrl: node.url,
        patientId: bobEntry.memberId,
        privateKey: openWalletFile(wallets, 'bob', walletPassphrase).keys.signing.privateKey,
        since: Math.min(...committed.values()),
        onNotification: (n) => got.push(n),
      });
      await sub.opened;
      const ours = (): PatientNotification[] =>
        got.filter((n) => n.type === 'consent.granted' && committed.has(n.txId));
      const until = Date.now() + 60_000;
      while (ours().length < committed.size && Date.now() < until)
        await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 300)); // anything twice would arrive by now
      sub.close();
      await sub.done;
      const count = new Map<string, number>();
      for (const n of got) count.set(n.txId, (count.get(n.txId) ?? 0) + 1);
      const missing = [...committed.keys()].filter((id) => !count.has(id));
      assert.deepEqual(
        missing,
        [],
        `${missing.length} of ${committed.size} committed grants were never notified`,
      );
      assert.deepEqual(
        [...count].filter(([, c]) => c > 1),
        [],
        'no notification twice',
      );
      assert.ok(
        got.every((n) => n.type !== 'consent.granted' || committed.has(n.txId)),
        'only committed grants are notified',
      );
    } finally {
      ledger.close();
      node.child.kill('SIGTERM');
      await new Promise((r) => (node.child.exitCode === null ? node.child.once('exit', r) : r(undefined)));
    }
  },
);
