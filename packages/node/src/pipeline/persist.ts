/**
 * Step 3 of committing a block: one SQLite transaction for the block, its results and state,
 * written by the writer thread; then this thread's read cache catches up. Resolves with the
 * new head once the block is durable.
 */
import { blockHashOf, type ApplyResult, type Block } from '@medledger/core';
import type { Head, LedgerStore } from '../store/ledgerStore.js';
import type { LedgerWriter } from '../store/writer.js';

export async function persist(
  store: LedgerStore,
  writer: LedgerWriter,
  block: Block,
  result: ApplyResult,
): Promise<Head> {
  const { batch, head } = store.commitBatchOf(
    block,
    blockHashOf(block.header),
    result.outcomes,
    result.writes,
    result.stateDigest,
    result.writeTexts,
  );
  await writer.commit(batch);
  store.committed(result.outcomes, result.writes);
  return head;
}
