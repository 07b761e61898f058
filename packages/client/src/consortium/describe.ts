/**
 * What a proposal asks, in words, for the founder about to sign it: the change, the chain,
 * when it was made, and who has signed. Shows only public data (ids, names, key fingerprints).
 */
import { fromB64u, parseCertificate, sha256, toHex } from '@medledger/crypto';
import { verifyOrgCardProof, type OrgCard } from '@medledger/core';
import type { GovernanceProposal } from './proposal.js';

/** Short fingerprint of a public key (SPKI, base64url): 16 hex digits of its SHA-256. */
export function keyFingerprint(spkiB64u: string): string {
  return toHex(sha256(fromB64u(spkiB64u))).slice(0, 16);
}

/** One line per fact of the proposal (a proposal from `parseProposal`). */
export function describeProposal(p: GovernanceProposal): string[] {
  const pl = p.body.payload as Record<string, unknown>;
  const lines: string[] = [];
  switch (p.body.type) {
    case 'consortium.add-org': {
      const card = pl.card as unknown as OrgCard;
      const root = parseCertificate(fromB64u(card.rootCertificate));
      const proofOk = verifyOrgCardProof(p.body.chainId, card, pl.proof as string, root.publicKey);
      lines.push(
        `change: add organization ${card.id} "${card.name}" (${card.role}), ` +
          (card.nodeKey ? `running a node with key ${keyFingerprint(card.nodeKey)}` : 'without a node'),
        `root certificate: valid ${new Date(root.notBefore).toISOString()} to ${new Date(root.notAfter).toISOString()}`,
        `proof of possession of its root key: ${proofOk ? 'verifies' : 'DOES NOT VERIFY'}`,
      );
      break;
    }
    case 'consortium.remove-org':
      lines.push(`change: remove organization ${String(pl.org)}; reason: ${String(pl.reason)}`);
      break;
    case 'consortium.rotate-node-key':
      lines.push(`change: node key of ${String(pl.org)} becomes ${keyFingerprint(pl.nodeKey as string)}`);
      break;
    case 'consortium.record-policy':
      lines.push(`change: the minimum quorum of DSS records becomes ${JSON.stringify(pl.dss)}`);
      break;
  }
  const signed = new Set(p.signatures.map((s) => s.signer));
  lines.push(
    `chain: ${p.body.chainId}`,
    `created: ${new Date(p.body.createdAt).toISOString()}`,
    `signers: ${p.body.signers.map((s) => `${s} (${signed.has(s) ? 'signed' : 'not yet'})`).join(', ')}`,
  );
  return lines;
}
