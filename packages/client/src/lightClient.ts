/**
 * Light client: checks that a transaction is committed, and with which validity code,
 * without trusting the node that serves it — nor any one node.
 *
 * It needs only the consortium's node keys (from genesis, or a set the caller trusts) and
 * what `GET /v1/txs/:id?final=<ms>` returns: the transaction, its Merkle inclusion proof, the
 * block header, the block's checkpoint with the node signatures of it, and a proof of the
 * transaction's validity code under the checkpoint's codes root. It accepts the transaction
 * only if a quorum (a majority) of the consortium's nodes signed a checkpoint naming that
 * header's hash, the transaction is in the header's Merkle root, and its code is OK. One
 * node's signature — the proposer's included — is never enough.
 *
 * Limits: the node keys a light client trusts are the genesis ones unless the caller passes
 * another set; after the consortium changes (core contracts/consortium), the caller must
 * update that set from a transaction it verified under the old one.
 */
import type { P256PublicKey } from '@medledger/crypto';
import {
  blockHashOf,
  chainIdOf,
  checkpointQuorum,
  publicKeyObject,
  txIdOf,
  validSigners,
  verifyCodeProof,
  verifyTxInclusion,
  type Genesis,
} from '@medledger/core';
import type { TxWithProof } from './http.js';

/** The consortium nodes a light client trusts: organization id → node public key. */
export interface TrustedNodes {
  chainId: string;
  nodes: ReadonlyMap<string, Uint8Array | P256PublicKey>;
}

/** The nodes genesis lists (organizations with a node key). */
export function trustedNodesOf(genesis: Genesis): TrustedNodes {
  const nodes = new Map<string, P256PublicKey>();
  for (const o of genesis.orgs) if (o.nodeKey !== undefined) nodes.set(o.id, publicKeyObject(o.nodeKey));
  return { chainId: chainIdOf(genesis), nodes };
}

export type TxCheck =
  { ok: true; code: 'OK'; height: number; signers: string[] } | { ok: false; reason: string };

/**
 * Checks a served transaction under a quorum checkpoint. Never throws on malformed input.
 * @returns ok with the organizations whose signatures made it final, or why it is refused
 */
export function checkTxWithProof(t: TxWithProof, trust: TrustedNodes | Genesis): TxCheck {
  const tr = 'nodes' in trust ? trust : trustedNodesOf(trust);
  const no = (reason: string): TxCheck => ({ ok: false, reason });
  try {
    const { tx, receipt, proof, header, checkpoint, codeProof } = t;
    if (header.chainId !== tr.chainId) return no('the block is of another chain');
    const txId = txIdOf(tx.body);
    if (receipt.txId !== txId) return no('the receipt is of another transaction');
    if (receipt.height !== header.height || proof.height !== header.height || receipt.index !== proof.index)
      return no('receipt, proof and header disagree on where the transaction is');
    if (!checkpoint || !codeProof) return no('no checkpoint: the node serves no finality proof');
    const body = checkpoint.body;
    if (body.chainId !== tr.chainId || body.height !== header.height)
      return no('the checkpoint is of another chain or height');
    if (body.blockHash !== blockHashOf(header)) return no('the checkpoint names another block');
    const signers = validSigners(checkpoint, tr.nodes);
    const need = checkpointQuorum(tr.nodes.size);
    if (signers.length < need)
      return no(`the block is not final: ${signers.length} of the ${need} node signatures a quorum needs`);
    if (!verifyTxInclusion({ tx, proof, header, trusted: { headerHash: body.blockHash } }))
      return no('the transaction is not in the block');
    if (codeProof.index !== receipt.index || !verifyCodeProof(body.codesRoot, txId, codeProof))
      return no('the validity code does not verify under the checkpoint');
    if (codeProof.code !== 'OK') return no(`the transaction is invalid: ${codeProof.code}`);
    return { ok: true, code: 'OK', height: header.height, signers };
  } catch (e) {
    return no(`malformed proof: ${(e as Error).message}`);
  }
}

/** True if `t` is a valid transaction in a block a quorum of the consortium's nodes made final. */
export function verifyTxWithProof(t: TxWithProof, trust: TrustedNodes | Genesis): boolean {
  return checkTxWithProof(t, trust).ok;
}
