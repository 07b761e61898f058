/**
 * Proof of possession of an organization's root key (`consortium.add-org`): the new root key's
 * P-256 signature over the tagged hash of the chain id and the canonical card. Without it,
 * founders could be led to add a card built around somebody else's root certificate, whose
 * key its submitter does not hold (a rogue-key addition). Binding the chain id keeps a proof
 * made for one consortium from being replayed in another; ids are never reused within one.
 */
import {
  HashTag,
  canonicalBytes,
  fromB64u,
  hashTagged,
  signP256,
  toB64u,
  verifyP256,
} from '@medledger/crypto';
import type { KeyObject } from 'node:crypto';
import type { OrgCard } from '../../genesis.js';

/** The 32 bytes the new root key signs: H_tag(canonical {chainId, card}). */
export function orgCardProofMessage(chainId: string, card: OrgCard): Uint8Array {
  return hashTagged(HashTag.orgCardProof, canonicalBytes({ chainId, card }));
}

/**
 * The proof of possession of a card, made with the organization's root private key.
 * @example const proof = signOrgCard(chainId, card, rootKeys.privateKey)
 */
export function signOrgCard(chainId: string, card: OrgCard, rootPrivateKey: Uint8Array | KeyObject): string {
  return toB64u(signP256(rootPrivateKey, orgCardProofMessage(chainId, card)));
}

/** True if `proof` is the signature of `rootPublicKey` (SPKI DER) over the card on this chain. */
export function verifyOrgCardProof(
  chainId: string,
  card: OrgCard,
  proof: string,
  rootPublicKey: Uint8Array,
): boolean {
  try {
    return verifyP256(rootPublicKey, orgCardProofMessage(chainId, card), fromB64u(proof));
  } catch {
    return false;
  }
}
