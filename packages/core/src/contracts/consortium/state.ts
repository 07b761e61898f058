/**
 * State of consortium governance (issue 10 §4). Keys:
 *   chain:governance            Governance: the current founders and the threshold (genesis.ts)
 *   chain:orgs                  ids of the current organizations, sorted (genesis.ts)
 *   org:<id>                    OrgEntry; a removed organization keeps it, with `removedAt`,
 *                               so its id is never given again and its past stays verifiable
 *   consortium:node-key:<hash>  NodeKeyUse (hash: SHA-256 hex of the SPKI DER): a node key
 *                               that governance handed out (addOrg, rotateNodeKey) or retired
 *                               (rotated away, or held by a removed organization)
 * A node key counts as used if it is in that index or is a current organization's node key
 * (the genesis keys still in place), so no key is ever held by two organizations or given back.
 */
import { fromB64u, sha256, toHex, type JsonValue } from '@medledger/crypto';
import { GOVERNANCE_KEY, type Governance } from '../../genesis.js';
import { activeNode, currentOrgs } from '../../identity.js';
import type { StateOverlay, StateReader } from '../../state.js';

/** Which organization held a node key. */
export interface NodeKeyUse {
  [k: string]: JsonValue;
  org: string;
}

/** State keys of the consortium domain. */
export const consortiumKeys = {
  nodeKeyUse: (nodeKey: string): string => `consortium:node-key:${toHex(sha256(fromB64u(nodeKey)))}`,
};

/** The governance rule now: current founders and how many of them sign a change. */
export function getGovernance(state: StateReader): Governance {
  const g = state.get(GOVERNANCE_KEY) as Governance | undefined;
  if (!g) throw new Error(`state has no ${GOVERNANCE_KEY}`);
  return g;
}

/** The organization that holds or held this node key, or undefined if it was never used. */
export function nodeKeyHolder(state: StateReader, nodeKey: string): string | undefined {
  const use = state.get(consortiumKeys.nodeKeyUse(nodeKey)) as NodeKeyUse | undefined;
  return use?.org ?? currentOrgs(state).find((o) => o.nodeKey === nodeKey)?.id;
}

/** Records that `org` holds or held `nodeKey` (no-op if already recorded). */
export function recordNodeKeyUse(state: StateOverlay, nodeKey: string, org: string): void {
  const k = consortiumKeys.nodeKeyUse(nodeKey);
  if (state.get(k) === undefined) state.put(k, { org });
}

/**
 * True if `org` is a current consortium node whose node key is `nodeKey` (SPKI, base64url):
 * a block or checkpoint it signed with that key counts at this state. A removed organization,
 * one that runs no node, or a key rotated away gives false.
 */
export function isActiveNodeKey(state: StateReader, org: string, nodeKey: string): boolean {
  return activeNode(state, org)?.nodeKey === nodeKey;
}
