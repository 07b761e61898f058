/**
 * `consortium.remove-org`: the founders remove an organization. Signed by at least `threshold`
 * current founders. From this block on its root and node keys sign nothing (identity.ts), its
 * members' transactions are refused (ORG_REMOVED, apply.ts), its node cuts no block and its
 * checkpoints do not count (`activeNode`); what it signed before stays valid. The entry stays
 * in the state with `removedAt`, so the id is never reused. Refused if it would leave the
 * consortium without a node, or with fewer founders than the threshold (no change could ever
 * be approved again).
 */
import { OK, fail, type Contract } from '../../contract.js';
import { GOVERNANCE_KEY, ORG_ID, ORGS_KEY } from '../../genesis.js';
import { consortiumNodes, getOrg, orgKey } from '../../identity.js';
import { obj, onlyKeys, str } from '../../validate.js';
import { founderApproval } from './approval.js';
import { getGovernance, recordNodeKeyUse } from './state.js';

export interface RemoveOrgPayload {
  org: string;
  reason: string;
}

const C = 'INVALID_PAYLOAD';

export const processRemoveOrg: Contract<RemoveOrgPayload> = {
  type: 'consortium.remove-org',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['org', 'reason'], 'payload', C);
    return {
      org: str(p.org, 'payload.org', C, 64, ORG_ID),
      reason: str(p.reason, 'payload.reason', C, 256),
    };
  },
  execute(ctx, p) {
    const gov = getGovernance(ctx.state);
    const refused = founderApproval(ctx.signers, gov, `removing organization ${p.org}`);
    if (refused) return refused;
    const org = getOrg(ctx.state, p.org);
    if (!org) return fail('UNKNOWN_ORG', `no organization ${p.org} in the consortium`);
    if (org.removedAt !== undefined)
      return fail('ORG_REMOVED', `organization ${p.org} was already removed at height ${org.removedAt}`);
    const nodes = consortiumNodes(ctx.state);
    if (org.nodeKey !== undefined && nodes.length === 1 && nodes[0]!.id === p.org)
      return fail(
        'LAST_NODE',
        `organization ${p.org} runs the consortium's last node; add another node before removing it`,
      );
    const founder = gov.founders.includes(p.org);
    const founders = gov.founders.filter((f) => f !== p.org);
    if (founder && founders.length < gov.threshold)
      return fail(
        'FOUNDERS_BELOW_THRESHOLD',
        `removing founder ${p.org} would leave ${founders.length} founders, fewer than the threshold of ${gov.threshold}`,
      );
    ctx.state.put(orgKey(p.org), { ...org, removedAt: ctx.height, removedReason: p.reason });
    if (org.nodeKey !== undefined) recordNodeKeyUse(ctx.state, org.nodeKey, p.org);
    const ids = (ctx.state.get(ORGS_KEY) ?? []) as string[];
    ctx.state.put(
      ORGS_KEY,
      ids.filter((id) => id !== p.org),
    );
    if (founder) ctx.state.put(GOVERNANCE_KEY, { founders, threshold: gov.threshold });
    ctx.emit({ type: 'consortium.org-removed', org: p.org, reason: p.reason, founder });
    return OK;
  },
};
