/**
 * Batches the reads a node serves outside `access.request` (DSS reads through the API, SPV
 * and STT deliveries, erasures it executed) into node-signed `access.log` transactions
 * (issue 3 §7: "a node may batch many entries into one transaction per block"). Entries are
 * flushed every `flushMs` (default 50 ms, about one block interval of the embedded orderer)
 * or as soon as `maxEntries` (default 500) are queued, so the ledger carries at most one
 * such transaction per interval whatever the read rate.
 *
 * Durability: {@link AccessLogBatcher.add} writes the entry to the outbox
 * (accessLogOutbox.ts, fsync'd SQLite) before it returns, and callers add the entry before
 * they answer the read. A batch's signed transaction is stored with its entries before it is
 * submitted; entries are deleted once its receipt is seen. After a crash,
 * {@link AccessLogBatcher.start} submits the stored batches again (the same transaction, so
 * a batch that did commit is not logged twice) and batches what was never submitted; a batch
 * the node refuses (expired, say) gives its entries back for a new one. So every read that was
 * answered reaches the ledger, unless the node's directory itself is lost.
 *
 * Threat model: the node is trusted to log what it serves (it could serve without logging;
 * a dishonest node is detected only by comparing what requesters report, out of scope).
 */
import { Wallet } from '@medledger/client';
import { txIdOf, type AccessLogEntry } from '@medledger/core';
import type { LedgerView } from '../ledgerView.js';
import { AccessLogOutbox } from './accessLogOutbox.js';

/** Options of {@link AccessLogBatcher}. */
export interface AccessLogBatcherOptions {
  node: LedgerView;
  /** PKCS#8 of the key of `node:<org>`. */
  nodeKey: Uint8Array;
  /** SQLite file of the outbox (`access-log.sqlite` in the node directory); default in memory. */
  outboxPath?: string;
  flushMs?: number;
  maxEntries?: number;
  now?: () => number;
  /** Called with an error code when a batch is rejected (no entry contents). */
  onError?: (code: string) => void;
}

/** How often batches in flight are checked for their receipts while any are outstanding. */
const RECONCILE_MS = 250;

/**
 * Queues access-log entries durably and submits them as `access.log` transactions.
 * @example
 * const log = new AccessLogBatcher({ node, nodeKey, outboxPath: join(dir, 'access-log.sqlite') });
 * await log.start();
 * log.add({ recordId, requester, purpose: 'treatment', channel: 'dss', outcome: 'allowed', at: Date.now() });
 * const txId = await log.flush(); // tests: wait for the receipt of this batch
 */
export class AccessLogBatcher {
  readonly #node: LedgerView;
  readonly #wallet: Wallet;
  readonly #outbox: AccessLogOutbox;
  readonly #flushMs: number;
  readonly #max: number;
  readonly #now: () => number;
  readonly #onError: (code: string) => void;
  #timer: NodeJS.Timeout | undefined;
  #reconcileTimer: NodeJS.Timeout | undefined;
  #inflight: Promise<string | undefined> = Promise.resolve(undefined);
  #closed = false;
  /** Entries added with {@link AccessLogBatcher.addGrouped} since the last flush. */
  #sinceFlush = 0;
  /** Transaction ids of the batches submitted so far (latest last, at most 1000 kept). */
  readonly submitted: string[] = [];

  constructor(o: AccessLogBatcherOptions) {
    this.#node = o.node;
    this.#wallet = new Wallet({ signerId: `node:${o.node.org}`, privateKey: o.nodeKey });
    this.#outbox = new AccessLogOutbox(o.outboxPath);
    this.#flushMs = o.flushMs ?? 50;
    this.#max = o.maxEntries ?? 500;
    this.#now = o.now ?? Date.now;
    this.#onError = o.onError ?? (() => undefined);
  }

  /** Number of entries in no batch yet. */
  get pending(): number {
    return this.#outbox.unbatched;
  }

  /** Number of batches submitted and not yet seen committed. */
  get inFlight(): number {
    return this.#outbox.batches().length;
  }

  /**
   * Recovers after a restart: forgets batches that committed, submits the others again (a
   * batch the node refuses gives its entries back), then batches what was left.
   */
  async start(): Promise<void> {
    const run = this.#inflight.then(async () => {
      this.#reconcile();
      for (const b of this.#outbox.batches()) {
        try {
          await this.#node.submit(b.tx);
          this.#remember(b.txId);
        } catch (e) {
          this.#outbox.release(b.txId);
          this.#onError((e as { code?: string }).code ?? 'INTERNAL');
        }
      }
      return undefined;
    });
    this.#inflight = run.catch(() => undefined);
    await run;
    if (this.pending > 0) await this.flush();
    this.#armReconcile();
  }

  /**
   * Writes one entry to the outbox (on disk when this returns: call it before answering the
   * read); the batch goes out within `flushMs` or when `maxEntries` are queued.
   */
  add(e: AccessLogEntry): void {
    if (this.#closed) throw new Error('access log batcher is closed');
    this.#outbox.add(e);
    if (this.pending >= this.#max) void this.flush();
    else this.#timer ??= setTimeout(() => void this.flush(), this.#flushMs);
  }

  /**
   * As {@link AccessLogBatcher.add}, with group commit: the entries added in one turn of the
   * event loop are written to the outbox in one transaction (one fsync for all of them). Await
   * it before answering the read: it resolves once the entry is on disk.
   * @throws (rejects) if the batcher is closed or the outbox write failed
   */
  async addGrouped(e: AccessLogEntry): Promise<void> {
    if (this.#closed) throw new Error('access log batcher is closed');
    await this.#outbox.addGrouped(e);
    if (++this.#sinceFlush >= this.#max) void this.flush();
    else this.#timer ??= setTimeout(() => void this.flush(), this.#flushMs);
  }

  /**
   * Submits the queued entries now (serialized with earlier flushes).
   * @returns the id of the transaction carrying them, or undefined if nothing was queued or
   *   the node rejected the batch (then the entries are queued again)
   */
  flush(): Promise<string | undefined> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#sinceFlush = 0;
    const run = this.#inflight.then(() => this.#submit());
    this.#inflight = run.catch(() => undefined);
    return run;
  }

  /** Deletes the batches whose transaction committed. */
  #reconcile(): void {
    for (const b of this.#outbox.batches()) {
      const r = this.#node.receipt(b.txId);
      if (!r) continue;
      if (r.code !== 'OK') this.#onError(`access.log batch committed with ${r.code}`);
      this.#outbox.done(b.txId);
    }
  }

  #armReconcile(): void {
    if (this.#reconcileTimer || this.#closed || this.#outbox.batches().length === 0) return;
    this.#reconcileTimer = setTimeout(() => {
      this.#reconcileTimer = undefined;
      if (!this.#closed) this.#reconcile();
      this.#armReconcile();
    }, RECONCILE_MS);
    this.#reconcileTimer.unref();
  }

  #remember(txId: string): void {
    this.submitted.push(txId);
    if (this.submitted.length > 1000) this.submitted.shift();
  }

  async #submit(): Promise<string | undefined> {
    if (this.#closed) return undefined;
    this.#reconcile();
    const { seqs, entries } = this.#outbox.take(10_000);
    if (entries.length === 0) return undefined;
    const tx = this.#wallet.tx({
      chainId: this.#node.chainId,
      type: 'access.log',
      payload: { entries: entries.map((e) => ({ ...e })) },
      createdAt: this.#now(),
    });
    const txId = txIdOf(tx.body);
    // Stored before it is submitted: a crash after the submission finds it and submits it again.
    this.#outbox.assign(seqs, { txId, tx });
    try {
      await this.#outbox.sync();
      const r = await this.#node.submit(tx);
      this.#remember(r.txId);
      this.#armReconcile();
      return r.txId;
    } catch (e) {
      this.#outbox.release(txId);
      this.#onError((e as { code?: string }).code ?? 'INTERNAL');
      // Retry later — unless shutting down: a closed node refuses every batch, and a retry
      // timer re-armed forever would keep the process alive.
      if (!this.#timer && !this.#node.halted && !this.#closed)
        this.#timer = setTimeout(() => void this.flush(), this.#flushMs);
      return undefined;
    }
  }

  /**
   * Flushes and waits until the latest batch is committed (tests, shutdown).
   * @returns the code of the latest batch's receipt, or undefined if none was submitted or
   *   it did not commit within `timeoutMs`
   */
  async settle(timeoutMs = 10_000): Promise<string | undefined> {
    await this.flush();
    const last = this.submitted.at(-1);
    if (last === undefined) return undefined;
    const code = (await this.#node.waitForReceipt(last, timeoutMs))?.code;
    if (!this.#closed) this.#reconcile();
    return code;
  }

  /**
   * Flushes what is queued, stops the timers and closes the outbox; what has not committed
   * stays in it for the next {@link start}.
   */
  async close(): Promise<void> {
    await this.flush();
    this.#closed = true;
    await this.#inflight;
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#reconcileTimer) clearTimeout(this.#reconcileTimer);
    this.#timer = undefined;
    this.#reconcileTimer = undefined;
    this.#outbox.close();
  }
}
