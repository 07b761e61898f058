/**
 * Batches the reads a node serves outside `access.request` (DSS reads through the API, SPV
 * and STT deliveries, erasures it executed) into node-signed `access.log` transactions
 * (issue 3 §7: "a node may batch many entries into one transaction per block"). Entries are
 * flushed every `flushMs` (default 50 ms, about one block interval of the embedded orderer)
 * or as soon as `maxEntries` (default 500) are queued, so the ledger carries at most one
 * such transaction per interval whatever the read rate.
 *
 * Threat model: the node is trusted to log what it serves (it could serve without logging;
 * a dishonest node is detected only by comparing what requesters report, out of scope).
 * If a flush is rejected the entries go back to the head of the queue and are retried at
 * the next flush; they are lost only if the process dies before they commit (at most
 * `flushMs` of reads plus one unconfirmed batch).
 */
import { Wallet } from '@medledger/client';
import type { AccessLogEntry } from '@medledger/core';
import type { LedgerView } from '../ledgerView.js';

/** Options of {@link AccessLogBatcher}. */
export interface AccessLogBatcherOptions {
  node: LedgerView;
  /** PKCS#8 of the key of `node:<org>`. */
  nodeKey: Uint8Array;
  flushMs?: number;
  maxEntries?: number;
  now?: () => number;
  /** Called with an error code when a batch is rejected (no entry contents). */
  onError?: (code: string) => void;
}

/**
 * Queues access-log entries and submits them as `access.log` transactions.
 * @example
 * const log = new AccessLogBatcher({ node, nodeKey });
 * log.add({ recordId, requester, purpose: 'treatment', channel: 'dss', outcome: 'allowed', at: Date.now() });
 * const txId = await log.flush(); // tests: wait for the receipt of this batch
 */
export class AccessLogBatcher {
  readonly #node: LedgerView;
  readonly #wallet: Wallet;
  readonly #flushMs: number;
  readonly #max: number;
  readonly #now: () => number;
  readonly #onError: (code: string) => void;
  #queue: AccessLogEntry[] = [];
  #timer: NodeJS.Timeout | undefined;
  #inflight: Promise<string | undefined> = Promise.resolve(undefined);
  /** Transaction ids of the batches submitted so far (latest last, at most 1000 kept). */
  readonly submitted: string[] = [];

  constructor(o: AccessLogBatcherOptions) {
    this.#node = o.node;
    this.#wallet = new Wallet({ signerId: `node:${o.node.org}`, privateKey: o.nodeKey });
    this.#flushMs = o.flushMs ?? 50;
    this.#max = o.maxEntries ?? 500;
    this.#now = o.now ?? Date.now;
    this.#onError = o.onError ?? (() => undefined);
  }

  /** Number of entries waiting. */
  #closed = false;

  get pending(): number {
    return this.#queue.length;
  }

  /** Queues one entry; the batch goes out within `flushMs` or when `maxEntries` are queued. */
  add(e: AccessLogEntry): void {
    if (this.#closed) throw new Error('access log batcher is closed');
    this.#queue.push(e);
    if (this.#queue.length >= this.#max) void this.flush();
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
    const run = this.#inflight.then(() => this.#submit());
    this.#inflight = run.catch(() => undefined);
    return run;
  }

  async #submit(): Promise<string | undefined> {
    const entries = this.#queue.splice(0, 10_000);
    if (entries.length === 0) return undefined;
    const tx = this.#wallet.tx({
      chainId: this.#node.chainId,
      type: 'access.log',
      payload: { entries: entries.map((e) => ({ ...e })) },
      createdAt: this.#now(),
    });
    try {
      const r = await this.#node.submit(tx);
      this.submitted.push(r.txId);
      if (this.submitted.length > 1000) this.submitted.shift();
      return r.txId;
    } catch (e) {
      this.#queue.unshift(...entries);
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
    return (await this.#node.waitForReceipt(last, timeoutMs))?.code;
  }

  /** Flushes what is queued and stops the timer. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
