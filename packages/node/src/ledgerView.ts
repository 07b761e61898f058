/**
 * What a node's services see of the ledger: the committed state and blocks, submission, and
 * the feed of committed blocks with their events (`follow`). Services (records, notifications, proxies, anonymity) take
 * this narrow interface instead of the whole `MedledgerNode`, so they cannot reach its
 * orderer, writer or mempool, and a test can hand them any ledger that answers these calls.
 */
import type { JsonValue } from '@medledger/crypto';
import type {
  Block,
  BlockHeader,
  ContractRegistry,
  Genesis,
  SignedTx,
  StateReader,
  TxInclusionProof,
} from '@medledger/core';
import type { Receipt, SubmitResult } from '@medledger/client';
import type { FeedHandler, Follower, FollowOptions } from './feed/blockFeed.js';

export type { CommittedLedgerEvent } from './store/events.js';
export type { FeedBlock, FeedHandler, Follower, FollowOptions } from './feed/blockFeed.js';
export type { FeedCursor } from './feed/cursors.js';

/** The last durable block. */
export interface LedgerHead {
  height: number;
  hash: string;
  stateDigest: string;
  time: number;
}

/** A committed block as the node stores it, with one validity code per transaction. */
export interface CommittedBlock {
  block: Block;
  hash: string;
  codes: string[];
  /** State digest after the block. */
  stateDigest: string;
}

/** A committed transaction with its receipt, Merkle inclusion proof and block header. */
export interface TxWithProofOf {
  tx: SignedTx;
  receipt: Receipt;
  proof: TxInclusionProof;
  header: BlockHeader;
  proposerSig: string;
}

/** The 'block' event: a block became durable (a wake-up; follow the feed to process blocks). */
export interface BlockEvent {
  height: number;
  hash: string;
  /** State digest after the block. */
  stateDigest: string;
  txCount: number;
  time: number;
}

export interface LedgerViewEvents {
  block: [BlockEvent];
  alarm: [Error];
}

export interface LedgerView {
  readonly chainId: string;
  /** The organization whose node this is. */
  readonly org: string;
  readonly genesis: Genesis;
  readonly contracts: ContractRegistry;
  /** The durable world state (what the last durable block left). */
  readonly store: StateReader;
  /** Set once the node stopped committing (a bad block, a failed write, a fork). */
  readonly halted: Error | undefined;
  head(): LedgerHead;
  getBlock(height: number): CommittedBlock | undefined;
  getTxWithProof(txId: string): TxWithProofOf | undefined;
  receipt(txId: string): Receipt | undefined;
  stateValue(key: string): JsonValue | undefined;
  submit(input: unknown): Promise<Exclude<SubmitResult, { status: 'rejected' }>>;
  submitBatch(inputs: readonly unknown[]): Promise<SubmitResult[]>;
  waitForReceipt(txId: string, timeoutMs: number): Promise<Receipt | undefined>;
  waitForReceipts(txIds: readonly string[], timeoutMs: number): Promise<(Receipt | undefined)[]>;
  /**
   * Delivers every durable block after height `after` (its header, hash, transactions,
   * validity codes and stored events) to `handler`, strictly in height order and awaiting it
   * before the next: stored blocks first, then each new block once it is durable. At least
   * once across restarts: the follower persists the last height it handled and passes it here.
   */
  follow(after: number, handler: FeedHandler, options?: FollowOptions): Follower;
  on<E extends keyof LedgerViewEvents>(event: E, listener: (...args: LedgerViewEvents[E]) => void): this;
  off<E extends keyof LedgerViewEvents>(event: E, listener: (...args: LedgerViewEvents[E]) => void): this;
}
