/**
 * Solo ordering: an in-process block cutter (the embedded default, as Fabric's solo orderer).
 * A block is cut when `maxTxs` transactions or `maxBytes` bytes are pending, or `timeoutMs`
 * after the first pending transaction arrived. The block's time is the wall clock, never
 * below the previous block's; the node's key signs the header.
 *
 * Crash behavior: pending transactions live in memory only. A transaction is acknowledged
 * to its client only with its receipt, after its block is stored, so a crash loses no
 * acknowledged transaction; unacknowledged ones must be resubmitted (idempotently).
 */
import type { KeyObject } from 'node:crypto';
import {
  signBlockHeader,
  txRootOf,
  type Block,
  type BlockHeader,
  type OrderingParams,
  type SignedTx,
} from '@medledger/core';
import type { BlockHandler, ChainView, Orderer } from './orderer.js';

export interface SoloOrdererOptions {
  chainId: string;
  /** Organization id of this node: the proposer of every block. */
  proposer: string;
  nodeKey: KeyObject;
  params: OrderingParams;
  /** Clock, injectable for tests. */
  now?: () => number;
}

export class SoloOrderer implements Orderer {
  readonly name = 'solo';
  readonly #o: SoloOrdererOptions;
  #queue: { tx: SignedTx; size: number }[] = [];
  #queuedBytes = 0;
  #timer: NodeJS.Timeout | undefined;
  #view: ChainView | undefined;
  #onBlock: BlockHandler | undefined;
  #cutting = false;
  #stopped = true;
  #idle: Promise<void> = Promise.resolve();

  constructor(o: SoloOrdererOptions) {
    this.#o = o;
  }

  async order(tx: SignedTx, _txId: string, size: number): Promise<void> {
    if (this.#stopped) throw new Error('orderer is stopped');
    this.#queue.push({ tx, size });
    this.#queuedBytes += size;
    if (this.#queue.length >= this.#o.params.maxTxs || this.#queuedBytes >= this.#o.params.maxBytes)
      this.#kick();
    else if (!this.#timer) this.#timer = setTimeout(() => this.#kick(), this.#o.params.timeoutMs);
  }

  async start(view: ChainView, onBlock: BlockHandler): Promise<void> {
    this.#view = view;
    this.#onBlock = onBlock;
    this.#stopped = false;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#idle;
  }

  #kick(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#cutting || this.#stopped) return;
    this.#cutting = true;
    this.#idle = this.#cutLoop()
      .catch(() => {
        // The node refused its own block (it halted with an alarm): cut nothing more.
        this.#stopped = true;
      })
      .finally(() => {
        this.#cutting = false;
        if (this.#queue.length > 0 && !this.#stopped && !this.#timer) {
          this.#timer = setTimeout(() => this.#kick(), this.#o.params.timeoutMs);
        }
      });
  }

  async #cutLoop(): Promise<void> {
    const { maxTxs, maxBytes } = this.#o.params;
    // Keep cutting while full blocks are waiting; a partial block waits for its timeout,
    // except the first one (the timer already fired for it).
    let first = true;
    while (
      !this.#stopped &&
      this.#queue.length > 0 &&
      (first || this.#queue.length >= maxTxs || this.#queuedBytes >= maxBytes)
    ) {
      first = false;
      let n = 0;
      let bytes = 0;
      while (n < this.#queue.length && n < maxTxs && (n === 0 || bytes + this.#queue[n]!.size <= maxBytes))
        bytes += this.#queue[n++]!.size;
      const batch = this.#queue.splice(0, n);
      this.#queuedBytes -= bytes;
      await this.#onBlock!(this.#makeBlock(batch.map((b) => b.tx)));
    }
  }

  #makeBlock(txs: SignedTx[]): Block {
    const head = this.#view!.head();
    const now = (this.#o.now ?? Date.now)();
    const header: BlockHeader = {
      chainId: this.#o.chainId,
      height: head.height + 1,
      prevHash: head.hash,
      txRoot: txRootOf(txs),
      stateDigest: head.stateDigest,
      time: Math.max(now, head.time),
      proposer: this.#o.proposer,
      txCount: txs.length,
    };
    return { header, txs, proposerSig: signBlockHeader(header, this.#o.nodeKey) };
  }
}
