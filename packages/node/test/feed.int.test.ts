/**
 * The feed on a real node (SQLite ledger, writer thread, solo ordering): a follower that starts
 * behind catches up from the store while new blocks commit, then follows live, with no gap
 * and no duplicate; every block carries the events stored with it, the same after a restart;
 * a ledger from before stored events gets them re-derived on open; `verify` checks them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { toB64u, toHex, randomBytes } from '@medledger/crypto';
import { verifyLedger, type FeedBlock } from '../src/index.js';
import { enrollAll, makeTestLedger, type TestLedger } from './helpers/ledger.js';

/** Commits one block: a record anchor by alice, or (every third) an enrolment with an event. */
async function commitOne(t: TestLedger, n: number): Promise<number> {
  const tx =
    n % 3 === 0
      ? t.orgWallet('hospitalB').tx({
          chainId: t.node.chainId,
          type: 'registry.enroll',
          payload: { certificate: toB64u(t.member('bob').certificate) },
          createdAt: Date.now() + n,
        })
      : t.wallet('alice').tx({
          chainId: t.node.chainId,
          type: 'record.anchor',
          payload: { recordId: `r-${n}`, hash: toHex(randomBytes(32)) },
          createdAt: Date.now(),
        });
  const r = await t.node.waitForReceipt((await t.node.submit(tx)).txId, 10_000);
  assert.ok(r, 'committed');
  return r.height;
}

test('feed: a follower behind the head catches up from the store while blocks commit, then follows live — no gap, no duplicate', async () => {
  const t = await makeTestLedger({ timeoutMs: 5 });
  try {
    await enrollAll(t);
    for (let n = 1; n <= 6; n++) await commitOne(t, n);
    const start = t.node.head().height;
    const seen: FeedBlock[] = [];
    let behind = 0;
    let live = 0;
    const f = t.node.follow(0, async (b) => {
      if (t.node.head().height > b.height) behind++;
      else live++;
      seen.push(b);
      await new Promise((r) => setTimeout(r, 15)); // slower than the blocks come
    });
    // Blocks keep committing while the follower is still catching up.
    for (let n = 7; n <= 18; n++) await commitOne(t, n);
    await f.synced();
    // ... and once it has caught up, new blocks come live.
    for (let n = 19; n <= 21; n++) {
      const h = await commitOne(t, n);
      await f.synced(h);
    }
    await f.close();
    const head = t.node.head().height;
    assert.ok(head > start + 10);
    assert.deepEqual(
      seen.map((b) => b.height),
      Array.from({ length: head }, (_, i) => i + 1),
    );
    assert.ok(behind > start, `caught up through ${behind} blocks`);
    assert.ok(live >= 3, `${live} blocks delivered live`);
    for (const b of seen) {
      const stored = t.node.getBlock(b.height)!;
      assert.equal(b.hash, stored.hash);
      assert.deepEqual(b.codes, stored.codes);
      assert.equal(b.block.txs.length, stored.block.txs.length);
      assert.deepEqual(b.events, t.node.store.blockEvents(b.height), `events of block ${b.height}`);
    }
    // The enrolment blocks carry their member.enrolled events with the transaction id.
    const enrolled = seen.flatMap((b) => b.events).filter((e) => e.type === 'member.enrolled');
    assert.equal(
      enrolled.length,
      t.consortium.members.length,
      'the first enrolments (a re-enrolment is refused)',
    );
    for (const e of enrolled) assert.equal(t.node.receipt(e.txId)?.height, e.height);
  } finally {
    await t.cleanup();
  }
});

test('feed: after a restart a follower resumes from its cursor and sees the same blocks and events', async () => {
  const t = await makeTestLedger({ timeoutMs: 5 });
  try {
    await enrollAll(t);
    for (let n = 1; n <= 4; n++) await commitOne(t, n);
    const before: FeedBlock[] = [];
    const f1 = t.node.follow(0, (b) => void before.push(b));
    await f1.synced();
    await f1.close();
    const cursor = 2;
    await t.reopen();
    const after: FeedBlock[] = [];
    const f2 = t.node.follow(cursor, (b) => void after.push(b));
    await f2.synced();
    await f2.close();
    assert.deepEqual(
      after.map((b) => [b.height, b.hash, b.events]),
      before.slice(cursor).map((b) => [b.height, b.hash, b.events]),
    );
  } finally {
    await t.cleanup();
  }
});

test('store: a ledger written before events were stored gets them re-derived when the node opens; verify checks stored events', async () => {
  const t = await makeTestLedger({ timeoutMs: 5 });
  const path = join(t.dir, 'ledger.sqlite');
  try {
    await enrollAll(t);
    for (let n = 1; n <= 6; n++) await commitOne(t, n);
    const head = t.node.head().height;
    const original = Array.from({ length: head }, (_, i) => t.node.store.blockEvents(i + 1));
    assert.ok(original.some((e) => e.length > 0));
    await t.node.close();
    // As the previous version left it: no events table, no eventsFrom.
    const db = new Database(path);
    db.exec("DROP TABLE events; DELETE FROM meta WHERE k = 'eventsFrom'");
    db.close();
    await t.reopen().catch(() => undefined); // reopen closes the (closed) node first
    assert.equal(t.node.store.eventsFrom(), 1);
    assert.deepEqual(
      Array.from({ length: head }, (_, i) => t.node.store.blockEvents(i + 1)),
      original,
      'the re-derived events are the ones the blocks emitted',
    );
    await t.node.close();
    assert.equal((await verifyLedger(path)).ok, true);
    // An event changed behind the node's back is found by verify.
    const h = original.findIndex((e) => e.length > 0) + 1;
    const tamper = new Database(path);
    tamper
      .prepare('UPDATE events SET data = ? WHERE height = ?')
      .run(JSON.stringify(original[h - 1]!.map((e) => ({ ...e, org: 'hospitalZ' }))), h);
    tamper.close();
    const report = await verifyLedger(path);
    assert.deepEqual(report, {
      ok: false,
      height: h,
      reason: `block ${h}: stored events differ from replay`,
    });
    await t.reopen();
  } finally {
    await t.cleanup();
  }
});
