/**
 * Step 1 of committing a block: verification. Checks the header against the node's head
 * (links, Merkle root, time, state digest) and the proposer's signature, and verifies in the
 * worker pool every transaction signature this node has not already verified at admission.
 * The results feed the state transition as known signatures; nothing is written here.
 */
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
  type TxSignature,
} from '@medledger/core';
import type { SignaturePool, SigItem } from '../sigpool/pool.js';

/** Signature objects this node verified at admission (the same objects reach the block). */
export interface VerifiedSignatures {
  has(signature: TxSignature): boolean;
}

/**
 * Verifies a block before it is applied.
 * @param admitted signature objects this node verified at admission.
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
  const results = new Map<TxSignature, boolean>();
  const items: SigItem[] = [];
  const pending: TxSignature[] = [];
  for (const tx of block.txs) {
    for (const s of tx.signatures) {
      if (admitted.has(s)) continue;
      // Keys of signers enrolled earlier in this same block are unknown here; the core
      // verifies those itself during the transition. A signer's key never changes (member
      // ids are certificate hashes), so a result holds for whatever key the core resolves.
      const signer = resolveSigner(state, s.signer);
      if (!signer || !pool) continue;
      // A malformed signature comes back false from the pool, as a wrong one does.
      items.push({ publicKey: signer.publicKey, messageHex: txIdOf(tx.body), signatureB64u: s.sig });
      pending.push(s);
    }
  }
  if (pool && items.length > 0) {
    const ok = await pool.verify(items);
    ok.forEach((v, i) => results.set(pending[i]!, v));
  }
  return (signature) => (admitted.has(signature) ? true : results.get(signature));
}
