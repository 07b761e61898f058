/**
 * Submitting a domain transaction on behalf of a route (pharmacy, supply, payments): parse it,
 * check its type, admit it, and wait for its receipt. A refused transaction is not an error
 * here: its receipt carries the contract's code, as `POST /v1/txs?wait` answers it.
 */
import { LedgerError, parseTx, type SignedTx } from '@medledger/core';
import type { Receipt } from '@medledger/client';
import type { LedgerView } from './ledgerView.js';

/** How long a route waits for a receipt. */
export const ROUTE_WAIT_MS = 30_000;

/**
 * Parses an untrusted transaction of one of `types`.
 * @throws LedgerError MALFORMED_TX, or MALFORMED_REQUEST naming the expected types
 */
export function parseDomainTx(input: unknown, types: readonly string[]): SignedTx {
  const tx = parseTx(input);
  if (!types.includes(tx.body.type))
    throw new LedgerError({ code: 'MALFORMED_REQUEST' }, `tx must be of type ${types.join(' or ')}`);
  return tx;
}

/**
 * Admits a transaction and waits for its receipt.
 * @throws the admission's LedgerError (BAD_SIGNATURE, TX_EXPIRED, ...); TX_NOT_COMMITTED after `waitMs`
 */
export async function submitAndWait(
  node: LedgerView,
  tx: SignedTx,
  waitMs = ROUTE_WAIT_MS,
): Promise<{ txId: string; receipt: Receipt }> {
  const r = await node.submit(tx);
  const receipt = r.status === 'committed' ? r.receipt : await node.waitForReceipt(r.txId, waitMs);
  if (!receipt)
    throw new LedgerError({ code: 'TX_NOT_COMMITTED' }, `transaction ${r.txId} is not committed yet`);
  return { txId: r.txId, receipt };
}
