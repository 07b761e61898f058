/**
 * `consortium.add-org`: the founders add an organization. The payload is the new
 * organization's public card (checked as genesis checks its organizations: `parseOrgCard`)
 * and its proof of possession of the root key (proof.ts). Signed by at least `threshold`
 * current founders' root keys (approval.ts). An id once used is never given again, even
 * after its organization was removed; a node key is never shared or reused (state.ts).
 * The organization is current from this block on: its root key enrolls members, and if the
 * card has a node key its node cuts blocks and signs checkpoints.
 */
import { fromB64u, parseCertificate, toB64u } from '@medledger/crypto';
import { OK, fail, type Contract } from '../../contract.js';
import { ORGS_KEY, parseOrgCard, type OrgCard, type OrgEntry } from '../../genesis.js';
import { getOrg, orgKey } from '../../identity.js';
import { B64U, obj, onlyKeys, str } from '../../validate.js';
import { founderApproval } from './approval.js';
import { verifyOrgCardProof } from './proof.js';
import { getGovernance, nodeKeyHolder, recordNodeKeyUse } from './state.js';

export interface AddOrgPayload {
  card: OrgCard;
  /** The new root key's signature over the chain id and the card (proof.ts), base64url. */
  proof: string;
}

const C = 'INVALID_PAYLOAD';

export const processAddOrg: Contract<AddOrgPayload> = {
  type: 'consortium.add-org',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['card', 'proof'], 'payload', C);
    return {
      card: parseOrgCard(p.card, 'payload.card', C),
      proof: str(p.proof, 'payload.proof', C, 128, B64U),
    };
  },
  execute(ctx, { card, proof }) {
    const what = `adding organization ${card.id}`;
    const refused = founderApproval(ctx.signers, getGovernance(ctx.state), what);
    if (refused) return refused;
    const existing = getOrg(ctx.state, card.id);
    if (existing)
      return fail(
        'ORG_EXISTS',
        existing.removedAt === undefined
          ? `organization ${card.id} is already in the consortium`
          : `organization id ${card.id} was used by an organization removed at height ${existing.removedAt}; an id is never reused`,
      );
    const root = parseCertificate(fromB64u(card.rootCertificate));
    if (ctx.time < root.notBefore || ctx.time >= root.notAfter)
      return fail('CERT_NOT_VALID', `the root certificate of ${card.id} is not valid at the block time`);
    if (!verifyOrgCardProof(ctx.tx.body.chainId, card, proof, root.publicKey))
      return fail(
        'BAD_PROOF',
        `payload.proof is not a signature by ${card.id}'s root key over this chain's id and the card`,
      );
    const rootPublicKey = toB64u(root.publicKey);
    if (card.nodeKey !== undefined) {
      if (card.nodeKey === rootPublicKey)
        return fail(
          'NODE_KEY_USED',
          `the node key of ${card.id} is its root key; a node gets a key of its own`,
        );
      const holder = nodeKeyHolder(ctx.state, card.nodeKey);
      if (holder !== undefined)
        return fail('NODE_KEY_USED', `the node key of ${card.id} is already used by organization ${holder}`);
      recordNodeKeyUse(ctx.state, card.nodeKey, card.id);
    }
    const entry: OrgEntry = {
      id: card.id,
      name: card.name,
      role: card.role,
      rootPublicKey,
      rootCertificate: card.rootCertificate,
      addedAt: ctx.height,
    };
    if (card.nodeKey !== undefined) entry.nodeKey = card.nodeKey;
    ctx.state.put(orgKey(card.id), entry);
    const ids = (ctx.state.get(ORGS_KEY) ?? []) as string[];
    ctx.state.put(ORGS_KEY, [...ids, card.id].sort());
    ctx.emit({
      type: 'consortium.org-added',
      org: card.id,
      role: card.role,
      node: card.nodeKey !== undefined,
    });
    return OK;
  },
};
