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
import { countsAsCommitted, type StateReader, type StateWrite, type TxOutcome } from '@medledger/core';

interface Staged {
  writes: Map<string, JsonValue | null>;
  /** Its transactions that committed for good (core `countsAsCommitted`). */
  committed: Set<string>;
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
    for (const s of this.#staged) if (s.committed.has(txId)) return true;
    return this.#base.hasCommittedTx(txId);
  }

  /** Stages an applied block's writes and its committed transactions, on top of earlier ones. */
  stage(writes: readonly StateWrite[], outcomes: readonly TxOutcome[]): void {
    const committed = new Set<string>();
    for (const o of outcomes) if (countsAsCommitted(o.code)) committed.add(o.txId);
    this.#staged.push({ writes: new Map(writes), committed });
  }

  /** Drops the oldest staged block: the store now holds it. */
  release(): void {
    this.#staged.shift();
  }
}
