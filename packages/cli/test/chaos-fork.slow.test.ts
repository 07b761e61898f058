/**
 * Chaos on real processes, bad state and bad blocks: a node whose stored state was changed
 * behind its back while it was stopped detects the fork against the quorum checkpoint and
 * halts with an alarm while the others go on; and a malformed block, then a block signed by
 * the wrong key, written straight into etcd by a rogue writer: every node refuses it, halts
 * with an alarm that says why, and applies nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import Database from 'better-sqlite3';
import { HashTag, hashTagged, toHex, utf8 } from '@medledger/crypto';
import { MedledgerClient, MedledgerHttpError } from '@medledger/client';
import { signBlockHeader, txIdOf, txRootOf, type Block, type BlockHeader } from '@medledger/core';
import { paths } from '@medledger/node';
import type { ProcessCluster } from '../src/cluster/processCluster.js';
import { memberWallet } from '../src/dirs/wallets.js';
import { passphraseFor } from '../src/passphrase.js';
import {
  checkConverged,
  cutterOf,
  doctorWallets,
  Load,
  runCliVerify,
  sleep,
  withChaosCluster,
} from './chaosHelpers.js';

/** Resolves once every node in `orgs` reports an alarm matching `re`; returns their heights. */
async function waitHalted(
  c: ProcessCluster,
  orgs: string[],
  re: RegExp,
  timeoutMs = 20_000,
): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = (await c.status()).filter((r) => orgs.includes(r.org));
    if (rows.every((r) => typeof r.halted === 'string' && re.test(r.halted)))
      return rows.map((r) => r.height!);
    if (Date.now() > deadline)
      throw new Error(
        `not every node halted with ${re}: ${rows.map((r) => `${r.org}: ${r.halted ?? r.error}`).join('; ')}`,
      );
    await sleep(100);
  }
}

test(
  'chaos: a node whose stored state was changed while it was stopped detects the fork against the quorum checkpoint and halts; the others go on',
  { timeout: 150_000 },
  () =>
    withChaosCluster({}, async (c) => {
      const cutter = await cutterOf(c);
      const victim = c.orgs.find((o) => o !== cutter)!;
      const honest = c.orgs.filter((o) => o !== victim);
      const load = new Load(c, 'tamper').start({ orgs: () => honest });
      await load.waitFor(40);
      await c.kill(victim, 'SIGTERM');
      // Behind the node's back: the demo anchor of the biopsy result disappears from its state.
      const db = new Database(paths(c.nodeDir(victim)).ledger);
      const gone = db.prepare('DELETE FROM state WHERE k = ?').run('anchor:demo-biopsy-result');
      db.close();
      assert.equal(gone.changes, 1);
      await c.restart(victim);
      // No other transaction for now: no next block whose parent digest would give the fork
      // away first; the quorum's checkpoints of the block below must.
      await load.stop();
      // Anchoring the same record again is RECORD_EXISTS on the ledger; the tampered node thinks it is new.
      const wallets = c.layout.wallets;
      const alice = memberWallet(wallets, 'dr-alice', passphraseFor(wallets));
      const again = alice.tx({
        chainId: c.chainId,
        type: 'record.anchor',
        payload: { recordId: 'demo-biopsy-result', hash: toHex(hashTagged(HashTag.record, utf8('forged'))) },
        createdAt: Date.now(),
      });
      const r = await new MedledgerClient(c.url(honest[0]!)).submitAndWait(again, 20_000);
      assert.equal(r.code, 'RECORD_EXISTS');
      const [at] = await waitHalted(
        c,
        [victim],
        new RegExp(
          `fork detected at height ${r.height}: this node's state digest and validity codes differs from the one a quorum of nodes signed`,
        ),
      );
      assert.equal(at, r.height, 'the tampered node halted at the block it applied differently');
      load.start({ orgs: () => honest });
      await load.waitFor(60, 30_000); // the others commit on
      const top = await checkConverged(c, load, { orgs: honest });
      assert.ok(top > at!, `the others went on past ${at}`);
      // The tampered ledger does not verify either (replay disagrees with what it stored).
      const v = await runCliVerify(c, victim);
      assert.equal(v.code, 1, v.stdout);
      assert.match(v.stdout, /FAILED at block \d+/);
    }),
);

test(
  'chaos: a malformed block and a wrongly signed block written straight into etcd: every node refuses it, halts with an alarm, and applies nothing',
  { timeout: 150_000 },
  () =>
    withChaosCluster({}, async (c) => {
      const load = new Load(c, 'rogue').start();
      await load.waitFor(40);
      await load.stop();
      const head = await c.waitForSameHead();
      const log = c.etcdLog();
      // 1. Not a block at all.
      const h1 = head.height + 1;
      const w1 = await log.client
        .if(log.blockKey(h1), 'Create', '==', 0)
        .then(log.client.put(log.blockKey(h1)).value(JSON.stringify({ header: { height: h1 }, txs: 'none' })))
        .commit();
      assert.equal(w1.succeeded, true);
      const heights1 = await waitHalted(c, c.orgs, new RegExp(`malformed block in etcd at height ${h1}`));
      assert.deepEqual(
        heights1,
        c.orgs.map(() => head.height),
        'nothing applied',
      );
      await assert.rejects(
        new MedledgerClient(c.url(c.orgs[0]!)).submit(
          doctorWallets(c)[0]!.tx({
            chainId: c.chainId,
            type: 'record.anchor',
            payload: { recordId: 'after-halt', hash: toHex(hashTagged(HashTag.record, utf8('x'))) },
            createdAt: Date.now(),
          }),
        ),
        (e: unknown) => e instanceof MedledgerHttpError && e.code === 'NODE_HALTED',
      );
      // The operators remove the rogue key and restart the nodes: they go on from where they were.
      for (const org of c.orgs) await c.kill(org, 'SIGTERM');
      await log.client.delete().key(log.blockKey(h1));
      for (const org of c.orgs) await c.restart(org);
      const load2 = new Load(c, 'rogue2').start();
      await load2.waitFor(40);
      await load2.stop();
      const head2 = await c.waitForSameHead({ minHeight: head.height + 1 });
      // 2. A well-formed block on the right parent, naming a consortium node as proposer, but
      // signed by a key that is not that node's.
      const h2 = head2.height + 1;
      const tx = doctorWallets(c)[0]!.tx({
        chainId: c.chainId,
        type: 'record.anchor',
        payload: { recordId: 'rogue-block', hash: toHex(hashTagged(HashTag.record, utf8('rogue'))) },
        createdAt: Date.now(),
      });
      const status = (await c.status())[0]!;
      const header: BlockHeader = {
        chainId: c.chainId,
        height: h2,
        prevHash: head2.headHash,
        txRoot: txRootOf([tx]),
        stateDigest: head2.stateDigest,
        time: Math.max(Date.now(), (status as { lastBlockTime?: number }).lastBlockTime ?? 0),
        proposer: c.orgs[0]!,
        txCount: 1,
      };
      const rogueKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
      const block: Block = { header, txs: [tx], proposerSig: signBlockHeader(header, rogueKey) };
      const w2 = await log.client
        .if(log.blockKey(h2), 'Create', '==', 0)
        .then(log.client.put(log.blockKey(h2)).value(JSON.stringify(block)))
        .commit();
      assert.equal(w2.succeeded, true);
      const heights2 = await waitHalted(
        c,
        c.orgs,
        new RegExp(`block ${h2}: proposer signature does not verify`),
      );
      assert.deepEqual(
        heights2,
        c.orgs.map(() => head2.height),
        'nothing applied',
      );
      log.close();
      // Every node ends on the last good block, with every acknowledged transaction and none of the rogue's.
      await checkConverged(c, [load, load2], { minHeight: head2.height, absent: [txIdOf(tx.body)] });
    }),
);
