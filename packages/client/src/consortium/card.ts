/**
 * A new organization's card with its proof of possession: the card (id, name, role, root
 * certificate, optional node key) that the founders propose to add, and the root key's
 * signature over this chain's id and the card (core `signOrgCard`). The organization makes
 * the proof with its own root key; the founders only carry it.
 */
import {
  canonicalP256PublicKey,
  fromB64u,
  p256PublicKeyOf,
  parseCertificate,
  toB64u,
} from '@medledger/crypto';
import { LedgerError, parseOrgCard, signOrgCard, verifyOrgCardProof, type OrgCard } from '@medledger/core';
import { B64U, obj, str } from '@medledger/core/validate';

/** A card and its proof of possession, as one JSON file travels from the organization to the founders. */
export type ProvenOrgCard = OrgCard & { proof: string };

const C = 'MALFORMED_CARD';

/**
 * Makes the proof of possession of `card` on the chain `chainId`.
 * @param rootPrivateKey PKCS#8 DER of the organization's root key (the key of the card's root certificate)
 * @throws LedgerError MALFORMED_CARD if the card is malformed, WRONG_KEY if the key is not the card's root key
 * @example const proven = proveOrgCard(chainId, card, loadPrivateKey(adminDir, 'org-labD', passphrase))
 */
export function proveOrgCard(chainId: string, card: unknown, rootPrivateKey: Uint8Array): ProvenOrgCard {
  const c = parseOrgCard(withoutProof(card), 'card', C);
  const certKey = parseCertificate(fromB64u(c.rootCertificate)).publicKey;
  if (
    toB64u(canonicalP256PublicKey(p256PublicKeyOf(rootPrivateKey))) !==
    toB64u(canonicalP256PublicKey(certKey))
  )
    throw new LedgerError(
      { code: 'WRONG_KEY' },
      `this key is not the root key of ${c.id}'s root certificate`,
    );
  return { ...c, proof: signOrgCard(chainId, c, rootPrivateKey) };
}

/**
 * Reads a proven card (untrusted JSON) and checks its proof on the chain `chainId`.
 * @returns the `consortium.add-org` payload: the card and its proof
 * @throws LedgerError MALFORMED_CARD naming the field, or BAD_PROOF
 */
export function parseProvenCard(input: unknown, chainId: string): { card: OrgCard; proof: string } {
  const o = obj(input, 'card', C);
  if (o.proof === undefined)
    throw new LedgerError(
      { code: C, path: 'card.proof' },
      'card.proof: missing; the organization proves its root key with `medledger consortium prove-card`',
    );
  const proof = str(o.proof, 'card.proof', C, 128, B64U);
  const card = parseOrgCard(withoutProof(o), 'card', C);
  if (!verifyOrgCardProof(chainId, card, proof, parseCertificate(fromB64u(card.rootCertificate)).publicKey))
    throw new LedgerError(
      { code: 'BAD_PROOF' },
      `card.proof is not ${card.id}'s root key signature over this chain's id and the card`,
    );
  return { card, proof };
}

function withoutProof(card: unknown): unknown {
  if (typeof card !== 'object' || card === null || Array.isArray(card)) return card;
  const { proof: _ignored, ...rest } = card as Record<string, unknown>;
  return rest;
}
