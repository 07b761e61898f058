/**
 * Ordering: one interface, several engines (DESIGN.md). An orderer takes transactions this
 * node has admitted and delivers blocks, in height order, to every node. The embedded
 * default is `SoloOrderer`; a consortium uses an etcd cluster as its ordering log.
 *
 * Contract:
 * - `order(tx)` resolves once the orderer has accepted the transaction (for etcd: durably,
 *   under a key derived from its id, so a retried submission is idempotent).
 * - `start(from, onBlock)` delivers every block after `from.height`, exactly once and in
 *   order, awaiting `onBlock` before the next one; after a restart it resumes from the
 *   node's stored head.
 * - Block headers need the proposer's view of the chain head (prev hash and state digest
 *   after the previous block), which the node supplies through `ChainView`.
 */
import type { Block, SignedTx } from '@medledger/core';
import type { Head } from '../store/ledgerStore.js';

export interface ChainView {
  /** The last block this node applied. */
  head(): Head;
}

/**
 * Hands a block to the node. `ordered`: the next block of the ordering log — a bad one halts
 * the node. `sync`: a block fetched from a peer — a bad one is refused (the caller tries
 * another peer) and the node goes on.
 */
export type BlockHandler = (block: Block, source?: 'ordered' | 'sync') => Promise<void>;

export interface Orderer {
  readonly name: string;
  order(tx: SignedTx, txId: string, size: number): Promise<void>;
  start(view: ChainView, onBlock: BlockHandler): Promise<void>;
  stop(): Promise<void>;
}
