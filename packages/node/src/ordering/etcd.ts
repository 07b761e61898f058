/**
 * Ordering on etcd (DESIGN.md "Ordering"; the way Hyperledger Fabric's orderer uses Raft).
 * Every node runs one; together they make an etcd cluster the consortium's ordering log.
 *
 * - Submission: a node writes each admitted transaction under `txs/<txId>`, many per etcd
 *   transaction. A put of the same key again stores the same transaction (the id covers the
 *   body), so a retried submission is idempotent; `order` resolves once etcd has it durably.
 * - One block cutter: nodes whose key is a current consortium node key campaign in an etcd
 *   election under a lease (`leaseTtlSec`). The elected cutter reads pending transactions,
 *   cuts a block on top of what its node has applied, and writes it with one fenced etcd
 *   transaction: `blocks/<h>` is created only if it does not exist AND the cutter's campaign
 *   key (bound to its lease) still exists. A cutter that was paused past its lease has lost
 *   that key, so its write fails — it is fenced out — and two cutters can never both write h.
 * - Every node (the cutter's included) follows `blocks/` from the height it has applied: a
 *   range read, then a watch from that read's revision. It hands each block, in height order,
 *   to the node, which checks it completely before applying it and halts on a bad one. Blocks
 *   etcd no longer holds (pruned while the node was down) come from peers (`sync`).
 * - Each node keeps `heights/<org>` (its stored height) under a lease; the cutter deletes
 *   blocks and checkpoints below the lowest height of the running nodes and compacts etcd.
 *
 * Crash behavior: a transaction acknowledged by `order` is in etcd and will be in a block
 * (every new cutter starts from what `txs/` holds). A transaction's receipt is returned only
 * once its block is stored by this node.
 */
import { EventEmitter, once } from 'node:events';
import type { KeyObject } from 'node:crypto';
import type { IKeyValue } from 'etcd3';
import {
  LedgerError,
  blockHashOf,
  parseBlock,
  parseTx,
  signBlockHeader,
  txIdOf,
  txRootOf,
  type Block,
  type BlockHeader,
  type OrderingParams,
  type SignedTx,
} from '@medledger/core';
import type { BlockHandler, ChainView, Orderer } from './orderer.js';
import { cancelWatch, type EtcdLog } from './etcdLog.js';

/** What the etcd orderer needs to know about its node beyond the head. */
export interface EtcdChainView extends ChainView {
  /** True if the transaction committed for good in a block this node applied (core `countsAsCommitted`). */
  isCommitted(txId: string): boolean;
  /** True if this node's key is a current consortium node key (it may cut blocks). */
  canPropose(): boolean;
  /** The hash of an applied block, to compare with what etcd holds. */
  blockHash(height: number): string | undefined;
  /** The node stopped committing. */
  halted(): boolean;
  /** Raise an alarm and halt the node (a bad block in the log). */
  alarm(e: Error): void;
  /**
   * Whether each transaction may go into the next block: false for one whose proof does not
   * verify (anonymity/proofCheck.ts), which the cutter drops, as nodes refuse a block with it.
   */
  screen?(txs: readonly SignedTx[]): Promise<boolean[]>;
}

/** Blocks etcd no longer holds, from peer nodes. */
export interface BlockSync {
  /**
   * Applies blocks `from`..`to` fetched from peers, in order, through `apply`; a peer whose
   * block `apply` refuses is dropped and the height is fetched from another peer.
   * @throws if no peer serves a block that `apply` accepts.
   */
  catchUp(from: number, to: number, apply: (b: Block) => Promise<void>): Promise<void>;
}

export interface EtcdOrdererOptions {
  log: EtcdLog;
  chainId: string;
  /** This node's organization: the proposer of the blocks it cuts. */
  org: string;
  nodeKey: KeyObject;
  params: OrderingParams;
  /** Lease of the cutter's campaign (s). A paused cutter is fenced out after it. */
  leaseTtlSec?: number;
  /** Lease of this node's `heights/<org>` key (s): how long a stopped node holds back pruning. */
  heightTtlSec?: number;
  /** How often the cutter prunes etcd (ms); 0 never. */
  pruneEveryMs?: number;
  /** Transactions per etcd transaction when submitting (etcd's default limit is 128 operations). */
  putBatch?: number;
  /** Largest block value written to etcd (bytes; etcd's default request limit is 1.5 MiB). */
  maxBlockBytes?: number;
  /** How often a follower checks that its watch keeps up with the log (ms). */
  watchdogMs?: number;
  /** How long `stop` waits for etcd calls in flight before giving up on them (ms). */
  stopWaitMs?: number;
  sync?: BlockSync;
  now?: () => number;
  /** Operational messages (no secrets). */
  info?: (message: string) => void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface PendingTx {
  tx: SignedTx;
  size: number;
  at: number;
}

export class EtcdOrderer implements Orderer {
  readonly name = 'etcd';
  readonly #o: Required<Omit<EtcdOrdererOptions, 'sync' | 'info' | 'now'>> & EtcdOrdererOptions;
  readonly #log: EtcdLog;
  readonly #events = new EventEmitter();
  #view: EtcdChainView | undefined;
  #onBlock: BlockHandler | undefined;
  #stopped = true;
  #tasks: Promise<void>[] = [];
  /** Highest block height seen in etcd. */
  #etcdTip = 0;
  /** Blocks seen in etcd but not yet handed to the node, by height. */
  readonly #ahead = new Map<number, { block?: Block; error?: Error; hash?: string }>();
  #delivering: Promise<void> = Promise.resolve();
  #isCutter = false;
  #phase = 'starting';
  // Submission batching: `order` calls made in the same tick go to etcd in one transaction.
  #putQueue: { key: string; value: string; resolve: () => void; reject: (e: unknown) => void }[] = [];
  #putScheduled = false;
  #heightLease: ReturnType<EtcdLog['client']['lease']> | undefined;
  #heightWritten = 0;
  #heightTimer: NodeJS.Timeout | undefined;

  constructor(o: EtcdOrdererOptions) {
    this.#o = {
      leaseTtlSec: 3,
      heightTtlSec: 10,
      pruneEveryMs: 5000,
      putBatch: 120,
      maxBlockBytes: 1024 * 1024,
      watchdogMs: 1000,
      stopWaitMs: 5000,
      ...o,
    };
    this.#log = o.log;
    this.#events.setMaxListeners(0);
  }

  /** True while this node is the elected block cutter. */
  get isCutter(): boolean {
    return this.#isCutter;
  }

  /** What the follower is doing, for status and diagnosis. */
  get state(): { following: string; etcdTip: number; ahead: number[] } {
    return {
      following: this.#phase,
      etcdTip: this.#etcdTip,
      ahead: [...this.#ahead.keys()].sort((a, b) => a - b),
    };
  }

  // ---- submission ------------------------------------------------------------------

  order(tx: SignedTx, txId: string, _size: number): Promise<void> {
    if (this.#stopped) return Promise.reject(new Error('orderer is stopped'));
    return new Promise((resolve, reject) => {
      this.#putQueue.push({ key: this.#log.txKey(txId), value: JSON.stringify(tx), resolve, reject });
      if (!this.#putScheduled) {
        this.#putScheduled = true;
        setImmediate(() => this.#flushPuts());
      }
    });
  }

  #flushPuts(): void {
    this.#putScheduled = false;
    const all = this.#putQueue;
    this.#putQueue = [];
    for (let i = 0; i < all.length; i += this.#o.putBatch) {
      const batch = all.slice(i, i + this.#o.putBatch);
      this.#log.client.kv
        .txn({
          compare: [],
          success: batch.map((p) => ({
            request_put: { key: Buffer.from(p.key), value: Buffer.from(p.value) },
          })),
          failure: [],
        })
        .then(
          () => batch.forEach((p) => p.resolve()),
          (e: unknown) => batch.forEach((p) => p.reject(e)),
        );
    }
  }

  // ---- lifecycle ---------------------------------------------------------------------

  async start(view: ChainView, onBlock: BlockHandler): Promise<void> {
    this.#view = view as EtcdChainView;
    this.#onBlock = onBlock;
    this.#stopped = false;
    this.#heightLease = this.#log.client.lease(this.#o.heightTtlSec, { autoKeepAlive: true });
    this.#heightLease.on('lost', () => {
      // a new lease on the next report
      this.#heightLease = undefined;
    });
    this.#tasks.push(this.#followLoop(), this.#campaignLoop());
    this.#heightTimer = setInterval(() => void this.#reportHeight(), 1000);
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#events.emit('stop');
    if (this.#heightTimer) clearInterval(this.#heightTimer);
    // A task stuck on an etcd call that never answers must not keep the node from stopping.
    const settled = Promise.allSettled([...this.#tasks, this.#delivering]);
    await Promise.race([settled, sleep(this.#o.stopWaitMs)]);
    await this.#heightLease?.revoke().catch(() => undefined);
  }

  #stopSignal(): Promise<void> {
    return this.#stopped ? Promise.resolve() : once(this.#events, 'stop').then(() => undefined);
  }

  async #reportHeight(): Promise<void> {
    const h = this.#view?.head().height ?? 0;
    if (this.#stopped || h === this.#heightWritten) return;
    try {
      if (!this.#heightLease) {
        this.#heightLease = this.#log.client.lease(this.#o.heightTtlSec, { autoKeepAlive: true });
        this.#heightLease.on('lost', () => (this.#heightLease = undefined));
      }
      await this.#heightLease.put(this.#log.heightKey(this.#o.org)).value(String(h));
      this.#heightWritten = h;
    } catch (e) {
      this.#o.info?.(`etcd: could not report the stored height: ${(e as Error).message}`);
    }
  }

  // ---- following blocks (every node) -------------------------------------------------

  async #followLoop(): Promise<void> {
    while (!this.#stopped && !this.#view!.halted()) {
      try {
        const revision = await this.#catchUp();
        if (this.#stopped) return;
        await this.#watchBlocks(revision);
      } catch (e) {
        if (this.#stopped || this.#view!.halted()) return;
        this.#o.info?.(`etcd: following blocks failed, retrying: ${(e as Error).message}`);
        await Promise.race([sleep(500), this.#stopSignal()]);
      }
    }
  }

  /** Applies every block etcd (or, below its pruned mark, a peer) holds; returns the revision read. */
  async #catchUp(): Promise<string> {
    for (;;) {
      if (this.#stopped) return '0';
      this.#phase = 'catch-up: applying';
      await this.#delivering;
      const head = this.#view!.head().height;
      this.#phase = `catch-up: reading from ${head + 1}`;
      const res = await this.#log.client
        .getAll()
        .inRange({ start: this.#log.blockKey(head + 1), end: `${this.#log.blockPrefix}~` })
        .limit(this.#pageBlocks)
        .exec();
      const heights = res.kvs.map((kv) => this.#log.heightOfBlockKey(kv.key.toString())!);
      const first = heights[0];
      if (first === undefined || first > head + 1) {
        const pruned = first ?? (await this.#log.prunedBelow());
        if (pruned > head + 1) {
          await this.#syncFromPeers(head + 1, pruned - 1);
          continue;
        }
        if (first === undefined) return res.header.revision;
      }
      for (const kv of res.kvs) this.#received(kv);
      this.#phase = `catch-up: applying ${heights.join(',')}`;
      await this.#delivering;
      if (res.kvs.length < this.#pageBlocks) return res.header.revision;
    }
  }

  async #syncFromPeers(from: number, to: number): Promise<void> {
    if (!this.#o.sync)
      throw new Error(`blocks ${from}..${to} were pruned from etcd and no peers are configured to sync from`);
    this.#o.info?.(`etcd: blocks ${from}..${to} are no longer in etcd; syncing them from peers`);
    await this.#o.sync.catchUp(from, to, (b) => this.#onBlock!(b, 'sync'));
  }

  /**
   * Follows new blocks with a watch. The watch is the fast path, not the only one: a watchdog
   * checks every `watchdogMs` whether the node's height moved, and when it did not it reads
   * the next blocks from etcd itself (a watch stream that stopped delivering has been seen
   * under CPU load; the read delivers what it missed, whatever the cause). Three failed reads
   * in a row — etcd does not answer this node — start the follower over.
   */
  async #watchBlocks(revision: string): Promise<void> {
    this.#phase = `watch: connecting from revision ${BigInt(revision) + 1n}`;
    const watcher = await this.#log.watchPrefix(this.#log.blockPrefix, BigInt(revision) + 1n, {
      put: (kv) => this.#received(kv),
    });
    this.#phase = `watch: from revision ${BigInt(revision) + 1n}`;
    let timer: NodeJS.Timeout | undefined;
    try {
      const failed = once(watcher, 'error').then(([e]) => {
        throw e as Error;
      });
      const stalled = new Promise<void>((_resolve, reject) => {
        let last = -1;
        let failures = 0;
        let reading = false;
        timer = setInterval(() => {
          const next = this.#view!.head().height + 1;
          if (next !== last || this.#ahead.has(next) || reading) return void (last = next);
          reading = true;
          // An etcd call can hang on a broken connection: a read that does not answer in
          // time counts as a failed one, so the watchdog never waits on it forever.
          const timeoutMs = Math.max(3000, 3 * this.#o.watchdogMs);
          Promise.race([
            this.#readBlocks(next),
            sleep(timeoutMs).then(() => {
              throw new Error(`a read of block ${next} did not answer in ${timeoutMs} ms`);
            }),
          ])
            .then(
              () => (failures = 0),
              (e: unknown) => {
                if (++failures >= 3) reject(new Error(`etcd does not answer: ${(e as Error).message}`));
              },
            )
            .finally(() => (reading = false));
        }, this.#o.watchdogMs);
      });
      await Promise.race([failed, stalled, this.#stopSignal()]);
    } finally {
      clearInterval(timer);
      await cancelWatch(watcher);
    }
  }

  /**
   * Blocks per range read: as many of the largest blocks as fit in 3 MiB, since the gRPC client
   * refuses an answer over 4 MiB (a node that restarted behind 32 blocks of 130 KiB each could
   * never catch up: "RESOURCE_EXHAUSTED: Received message larger than max", seen in `bench
   * consortium`'s failover).
   */
  get #pageBlocks(): number {
    return Math.max(1, Math.floor((3 << 20) / this.#o.maxBlockBytes));
  }

  /** Reads up to a page of blocks from `from` straight from etcd and hands them on. */
  async #readBlocks(from: number): Promise<void> {
    const res = await this.#log.client
      .getAll()
      .inRange({ start: this.#log.blockKey(from), end: `${this.#log.blockPrefix}~` })
      .limit(this.#pageBlocks)
      .exec();
    for (const kv of res.kvs) this.#received(kv);
  }

  /** A block key appeared in etcd: parse it and hand blocks to the node in height order. */
  #received(kv: IKeyValue): void {
    const h = this.#log.heightOfBlockKey(kv.key.toString());
    if (h === undefined) return;
    if (h > this.#etcdTip) this.#etcdTip = h;
    const applied = this.#view!.head().height;
    let entry: { block?: Block; error?: Error; hash?: string };
    try {
      const block = parseBlock(JSON.parse(kv.value.toString()));
      if (block.header.height !== h)
        throw new Error(`key says height ${h}, header says ${block.header.height}`);
      entry = { block, hash: blockHashOf(block.header) };
    } catch (e) {
      entry = { error: new Error(`malformed block in etcd at height ${h}: ${(e as Error).message}`) };
    }
    if (h <= applied) {
      const mine = this.#view!.blockHash(h);
      if (mine !== undefined && entry.hash !== mine)
        this.#view!.alarm(
          new LedgerError(
            { code: 'BAD_BLOCK', height: h },
            `etcd holds a different block at height ${h} than this node applied`,
          ),
        );
      return;
    }
    if (this.#ahead.size > 10_000) return; // a flood of far-future keys: ignore until caught up
    this.#ahead.set(h, entry);
    this.#deliverReady();
  }

  #deliverReady(): void {
    this.#delivering = this.#delivering.then(async () => {
      for (;;) {
        if (this.#stopped || this.#view!.halted()) return;
        const next = this.#view!.head().height + 1;
        const e = this.#ahead.get(next);
        if (!e) return;
        this.#ahead.delete(next);
        if (e.error) {
          this.#view!.alarm(new LedgerError({ code: 'BAD_BLOCK', height: next }, e.error.message));
          return;
        }
        try {
          this.#phase = `applying ${next}`;
          await this.#onBlock!(e.block!, 'ordered');
        } catch (err) {
          this.#o.info?.(`etcd: block ${next} was not applied: ${(err as Error).message}`);
          return; // the node halted with an alarm
        }
        this.#events.emit('applied');
      }
    });
  }

  // ---- cutting blocks (the elected node) ---------------------------------------------

  async #campaignLoop(): Promise<void> {
    const election = this.#log.client.election(this.#log.electionName, this.#o.leaseTtlSec);
    while (!this.#stopped) {
      const view = this.#view!;
      if (view.halted() || !view.canPropose()) {
        await Promise.race([sleep(1000), this.#stopSignal()]);
        continue;
      }
      const campaign = election.campaign(this.#o.org);
      let lostReason: Error | undefined;
      // A campaign may emit 'error' more than once (its start failed, then its lease was lost,
      // e.g. after the process was paused): a listener for every one, or the next one crashes
      // the node as an unhandled 'error' event.
      const lost = new Promise<void>((resolve) =>
        campaign.on('error', (e: unknown) => {
          lostReason ??= e as Error;
          resolve();
        }),
      );
      try {
        const r = await Promise.race([
          once(campaign, 'elected').then(() => 'elected' as const),
          lost.then(() => 'lost' as const),
          this.#stopSignal().then(() => 'stop' as const),
        ]);
        if (r === 'elected') {
          const key = await campaign.getCampaignKey();
          this.#isCutter = true;
          this.#o.info?.(`etcd: ${this.#o.org} is the block cutter`);
          await this.#cutWhileLeader(key, () => lostReason !== undefined);
        }
      } catch (e) {
        this.#o.info?.(`etcd: cutting stopped: ${(e as Error).message}`);
      } finally {
        this.#isCutter = false;
        await campaign.resign().catch(() => undefined);
      }
      if (!this.#stopped) await Promise.race([sleep(200), this.#stopSignal()]);
    }
  }

  /** Cuts blocks while this node holds the campaign key; returns when it lost it or stopped. */
  async #cutWhileLeader(campaignKey: string, lost: () => boolean): Promise<void> {
    const log = this.#log;
    const view = this.#view!;
    const pending = new Map<string, PendingTx>();
    const wake = (): boolean => this.#events.emit('tx');
    const now = this.#o.now ?? Date.now;
    // Pending transactions: what `txs/` holds now, then what is put later.
    const snap = await log.client.getAll().prefix(log.txPrefix).exec();
    const add = (kv: IKeyValue): void => {
      const id = kv.key.toString().slice(log.txPrefix.length);
      if (pending.has(id) || view.isCommitted(id)) return;
      try {
        const tx = parseTx(JSON.parse(kv.value.toString()));
        if (txIdOf(tx.body) !== id) return; // a key that does not name its transaction
        pending.set(id, { tx, size: kv.value.length, at: now() });
      } catch {
        /* malformed: never ordered; the key is garbage-collected below */
      }
    };
    for (const kv of snap.kvs) add(kv);
    const watcher = await log.watchPrefix(log.txPrefix, BigInt(snap.header.revision) + 1n, {
      put: (kv) => {
        add(kv);
        wake();
      },
      delete: (kv) => pending.delete(kv.key.toString().slice(log.txPrefix.length)),
    });
    let watchFailed = false;
    watcher.on('error', () => {
      watchFailed = true;
      wake();
    });
    const garbage: string[] = snap.kvs
      .map((kv) => kv.key.toString().slice(log.txPrefix.length))
      .filter((id) => !pending.has(id));
    let lastPrune = now();
    let lastScan = now();
    try {
      while (!this.#stopped && !lost() && !watchFailed && !view.halted() && view.canPropose()) {
        // Cut on top of every block etcd holds: wait for the follower to apply them.
        if (view.head().height < this.#etcdTip) {
          await Promise.race([once(this.#events, 'applied'), sleep(50), this.#stopSignal()]);
          continue;
        }
        if (garbage.length > 0) this.#deleteTxKeys(garbage.splice(0));
        if (this.#o.pruneEveryMs > 0 && now() - lastPrune >= this.#o.pruneEveryMs) {
          lastPrune = now();
          void this.#prune();
        }
        const batch = this.#select(pending, garbage);
        if (batch.length === 0) {
          // Nothing pending: now and then read `txs/` again, in case the watch missed a put.
          if (now() - lastScan >= this.#o.watchdogMs) {
            lastScan = now();
            for (const kv of (await log.client.getAll().prefix(log.txPrefix).exec()).kvs) add(kv);
            if (pending.size > 0) continue;
          }
          await Promise.race([once(this.#events, 'tx'), sleep(200), this.#stopSignal()]);
          continue;
        }
        const { maxTxs, timeoutMs } = this.#o.params;
        const waited = now() - batch[0]!.at;
        if (batch.length < maxTxs && waited < timeoutMs) {
          await Promise.race([sleep(timeoutMs - waited), this.#stopSignal()]);
          continue;
        }
        const passed = await view.screen?.(batch.map((p) => p.tx));
        if (passed?.includes(false)) {
          const dropped = batch.filter((_, i) => !passed[i]).map((p) => txIdOf(p.tx.body));
          for (const id of dropped) pending.delete(id);
          this.#deleteTxKeys(dropped);
          this.#o.info?.(`etcd: dropped ${dropped.length} transaction(s) whose proof does not verify`);
          continue;
        }
        const block = this.#makeBlock(batch.map((p) => p.tx));
        const h = block.header.height;
        const written = await log.createBlock(campaignKey, h, JSON.stringify(block));
        if (written.outcome === 'not-leader') {
          this.#o.info?.(`etcd: ${this.#o.org} lost the cutter lease; it no longer writes blocks`);
          return;
        }
        if (written.outcome === 'pruned') {
          // This node has not applied blocks the consortium committed and etcd pruned (it is
          // still syncing them from peers): cut only on top of them.
          if (written.below - 1 > this.#etcdTip) this.#etcdTip = written.below - 1;
          continue;
        }
        if (written.outcome === 'exists') {
          if (h > this.#etcdTip) this.#etcdTip = h;
          continue; // another cutter wrote h: apply it first
        }
        if (h > this.#etcdTip) this.#etcdTip = h;
        const ids = batch.map((p) => txIdOf(p.tx.body));
        for (const id of ids) pending.delete(id);
        this.#deleteTxKeys(ids);
        // The next block follows this one's state: wait until the node applied it.
        while (view.head().height < h && !this.#stopped && !view.halted())
          await Promise.race([once(this.#events, 'applied'), sleep(50), this.#stopSignal()]);
      }
    } finally {
      await cancelWatch(watcher);
    }
  }

  /** Up to one block of pending transactions, oldest first; drops the committed ones. */
  #select(pending: Map<string, PendingTx>, garbage: string[]): PendingTx[] {
    const { maxTxs, maxBytes } = this.#o.params;
    const limit = Math.min(maxBytes, this.#o.maxBlockBytes - 4096);
    const out: PendingTx[] = [];
    let bytes = 0;
    for (const [id, p] of pending) {
      if (this.#view!.isCommitted(id)) {
        pending.delete(id);
        garbage.push(id);
        continue;
      }
      if (out.length >= maxTxs || (out.length > 0 && bytes + p.size > limit)) break;
      out.push(p);
      bytes += p.size;
    }
    return out;
  }

  #makeBlock(txs: SignedTx[]): Block {
    const head = this.#view!.head();
    const now = (this.#o.now ?? Date.now)();
    const header: BlockHeader = {
      chainId: this.#o.chainId,
      height: head.height + 1,
      prevHash: head.hash,
      txRoot: txRootOf(txs),
      stateDigest: head.stateDigest,
      time: Math.max(now, head.time),
      proposer: this.#o.org,
      txCount: txs.length,
    };
    return { header, txs, proposerSig: signBlockHeader(header, this.#o.nodeKey) };
  }

  /** Deletes ordered transactions' keys (garbage collection; a lost delete is retried later). */
  #deleteTxKeys(ids: string[]): void {
    for (let i = 0; i < ids.length; i += this.#o.putBatch) {
      const part = ids.slice(i, i + this.#o.putBatch);
      this.#log.client.kv
        .txn({
          compare: [],
          success: part.map((id) => ({ request_delete_range: { key: Buffer.from(this.#log.txKey(id)) } })),
          failure: [],
        })
        .catch(() => undefined);
    }
  }

  /** Prunes etcd below the lowest height the running consortium nodes have stored. */
  async #prune(): Promise<void> {
    try {
      const res = await this.#log.client.getAll().prefix(this.#log.heightPrefix).strings();
      const heights = Object.values(res).map(Number).filter(Number.isSafeInteger);
      heights.push(this.#view!.head().height);
      const low = Math.min(...heights);
      if (low > 1) await this.#log.pruneBelow(low);
    } catch (e) {
      this.#o.info?.(`etcd: pruning failed: ${(e as Error).message}`);
    }
  }
}
