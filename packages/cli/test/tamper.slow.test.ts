/**
 * Tamper detection on a real SQLite ledger: a byte flipped at a random place of a random
 * stored block (100 trials) or a deleted block is caught by `verify`, which names the block.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { HashTag, hashTagged, toHex, utf8 } from '@medledger/crypto';
import { verifyLedger } from '@medledger/node';
import { start } from '../src/commands/start.js';
import { memberWallet, readMembers } from '../src/dirs/wallets.js';
import { makeDevDir, runCli } from './helpers.js';

async function buildLedger(): Promise<{ dir: string; ledger: string; blocks: number }> {
  const { dir, nodeDir, wallets: walletsDir, walletPassphrase } = await makeDevDir();
  const s = await start({ dir, dev: true, port: 0, log: () => {} });
  const labels = readMembers(walletsDir)
    .filter((m) => m.role === 'doctor')
    .map((m) => m.label);
  const wallets = labels.map((l) => memberWallet(walletsDir, l, walletPassphrase));
  for (let b = 0; b < 24; b++) {
    const txs = Array.from({ length: 1 + (b % 5) }, (_, i) =>
      wallets[(b + i) % wallets.length]!.tx({
        chainId: s.node.chainId,
        type: 'record.anchor',
        payload: { recordId: `t-${b}-${i}`, hash: toHex(hashTagged(HashTag.record, utf8(`${b}/${i}`))) },
        createdAt: Date.now(),
      }),
    );
    const res = await s.node.submitBatch(txs);
    for (const r of res) if (r.status !== 'rejected') await s.node.waitForReceipt(r.txId, 5000);
  }
  const blocks = s.node.head().height;
  await s.close();
  return { dir, ledger: join(nodeDir, 'ledger.sqlite'), blocks };
}

test('tamper: verify accepts the untouched ledger, and catches every flipped byte of a stored block (100 trials)', async () => {
  const { dir, ledger, blocks } = await buildLedger();
  assert.ok(blocks >= 20, `built ${blocks} blocks`);
  const clean = await verifyLedger(ledger);
  assert.equal(clean.ok, true, JSON.stringify(clean));
  const work = mkdtempSync(join(tmpdir(), 'medledger-tamper-'));
  let trials = 0;
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: blocks }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 255 }),
        fc.boolean(),
        async (height, where, mask, inResult) => {
          trials++;
          const copy = join(work, `t${trials}.sqlite`);
          copyFileSync(ledger, copy);
          const db = new Database(copy);
          const col = inResult ? 'result' : 'data';
          const row = db
            .prepare<[number], { v: Buffer }>(`SELECT ${col} AS v FROM blocks WHERE height = ?`)
            .get(height)!;
          const pos = Math.min(row.v.length - 1, Math.floor(where * row.v.length));
          row.v[pos]! ^= mask;
          db.prepare(`UPDATE blocks SET ${col} = ? WHERE height = ?`).run(row.v, height);
          db.close();
          const r = await verifyLedger(copy, { sigWorkers: 1 });
          rmSync(copy, { force: true });
          assert.equal(r.ok, false, `flip at ${col}[${pos}] of block ${height} went unnoticed`);
          assert.equal(
            r.height,
            height,
            `reported block ${r.height} for a flip in block ${height}: ${!r.ok && r.reason}`,
          );
        },
      ),
      { numRuns: 100 },
    );
    assert.equal(trials, 100);
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tamper: a deleted block, a changed state row and a rewritten head are caught; the CLI exits non-zero naming the block', async () => {
  const { dir, ledger, blocks } = await buildLedger();
  try {
    const ok = await runCli(['verify', dir]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, new RegExp(`ok: ${blocks} blocks`));

    // Regression: a flip that renames a field of the stored result ("codes" -> "#codes").
    const l0 = join(dir, 'renamed.sqlite');
    copyFileSync(ledger, l0);
    const db0 = new Database(l0);
    const res0 = db0.prepare<[], { result: Buffer }>('SELECT result FROM blocks WHERE height = 1').get()!
      .result;
    res0[1] = '#'.charCodeAt(0);
    db0.prepare('UPDATE blocks SET result = ? WHERE height = 1').run(res0);
    db0.close();
    const renamed = await verifyLedger(l0);
    assert.equal(renamed.ok, false);
    assert.equal(renamed.height, 1, JSON.stringify(renamed));

    const victim = Math.ceil(blocks / 2);
    const db = new Database(ledger);
    db.prepare('DELETE FROM blocks WHERE height = ?').run(victim);
    db.close();
    const del = await runCli(['verify', dir]);
    assert.equal(del.code, 1);
    assert.match(del.stdout, new RegExp(`FAILED at block ${victim}: block ${victim} is missing`));

    const { ledger: l2, dir: d2 } = await buildLedger();
    const db2 = new Database(l2);
    const k = db2.prepare<[], { k: string }>("SELECT k FROM state WHERE k LIKE 'anchor:%' LIMIT 1").get()!.k;
    db2.prepare('UPDATE state SET v = ? WHERE k = ?').run('{"recordId":"forged"}', k);
    db2.close();
    const st = await verifyLedger(l2);
    assert.equal(st.ok, false);
    assert.match(!st.ok ? st.reason : '', /world state: anchor:.* differs from replay/);

    const db3 = new Database(l2);
    db3.prepare('UPDATE state SET v = (SELECT v FROM state WHERE k = ?) WHERE k = ?').run(k, k);
    db3.prepare('DELETE FROM blocks WHERE height = (SELECT MAX(height) FROM blocks)').run();
    db3.close();
    const tail = await verifyLedger(l2);
    assert.equal(tail.ok, false, 'a deleted last block is caught through the recorded head');
    rmSync(d2, { recursive: true, force: true });
    void readMembers;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
