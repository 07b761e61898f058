/**
 * Who signed: resolves a signer id to an organization root key or an enrolled member, as the
 * state knows it now. Members are enrolled and revoked by transactions (contracts/registry);
 * a revoked member stays in the state with `revokedAt`, so their earlier transactions stay
 * valid and their later ones are refused.
 */
import { fromB64u, importP256PublicKey, type JsonValue } from '@medledger/crypto';
import type { KeyObject } from 'node:crypto';
import { ORGS_KEY, type OrgEntry, type OrgRole } from './genesis.js';
import type { StateReader } from './state.js';

/** What the state holds for an enrolled member. */
export interface MemberEntry {
  [k: string]: JsonValue | undefined;
  id: string;
  org: string;
  role: string;
  commonName: string;
  attributes: { [k: string]: string };
  /** SPKI DER, base64url. */
  publicKey: string;
  /** X25519 public key for records encrypted to this member, base64url (optional). */
  encryptionKey?: string;
  /** DER of the member certificate, base64url. */
  certificate: string;
  notBefore: number;
  notAfter: number;
  enrolledAt: number;
  revokedAt?: number;
  revokedReason?: string;
}

export type Signer =
  | { kind: 'org'; id: string; org: string; orgRole: OrgRole; publicKey: string }
  | { kind: 'node'; id: string; org: string; orgRole: OrgRole; publicKey: string }
  | { kind: 'member'; id: string; org: string; role: string; member: MemberEntry; publicKey: string };

export const memberKey = (id: string): string => `member:${id}`;
export const orgKey = (id: string): string => `org:${id}`;

/** Reads an organization entry. */
export function getOrg(state: StateReader, orgId: string): OrgEntry | undefined {
  return state.get(orgKey(orgId)) as OrgEntry | undefined;
}

/** Reads a member entry. */
export function getMember(state: StateReader, memberId: string): MemberEntry | undefined {
  return state.get(memberKey(memberId)) as MemberEntry | undefined;
}

/** Current organizations (removed ones are not listed). */
export function currentOrgs(state: StateReader): OrgEntry[] {
  const ids = (state.get(ORGS_KEY) ?? []) as string[];
  return ids.map((id) => getOrg(state, id)).filter((o): o is OrgEntry => o !== undefined);
}

/**
 * The consortium's nodes now: current organizations that run a node (a node key on the
 * ledger). Only they cut blocks, and only their checkpoints count.
 */
export function consortiumNodes(state: StateReader): (OrgEntry & { nodeKey: string })[] {
  return currentOrgs(state).filter(
    (o): o is OrgEntry & { nodeKey: string } => o.nodeKey !== undefined && o.removedAt === undefined,
  );
}

/** The organization if it is a current consortium node, else undefined. */
export function activeNode(state: StateReader, orgId: string): (OrgEntry & { nodeKey: string }) | undefined {
  const o = getOrg(state, orgId);
  return o && o.nodeKey !== undefined && o.removedAt === undefined
    ? (o as OrgEntry & { nodeKey: string })
    : undefined;
}

/** Checkpoint signatures a block needs to be final: a majority of the consortium's nodes. */
export function checkpointQuorum(nodes: number): number {
  return Math.floor(nodes / 2) + 1;
}

/**
 * Resolves a signer id — `org:<id>` (an organization's root key), `node:<id>` (its node key,
 * which signs blocks and the node's own transactions such as access logs) or a member id;
 * undefined if unknown, or if the organization was removed from the consortium (its root and
 * node keys sign nothing more).
 */
export function resolveSigner(state: StateReader, id: string): Signer | undefined {
  if (id.startsWith('org:')) {
    const org = getOrg(state, id.slice(4));
    return org && org.removedAt === undefined
      ? { kind: 'org', id, org: org.id, orgRole: org.role, publicKey: org.rootPublicKey }
      : undefined;
  }
  if (id.startsWith('node:')) {
    const org = activeNode(state, id.slice(5));
    return org && { kind: 'node', id, org: org.id, orgRole: org.role, publicKey: org.nodeKey };
  }
  const m = getMember(state, id);
  return m && { kind: 'member', id, org: m.org, role: m.role, member: m, publicKey: m.publicKey };
}

const keyCache = new Map<string, KeyObject>();

/** Imported public key for a base64url SPKI (memoized: importing costs more than verifying). */
export function publicKeyObject(spkiB64u: string): KeyObject {
  let k = keyCache.get(spkiB64u);
  if (!k) {
    if (keyCache.size > 50_000) keyCache.clear();
    k = importP256PublicKey(fromB64u(spkiB64u));
    keyCache.set(spkiB64u, k);
  }
  return k;
}
