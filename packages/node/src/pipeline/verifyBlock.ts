/**
 * Step 1 of committing a block: verification. Checks the header against the node's head
 * (links, Merkle root, time, state digest) and the proposer's signature, and verifies in the
 * worker pool every transaction signature this node has not already verified at admission.
 * The results feed the state transition as known signatures; nothing is written here.
 */
import { fromB64u, fromHex } from '@medledger/crypto';
import {
  LedgerError,
  checkBlockLinks,
  getOrg,
  resolveSigner,
  txIdOf,
  verifyBlockHeaderSignature,
  publicKeyObject,
  type Block,
  type BlockHeader,
  type KnownSignatures,
  type StateReader,
} from '@medledger/core';
import type { SignaturePool, SigItem } from '../sigpool/pool.js';

export interface VerifiedSignatures {
  has(key: string): boolean;
}

export const sigKey = (txId: string, signer: string, sig: string): string => `${txId}|${signer}|${sig}`;

/**
 * Verifies a block before it is applied.
 * @param admitted signatures this node verified at admission (key: `sigKey`).
 * @returns the known signature results for `applyBlock`.
 * @throws LedgerError BAD_BLOCK if the header does not follow the parent or is not signed.
 */
export async function verifyBlock(
  block: Block,
  parent: BlockHeader,
  parentStateDigest: string,
  state: StateReader,
  pool: SignaturePool | undefined,
  admitted: VerifiedSignatures,
): Promise<KnownSignatures> {
  const why = checkBlockLinks(block, parent, parentStateDigest);
  if (why)
    throw new LedgerError(
      { code: 'BAD_BLOCK', height: block.header.height },
      `block ${block.header.height}: ${why}`,
    );
  const org = getOrg(state, block.header.proposer);
  if (!org || !verifyBlockHeaderSignature(block.header, block.proposerSig, publicKeyObject(org.nodeKey))) {
    throw new LedgerError(
      { code: 'BAD_BLOCK', height: block.header.height },
      `block ${block.header.height}: proposer signature does not verify`,
    );
  }
  const results = new Map<string, boolean>();
  const items: SigItem[] = [];
  const keys: string[] = [];
  for (const tx of block.txs) {
    const id = txIdOf(tx.body);
    for (const s of tx.signatures) {
      const k = sigKey(id, s.signer, s.sig);
      if (admitted.has(k)) {
        results.set(k, true);
        continue;
      }
      // Keys of signers enrolled earlier in this same block are unknown here; the core
      // verifies those itself during the transition.
      const signer = resolveSigner(state, s.signer);
      if (!signer || !pool) continue;
      let sig: Uint8Array;
      try {
        sig = fromB64u(s.sig);
      } catch {
        continue;
      }
      items.push({ publicKey: signer.publicKey, message: fromHex(id), signature: sig });
      keys.push(`${k}|${signer.publicKey}`);
    }
  }
  if (pool && items.length > 0) {
    const ok = await pool.verify(items);
    ok.forEach((v, i) => results.set(keys[i]!, v));
  }
  return (txId, signer, sig, publicKey) => {
    const k = sigKey(txId, signer, sig);
    return results.get(k) ?? results.get(`${k}|${publicKey}`);
  };
}
