/**
 * The state the commit pipeline reads: the durable store plus the writes of blocks that are
 * applied but still being written by the writer thread. With it, block h+1 is verified and
 * applied while block h is written and fsynced, instead of after; receipts, events, the
 * node's public head and every public read still wait for durability (they read the store).
 *
 * Blocks are staged in height order and released in the same order, each once the store has
 * caught up with it (`LedgerStore.committed`), so a key is always found in one or the other.
 */
import type { JsonValue } from '@medledger/crypto';
import type { StateReader, StateWrite, TxOutcome } from '@medledger/core';

interface Staged {
  writes: Map<string, JsonValue | null>;
  okTxs: Set<string>;
  /** Every transaction of the block, whatever its code. */
  txs: Set<string>;
}

export class PendingState implements StateReader {
  readonly #base: StateReader;
  readonly #staged: Staged[] = [];

  constructor(base: StateReader) {
    this.#base = base;
  }

  /** Blocks applied but not yet durable. */
  get depth(): number {
    return this.#staged.length;
  }

  get(key: string): JsonValue | undefined {
    for (let i = this.#staged.length - 1; i >= 0; i--) {
      const w = this.#staged[i]!.writes;
      if (w.has(key)) return w.get(key) ?? undefined;
    }
    return this.#base.get(key);
  }

  hasCommittedTx(txId: string): boolean {
    for (const s of this.#staged) if (s.okTxs.has(txId)) return true;
    return this.#base.hasCommittedTx(txId);
  }

  /** True if the transaction is in a staged block, whatever its validity code. */
  hasStagedTx(txId: string): boolean {
    for (const s of this.#staged) if (s.txs.has(txId)) return true;
    return false;
  }

  /** Stages an applied block's writes and its valid transactions, on top of earlier ones. */
  stage(writes: readonly StateWrite[], outcomes: readonly TxOutcome[]): void {
    const okTxs = new Set<string>();
    const txs = new Set<string>();
    for (const o of outcomes) {
      txs.add(o.txId);
      if (o.code === 'OK') okTxs.add(o.txId);
    }
    this.#staged.push({ writes: new Map(writes), okTxs, txs });
  }

  /** Drops the oldest staged block: the store now holds it. */
  release(): void {
    this.#staged.shift();
  }
}
