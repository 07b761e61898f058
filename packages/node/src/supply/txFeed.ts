/**
 * Follows the committed transactions of a node in block order, from a height: it catches up
 * on the stored blocks first, then takes each new block as the node announces it. A handler
 * sees every transaction with its validity code and message (refused ones included), so a
 * service that derives its index from the feed rebuilds it after a restart by replaying the
 * ledger: nothing is kept only in memory events. Handlers run one block at a time, in order.
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

/**
 * Starts a feed over `node` from height `from` (1: the whole ledger).
 * @param types only transactions of these types reach the handler
 * @param o.onError called if the handler throws (the feed goes on with the next block)
 */
export function followTxs(
  node: MedledgerNode,
  types: readonly string[],
  handler: TxHandler,
  o: { from?: number; onError?: (e: unknown) => void } = {},
): TxFeed {
  const from = o.from ?? 1;
  let next = from;
  let closed = false;
  let chain = Promise.resolve();
  const want = new Set(types);
  const pump = (): void => {
    chain = chain.then(async () => {
      while (!closed && next <= node.head().height) {
        const b = node.getBlock(next);
        if (!b) break;
        for (let i = 0; i < b.block.txs.length; i++) {
          const tx = b.block.txs[i]!;
          if (!want.has(tx.body.type)) continue;
          const txId = txIdOf(tx.body);
          await handler({
            tx,
            txId,
            code: b.codes[i]!,
            message: node.receipt(txId)?.message,
            height: next,
            time: b.block.header.time,
          });
        }
        next++;
      }
    });
    chain = chain.catch((e: unknown) => o.onError?.(e));
  };
  const onBlock = (): void => pump();
  node.on('block', onBlock);
  pump();
  return {
    idle: () => chain,
    close() {
      closed = true;
      node.off('block', onBlock);
    },
  };
}
