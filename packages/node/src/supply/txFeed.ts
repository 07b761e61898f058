/**
 * Follows the committed transactions of a node in block order, from a height: it catches up
 * on the stored blocks first, then takes each new block as the node announces it. A handler
 * sees every transaction of the chosen types with its validity code and message (refused ones
 * included), so a service that derives its index from the feed rebuilds it after a restart by
 * replaying the ledger: nothing is kept only in in-memory events. Handlers run one at a time,
 * in order.
 *
 * Cost on the commit path: when a block is announced the feed picks out the transactions of
 * its types from the block the node still holds in memory (a type comparison per transaction)
 * and queues them; everything else happens later, off that path. Catching up reads stored
 * blocks and yields to the event loop every few blocks.
 */
import { txIdOf, type SignedTx } from '@medledger/core';
import type { MedledgerNode } from '../node.js';

/** One committed transaction, valid or not. */
export interface FedTx {
  tx: SignedTx;
  txId: string;
  code: string;
  message: string | undefined;
  height: number;
  time: number;
}

export type TxHandler = (t: FedTx) => void | Promise<void>;

/** A running feed; `close()` stops it, `idle()` resolves when it has handled the node's head. */
export interface TxFeed {
  idle(): Promise<void>;
  close(): void;
}

const YIELD_EVERY = 64;

/**
 * Starts a feed over `node` from height `from` (default 1: the whole ledger).
 * @param types only transactions of these types reach the handler
 * @param o.onError called if the handler throws (the feed goes on with the next transaction)
 */
export function followTxs(
  node: MedledgerNode,
  types: readonly string[],
  handler: TxHandler,
  o: { from?: number; onError?: (e: unknown) => void } = {},
): TxFeed {
  const want = new Set(types);
  let next = o.from ?? 1; // the next height not yet queued or handled
  let closed = false;
  const queue: FedTx[] = [];
  let chain = Promise.resolve();

  const pick = (height: number): FedTx[] => {
    const b = node.getBlock(height);
    if (!b) return [];
    const out: FedTx[] = [];
    b.block.txs.forEach((tx, i) => {
      if (!want.has(tx.body.type)) return;
      const txId = txIdOf(tx.body);
      out.push({
        tx,
        txId,
        code: b.codes[i]!,
        message: node.receipt(txId)?.message,
        height,
        time: b.block.header.time,
      });
    });
    return out;
  };
  const drain = async (): Promise<void> => {
    for (let n = 0; !closed && next <= node.head().height; n++) {
      queue.push(...pick(next++));
      if (n % YIELD_EVERY === YIELD_EVERY - 1) await new Promise((r) => setImmediate(r));
    }
    while (!closed && queue.length > 0) {
      const t = queue.shift()!;
      try {
        await handler(t);
      } catch (e) {
        o.onError?.(e);
      }
    }
  };
  const schedule = (): void => {
    chain = chain.then(drain);
  };
  const onBlock = (e: { height: number }): void => {
    // The announced block is the one the node holds in memory: queue its transactions now.
    if (e.height !== next) return schedule(); // still catching up: drain reads the store
    queue.push(...pick(next++));
    schedule();
  };
  node.on('block', onBlock);
  schedule();
  return {
    idle: () => chain,
    close() {
      closed = true;
      node.off('block', onBlock);
    },
  };
}
