/**
 * Committed transactions of chosen types, in block order, from a height: a thin view over the
 * node's durable block feed (`LedgerView.follow`, feed/blockFeed.ts). A handler sees every
 * transaction of its types with its validity code and message (refused ones included), so a
 * service that derives its index from it rebuilds the index after a restart by following from
 * height 0: nothing is kept only in in-memory events. Handlers run one at a time, in order.
 */
import { txIdOf, type SignedTx } from '@medledger/core';
import type { LedgerView } from '../ledgerView.js';

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
 * Follows `node` from height `from` (default 1: the whole ledger).
 * @param types only transactions of these types reach the handler
 * @param o.onError called if the handler throws (the feed goes on with the next transaction)
 */
export function followTxs(
  node: LedgerView,
  types: readonly string[],
  handler: TxHandler,
  o: { from?: number; onError?: (e: unknown) => void } = {},
): TxFeed {
  const want = new Set(types);
  const follower = node.follow((o.from ?? 1) - 1, async (b) => {
    for (let i = 0; i < b.block.txs.length; i++) {
      const tx = b.block.txs[i]!;
      if (!want.has(tx.body.type)) continue;
      const txId = txIdOf(tx.body);
      try {
        await handler({
          tx,
          txId,
          code: b.codes[i]!,
          message: node.receipt(txId)?.message,
          height: b.height,
          time: b.block.header.time,
        });
      } catch (e) {
        o.onError?.(e);
      }
    }
  });
  return {
    idle: () => follower.synced().catch(() => undefined),
    close() {
      void follower.close();
    },
  };
}
