/** Step 3 of committing a block: one SQLite transaction for the block, its results and state. */
import { blockHashOf, type ApplyResult, type Block } from '@medledger/core';
import type { Head, LedgerStore } from '../store/ledgerStore.js';

export function persist(store: LedgerStore, block: Block, result: ApplyResult): Head {
  return store.commitBlock(
    block,
    blockHashOf(block.header),
    result.outcomes,
    result.writes,
    result.stateDigest,
    result.writeTexts,
  );
}
