/**
 * The feed of committed blocks: the one way a node's side services (record index,
 * notifications, emergency proxy, HE custodian) follow the ledger.
 *
 * A follower asks for every block after a height it names — its own durable cursor — and its
 * handler gets each block (header, hash, transactions, validity codes and stored events)
 * strictly in height order, one at a time: the next block is read only once the handler's
 * promise has resolved. Blocks already stored come first (catch-up), then each new block as
 * soon as it is durable (live). Both are the same loop — "read block `height + 1` if the
 * durable head has reached it, else wait for the next durable block" — so the hand-over from
 * catch-up to live can neither skip nor repeat a block. Live blocks come from a small window of
 * recent blocks kept in memory; older ones are read back from the ledger.
 *
 * Delivery is at least once across restarts: the feed keeps no position of its own. A follower
 * stores its cursor (ideally in the same transaction as its own effects) and passes it to
 * `follow` when it starts again. A handler that throws gets the same block again after a
 * backoff (`onError` is told), so a block is never skipped; handlers must therefore be
 * idempotent for the block they failed on.
 */
import type { Block } from '@medledger/core';
import type { CommittedLedgerEvent } from '../store/events.js';

/** A committed, durable block as the feed delivers it. Shared between followers: read only. */
export interface FeedBlock {
  readonly height: number;
  readonly hash: string;
  /** Header, transactions and proposer signature. */
  readonly block: Block;
  /** One validity code per transaction. */
  readonly codes: readonly string[];
  /** The block's contract events in transaction order (store/events.ts). */
  readonly events: readonly CommittedLedgerEvent[];
}

/** Handles one block; the feed waits for it before the next. */
export type FeedHandler = (block: FeedBlock) => void | Promise<void>;

export interface FollowOptions {
  /** Told when the handler throws; the block is retried after a backoff. */
  onError?: (error: Error, height: number) => void;
  /** First retry delay (default 500 ms), doubling up to `maxRetryMs` (default 30 s). */
  retryMs?: number;
  maxRetryMs?: number;
}

/** A running subscription to the feed. */
export interface Follower {
  /** The last height the handler completed (the `after` given to `follow` at first). */
  readonly height: number;
  /**
   * Resolves once the handler has completed block `height` (default: the durable head at the
   * time of the call). Rejects if the follower is closed first.
   */
  synced(height?: number): Promise<void>;
  /** Stops after the block in hand (if any); resolves once the handler is no longer running. */
  close(): Promise<void>;
}

/** Where the feed reads blocks: the node's durable head and its store. */
export interface FeedSource {
  /** Height of the last durable block. */
  head(): number;
  /** A durable block with its stored events. */
  read(height: number): FeedBlock | undefined;
}

/** The node's side of the feed: it publishes each block once durable, followers pull. */
export class BlockFeed {
  readonly #source: FeedSource;
  readonly #recent = new Map<number, FeedBlock>();
  // Blocks read back from the store, so that followers catching up together parse each once.
  readonly #read = new Map<number, FeedBlock>();
  readonly #keep: number;
  readonly #followers = new Set<FollowerLoop>();

  /** @param keep how many recent blocks to keep in memory for live followers (default 8) */
  constructor(source: FeedSource, keep = 8) {
    this.#source = source;
    this.#keep = keep;
  }

  /** A block became durable (called in height order): wake every follower. */
  published(b: FeedBlock): void {
    this.#recent.set(b.height, b);
    this.#recent.delete(b.height - this.#keep);
    for (const f of this.#followers) f.wake();
  }

  /** Delivers every durable block after height `after` to `handler`, in order. */
  follow(after: number, handler: FeedHandler, o: FollowOptions = {}): Follower {
    if (!Number.isSafeInteger(after) || after < 0)
      throw new RangeError('follow: after must be a height (an integer ≥ 0)');
    const f = new FollowerLoop(this, after, handler, o, (x) => this.#followers.delete(x));
    this.#followers.add(f);
    f.run();
    return f;
  }

  /** Closes every follower (the node closes). */
  async close(): Promise<void> {
    await Promise.all([...this.#followers].map((f) => f.close()));
  }

  get head(): number {
    return this.#source.head();
  }

  block(height: number): FeedBlock | undefined {
    const b = this.#recent.get(height) ?? this.#read.get(height);
    if (b) return b;
    const r = this.#source.read(height);
    if (r) {
      this.#read.set(height, r);
      if (this.#read.size > this.#keep) this.#read.delete(this.#read.keys().next().value!);
    }
    return r;
  }
}

class FollowerLoop implements Follower {
  readonly #feed: BlockFeed;
  readonly #handler: FeedHandler;
  readonly #o: FollowOptions;
  readonly #gone: (f: FollowerLoop) => void;
  #height: number;
  #closed = false;
  #wake: (() => void) | undefined;
  #done: Promise<void> = Promise.resolve();
  readonly #waiters: { height: number; resolve: () => void; reject: (e: Error) => void }[] = [];

  constructor(
    feed: BlockFeed,
    after: number,
    handler: FeedHandler,
    o: FollowOptions,
    gone: (f: FollowerLoop) => void,
  ) {
    this.#feed = feed;
    this.#height = after;
    this.#handler = handler;
    this.#o = o;
    this.#gone = gone;
  }

  get height(): number {
    return this.#height;
  }

  run(): void {
    this.#done = this.#loop().finally(() => {
      this.#gone(this);
      for (const w of this.#waiters.splice(0)) w.reject(new Error('the follower was closed'));
    });
  }

  wake(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  /** Waits for the next published block, a retry delay, or close — whichever comes first. */
  #sleep(ms: number | undefined): Promise<void> {
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(() => this.wake(), ms);
      this.#wake = () => {
        if (timer) clearTimeout(timer);
        resolve();
      };
    });
  }

  async #loop(): Promise<void> {
    const first = this.#o.retryMs ?? 500;
    let delay = first;
    // Never call the handler inside `follow` itself: the follower's owner is still being built.
    await Promise.resolve();
    while (!this.#closed) {
      const next = this.#height + 1;
      if (next > this.#feed.head) {
        await this.#sleep(undefined);
        continue;
      }
      try {
        const b = this.#feed.block(next);
        if (!b) throw new Error(`block ${next} is durable but could not be read`);
        await this.#handler(b);
      } catch (e) {
        if (this.#closed) return;
        this.#o.onError?.(e instanceof Error ? e : new Error(String(e)), next);
        await this.#sleep(delay);
        delay = Math.min(delay * 2, this.#o.maxRetryMs ?? 30_000);
        continue;
      }
      delay = first;
      this.#height = next;
      for (let i = this.#waiters.length - 1; i >= 0; i--) {
        const w = this.#waiters[i]!;
        if (w.height <= next) {
          this.#waiters.splice(i, 1);
          w.resolve();
        }
      }
    }
  }

  synced(height = this.#feed.head): Promise<void> {
    if (height <= this.#height) return Promise.resolve();
    if (this.#closed) return Promise.reject(new Error('the follower was closed'));
    return new Promise((resolve, reject) => this.#waiters.push({ height, resolve, reject }));
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.wake();
    await this.#done;
  }
}
