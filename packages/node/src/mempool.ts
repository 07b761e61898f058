/**
 * Mempool: transactions this node admitted (checked statelessly and signature-verified) and
 * handed to ordering, until they commit. Bounded in count and bytes; deduplicated by
 * transaction id, so the same transaction submitted twice is ordered once.
 */
import { LedgerError, type SignedTx } from '@medledger/core';

export interface MempoolLimits {
  maxTxs: number;
  maxBytes: number;
}

export class Mempool {
  readonly #txs = new Map<string, { tx: SignedTx; size: number }>();
  #bytes = 0;
  readonly limits: MempoolLimits;

  constructor(limits: MempoolLimits = { maxTxs: 100_000, maxBytes: 256 * 1024 * 1024 }) {
    this.limits = limits;
  }

  get size(): number {
    return this.#txs.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  has(txId: string): boolean {
    return this.#txs.has(txId);
  }

  /** Room for `n` more transactions of `bytes` in total? */
  hasRoom(n: number, bytes: number): boolean {
    return this.#txs.size + n <= this.limits.maxTxs && this.#bytes + bytes <= this.limits.maxBytes;
  }

  /**
   * Adds a transaction. Returns false if it is already pending.
   * @throws LedgerError MEMPOOL_FULL when a limit would be exceeded.
   */
  add(txId: string, tx: SignedTx, size: number): boolean {
    if (this.#txs.has(txId)) return false;
    if (!this.hasRoom(1, size)) {
      throw new LedgerError(
        { code: 'MEMPOOL_FULL', pending: this.#txs.size, maxTxs: this.limits.maxTxs },
        `mempool is full (${this.#txs.size} transactions, ${this.#bytes} bytes); retry later`,
      );
    }
    this.#txs.set(txId, { tx, size });
    this.#bytes += size;
    return true;
  }

  remove(txId: string): void {
    const e = this.#txs.get(txId);
    if (!e) return;
    this.#txs.delete(txId);
    this.#bytes -= e.size;
  }
}
