/**
 * What a node's services see of the ledger: the committed state and blocks, submission, and
 * the events of committed blocks. Services (records, notifications, proxies, anonymity) take
 * this narrow interface instead of the whole `MedledgerNode`, so they cannot reach its
 * orderer, writer or mempool, and a test can hand them any ledger that answers these calls.
 */
import type { JsonValue } from '@medledger/crypto';
import type {
  Block,
  BlockHeader,
  ContractRegistry,
  Genesis,
  LedgerEvent,
  SignedTx,
  StateReader,
  TxInclusionProof,
} from '@medledger/core';
import type { Receipt, SubmitResult } from '@medledger/client';

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

/** The 'block' event: a block became durable. */
export interface BlockEvent {
  height: number;
  hash: string;
  /** State digest after the block. */
  stateDigest: string;
  txCount: number;
  time: number;
}

/** A contract event of a committed transaction. */
export type CommittedLedgerEvent = LedgerEvent & { txId: string; height: number };

export interface LedgerViewEvents {
  block: [BlockEvent];
  'ledger-event': [CommittedLedgerEvent];
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
  on<E extends keyof LedgerViewEvents>(event: E, listener: (...args: LedgerViewEvents[E]) => void): this;
  off<E extends keyof LedgerViewEvents>(event: E, listener: (...args: LedgerViewEvents[E]) => void): this;
}
