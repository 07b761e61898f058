/**
 * Step 1 of committing a block: verification. Checks the header against the node's head
 * (links, Merkle root, time, state digest), that the proposer is a current consortium node
 * and signed it, that its time is not ahead of this node's clock by more than the stated skew
 * (for blocks arriving live; a replay of stored blocks passes no clock), verifies in the
 * worker pool every transaction signature this node has not already verified at admission,
 * and verifies the proofs that transactions carry (anonymity/proofCheck.ts).
 * The results feed the state transition as known signatures; nothing is written here.
 */
import {
  LedgerError,
  activeNode,
  checkBlockLinks,
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
import { checkBlockProofs, type ProofCheckers } from '../anonymity/proofCheck.js';

/** Signature objects this node verified at admission (the same objects reach the block). */
export interface VerifiedSignatures {
  has(signature: TxSignature, txId: string): boolean;
}

/** This node's clock, for blocks that arrive live. */
export interface BlockClock {
  now: number;
  /** How far a block's time may be ahead of `now`. */
  maxSkewMs: number;
}

/**
 * Verifies a block before it is applied.
 * @param admitted signature objects this node verified at admission.
 * @param clock this node's clock, for a block that arrives live (omitted in a replay).
 * @param proofs the proof checkers by transaction type (none: proofs are not checked).
 * @returns the known signature results for `applyBlock`.
 * @throws LedgerError BAD_BLOCK if the header does not follow the parent, its proposer is not
 *   a current consortium node or did not sign it, its time is too far ahead, or a proof a
 *   transaction carries does not verify.
 */
export async function verifyBlock(
  block: Block,
  parent: BlockHeader,
  parentStateDigest: string,
  state: StateReader,
  pool: SignaturePool | undefined,
  admitted: VerifiedSignatures,
  clock?: BlockClock,
  proofs?: ProofCheckers,
): Promise<KnownSignatures> {
  const h = block.header.height;
  const bad = (why: string): LedgerError =>
    new LedgerError({ code: 'BAD_BLOCK', height: h }, `block ${h}: ${why}`);
  const why = checkBlockLinks(block, parent, parentStateDigest);
  if (why) throw bad(why);
  const org = activeNode(state, block.header.proposer);
  if (!org) throw bad(`proposer ${block.header.proposer} is not a current consortium node`);
  if (!verifyBlockHeaderSignature(block.header, block.proposerSig, publicKeyObject(org.nodeKey)))
    throw bad('proposer signature does not verify');
  if (clock && block.header.time > clock.now + clock.maxSkewMs)
    throw bad(
      `time is ${block.header.time - clock.now} ms ahead of this node's clock (at most ${clock.maxSkewMs} allowed)`,
    );
  const fault = proofs && (await checkBlockProofs(proofs, block, state));
  if (fault) throw bad(`transaction ${fault.index} (${fault.type} ${fault.txId}): ${fault.reason}`);
  const results = new Map<TxSignature, boolean>();
  const items: SigItem[] = [];
  const pending: TxSignature[] = [];
  for (const tx of block.txs) {
    const txId = txIdOf(tx.body);
    for (const s of tx.signatures) {
      if (admitted.has(s, txId)) {
        results.set(s, true);
        continue;
      }
      // Keys of signers enrolled earlier in this same block are unknown here; the core
      // verifies those itself during the transition. A signer's key never changes (member
      // ids are certificate hashes), so a result holds for whatever key the core resolves.
      const signer = resolveSigner(state, s.signer);
      if (!signer || !pool) continue;
      // A malformed signature comes back false from the pool, as a wrong one does.
      items.push({ publicKey: signer.publicKey, messageHex: txId, signatureB64u: s.sig });
      pending.push(s);
    }
  }
  if (pool && items.length > 0) {
    const ok = await pool.verify(items);
    ok.forEach((v, i) => results.set(pending[i]!, v));
  }
  return (signature) => results.get(signature);
}
