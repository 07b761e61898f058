/**
 * The feed of committed blocks (feed/blockFeed.ts) over an in-memory block source: every block
 * after the follower's cursor is handled once, in height order, one at a time, whatever the
 * interleaving of catch-up reads, newly published blocks and slow handlers; a failing handler
 * gets the same block again; closing stops the follower after the block in hand.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Block, EventName } from '@medledger/core';
import { BlockFeed, type FeedBlock } from '../src/feed/blockFeed.js';

/** A ledger in memory: `commit` stores a block, moves the durable head and publishes it. */
function memoryLedger(initial: number, keep?: number) {
  const stored = new Map<number, FeedBlock>();
  let head = 0;
  const reads: number[] = [];
  const blk = (h: number): FeedBlock => ({
    height: h,
    hash: `hash-${h}`,
    block: { header: { height: h } } as unknown as Block,
    codes: ['OK'],
    events: [{ type: 'test.event' as EventName, n: h, txId: `tx-${h}`, height: h }],
  });
  const feed = new BlockFeed(
    {
      head: () => head,
      read: (h) => {
        reads.push(h);
        return stored.get(h);
      },
    },
    keep,
  );
  const commit = (): void => {
    const b = blk(head + 1);
    stored.set(b.height, b);
    head = b.height;
    feed.published(b);
  };
  for (let i = 0; i < initial; i++) commit();
  return { feed, commit, head: () => head, reads };
}

const pause = (kind: number): Promise<void> =>
  kind === 0
    ? Promise.resolve()
    : kind === 1
      ? new Promise((r) => setImmediate(r))
      : new Promise((r) => setTimeout(r, kind - 1));

test('property: catch-up then live — every block after the cursor exactly once, in order, never two at a time', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: 30 }),
      fc.integer({ min: 0, max: 30 }),
      // After the handler's i-th block: how many blocks commit meanwhile, and how long it takes.
      fc.array(
        fc.record({ commits: fc.integer({ min: 0, max: 3 }), pause: fc.integer({ min: 0, max: 3 }) }),
        {
          maxLength: 40,
        },
      ),
      fc.integer({ min: 1, max: 10 }),
      async (initial, afterRaw, schedule, keep) => {
        const l = memoryLedger(initial, keep);
        const after = Math.min(afterRaw, initial);
        const seen: number[] = [];
        let busy = false;
        let i = 0;
        const f = l.feed.follow(after, async (b) => {
          assert.equal(busy, false, 'the handler is never called while it is running');
          busy = true;
          assert.equal(b.events[0]!.n, b.height, 'the block comes with its own events');
          seen.push(b.height);
          const s = schedule[i++];
          for (let k = 0; k < (s?.commits ?? 0); k++) l.commit();
          await pause(s?.pause ?? 0);
          busy = false;
        });
        // Blocks also commit from outside while the follower catches up.
        l.commit();
        // The handler commits blocks too: wait until nothing is left.
        while (f.height < l.head()) await f.synced(l.head());
        await f.close();
        const want = Array.from({ length: l.head() - after }, (_, k) => after + 1 + k);
        assert.deepEqual(seen, want);
        assert.equal(f.height, l.head());
      },
    ),
    { numRuns: 60 },
  );
});

test('feed: blocks older than the recent window are read back from the store, recent ones are not', async () => {
  const l = memoryLedger(20, 4);
  const seen: number[] = [];
  const f = l.feed.follow(5, (b) => void seen.push(b.height));
  await f.synced(20);
  await f.close();
  assert.deepEqual(
    seen,
    Array.from({ length: 15 }, (_, k) => 6 + k),
  );
  assert.deepEqual(
    l.reads,
    Array.from({ length: 11 }, (_, k) => 6 + k),
    'blocks 17-20 came from memory',
  );
});

test('feed: followers catching up together read (and parse) each stored block once', async () => {
  const l = memoryLedger(30, 4);
  const seen: number[][] = [[], []];
  const fs = seen.map((xs) => l.feed.follow(0, (b) => void xs.push(b.height)));
  await Promise.all(fs.map((f) => f.synced(30)));
  await Promise.all(fs.map((f) => f.close()));
  for (const xs of seen) assert.equal(xs.length, 30);
  assert.deepEqual(
    l.reads,
    Array.from({ length: 26 }, (_, k) => 1 + k),
  );
});

test('feed: a handler that throws gets the same block again (never skipped), and onError says which', async () => {
  const l = memoryLedger(5);
  const attempts: number[] = [];
  const errors: [string, number][] = [];
  let failures = 2;
  const f = l.feed.follow(
    0,
    (b) => {
      attempts.push(b.height);
      if (b.height === 3 && failures-- > 0) throw new Error('disk full');
    },
    { retryMs: 1, onError: (e, h) => errors.push([e.message, h]) },
  );
  await f.synced(5);
  await f.close();
  assert.deepEqual(attempts, [1, 2, 3, 3, 3, 4, 5]);
  assert.deepEqual(errors, [
    ['disk full', 3],
    ['disk full', 3],
  ]);
});

test('feed: close waits for the block in hand, then nothing more is handled and synced() rejects', async () => {
  const l = memoryLedger(3);
  const seen: number[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const f = l.feed.follow(0, async (b) => {
    seen.push(b.height);
    if (b.height === 2) await gate;
  });
  await f.synced(1);
  while (seen.length < 2) await new Promise((r) => setImmediate(r));
  const later = f.synced(3);
  const closing = f.close();
  let closed = false;
  void closing.then(() => (closed = true));
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(closed, false, 'close waits for the handler of block 2');
  release();
  await closing;
  await assert.rejects(later, /closed/);
  l.commit();
  await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(seen, [1, 2], 'block 3 and later were never handled');
  assert.equal(f.height, 2);
});

test('feed: a follower is never called inside follow() itself; a cursor must be a height', async () => {
  const l = memoryLedger(2);
  let called = false;
  const f = l.feed.follow(0, () => void (called = true));
  assert.equal(called, false);
  await f.synced(2);
  assert.equal(called, true);
  await f.close();
  assert.throws(() => l.feed.follow(-1, () => undefined), RangeError);
  assert.throws(() => l.feed.follow(1.5, () => undefined), RangeError);
});
