/**
 * Step 3 of committing a block: one SQLite transaction for the block, its results and state,
 * written by the writer thread. Returns the head the block leads to at once, and a promise
 * that resolves once the block is durable and this thread's read cache has caught up with it.
 * Writes are queued in order, so blocks become durable in height order.
 */
import { blockHashOf, type ApplyResult, type Block } from '@medledger/core';
import type { Head, LedgerStore } from '../store/ledgerStore.js';
import type { LedgerWriter } from '../store/writer.js';

export function persist(
  store: LedgerStore,
  writer: LedgerWriter,
  block: Block,
  result: ApplyResult,
): { head: Head; durable: Promise<void> } {
  const { batch, head } = store.commitBatchOf(
    block,
    blockHashOf(block.header),
    result.outcomes,
    result.writes,
    result.stateDigest,
    result.writeTexts,
  );
  const durable = writer.commit(batch).then(() => store.committed(result.outcomes, result.writes));
  return { head, durable };
}
