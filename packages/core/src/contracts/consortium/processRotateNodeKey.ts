/**
 * `consortium.rotate-node-key`: an organization's node gets a new key (or, for an organization
 * that ran no node, its first one). Signed by at least `threshold` current founders AND by
 * the organization's own root key, which counts toward the threshold if it is a founder: the
 * founders cannot hand an organization's node identity to someone else, and the organization
 * cannot change it alone. The key must be a P-256 SPKI that no organization ever held. From
 * this block on, blocks and checkpoints signed with the old key do not count.
 */
import { OK, fail, type Contract } from '../../contract.js';
import { ORG_ID, parseNodeKey } from '../../genesis.js';
import { getOrg, orgKey } from '../../identity.js';
import { obj, onlyKeys, str } from '../../validate.js';
import { founderApproval } from './approval.js';
import { getGovernance, nodeKeyHolder, recordNodeKeyUse } from './state.js';

export interface RotateNodeKeyPayload {
  org: string;
  /** SPKI DER of the new P-256 node key, base64url (canonical, uncompressed). */
  nodeKey: string;
}

const C = 'INVALID_PAYLOAD';

export const processRotateNodeKey: Contract<RotateNodeKeyPayload> = {
  type: 'consortium.rotate-node-key',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['org', 'nodeKey'], 'payload', C);
    return {
      org: str(p.org, 'payload.org', C, 64, ORG_ID),
      nodeKey: parseNodeKey(p.nodeKey, 'payload.nodeKey', C),
    };
  },
  execute(ctx, p) {
    const org = getOrg(ctx.state, p.org);
    if (!org) return fail('UNKNOWN_ORG', `no organization ${p.org} in the consortium`);
    if (org.removedAt !== undefined)
      return fail('ORG_REMOVED', `organization ${p.org} was removed at height ${org.removedAt}`);
    if (!ctx.signers.some((s) => s.kind === 'org' && s.org === p.org))
      return fail(
        'UNAUTHORIZED',
        `a new node key for ${p.org} must be signed by ${p.org}'s own root key (org:${p.org}) as well as by the founders`,
      );
    const what = `rotating the node key of ${p.org}`;
    const refused = founderApproval(ctx.signers, getGovernance(ctx.state), what, p.org);
    if (refused) return refused;
    if (p.nodeKey === org.rootPublicKey)
      return fail(
        'NODE_KEY_USED',
        `the new node key of ${p.org} is its root key; a node gets a key of its own`,
      );
    const holder = nodeKeyHolder(ctx.state, p.nodeKey);
    if (holder !== undefined)
      return fail(
        'NODE_KEY_USED',
        holder === p.org && org.nodeKey === p.nodeKey
          ? `${p.org}'s node already has this key`
          : `this node key is already used by organization ${holder}`,
      );
    if (org.nodeKey !== undefined) recordNodeKeyUse(ctx.state, org.nodeKey, p.org);
    recordNodeKeyUse(ctx.state, p.nodeKey, p.org);
    ctx.state.put(orgKey(p.org), { ...org, nodeKey: p.nodeKey });
    ctx.emit({ type: 'consortium.node-key-rotated', org: p.org, firstKey: org.nodeKey === undefined });
    return OK;
  },
};
