/**
 * Light client: checks that a transaction is committed without trusting the node that
 * serves it. It needs only genesis (for the proposer's node key) and the block header: the
 * header's signature proves which organization's node cut the block, the Merkle proof
 * proves the transaction is in it.
 */
import { chainIdOf, publicKeyObject, txIdOf, verifyTxInclusion, type Genesis } from '@medledger/core';
import type { TxWithProof } from './http.js';

/** True if `t` is a transaction committed in a block signed by a genesis organization's node. */
export function verifyTxWithProof(t: TxWithProof, genesis: Genesis): boolean {
  if (t.header.chainId !== chainIdOf(genesis)) return false;
  const org = genesis.orgs.find((o) => o.id === t.header.proposer);
  if (!org?.nodeKey) return false;
  if (
    t.receipt.txId !== txIdOf(t.tx.body) ||
    t.receipt.height !== t.header.height ||
    t.receipt.index !== t.proof.index
  )
    return false;
  return verifyTxInclusion({
    tx: t.tx,
    proof: t.proof,
    header: t.header,
    trusted: { proposerSig: t.proposerSig, proposerKey: publicKeyObject(org.nodeKey) },
  });
}
