/** Test helpers for the consortium contracts: new organizations' cards and founders' proposals. */
import {
  createOrgRootCertificate,
  generateP256KeyPair,
  randomBytes,
  toB64u,
  type JsonValue,
  type P256KeyPair,
} from '@medledger/crypto';
import {
  createTxBody,
  signOrgCard,
  signTxBody,
  type OrgCard,
  type OrgRole,
  type SignedTx,
} from '../src/index.js';
import { T0, type Fixture } from './fixtures.js';

const DAY = 86_400_000;

/** A new organization with its own root key (and node key), not yet in the consortium. */
export interface NewOrg {
  card: OrgCard;
  root: P256KeyPair;
  node: P256KeyPair;
  /** Its proof of possession on the fixture's chain. */
  proof: string;
}

export async function newOrg(
  f: Fixture,
  id: string,
  o: { node?: boolean; role?: OrgRole; notBefore?: number } = {},
): Promise<NewOrg> {
  const root = generateP256KeyPair();
  const node = generateP256KeyPair();
  const cert = await createOrgRootCertificate({
    org: id,
    ...root,
    notBefore: o.notBefore ?? T0 - DAY,
    notAfter: T0 + 3650 * DAY,
  });
  const card: OrgCard = { id, name: `${id} org`, role: o.role ?? 'cdo', rootCertificate: toB64u(cert) };
  if (o.node !== false) card.nodeKey = toB64u(node.publicKey);
  return { card, root, node, proof: signOrgCard(f.chainId, card, root.privateKey) };
}

/** Root private keys by organization id: the fixture's, plus those of organizations added since. */
export function rootKeys(f: Fixture, ...added: [string, NewOrg][]): Map<string, Uint8Array> {
  const m = new Map(Object.entries(f.orgs).map(([id, o]) => [id, o.root.privateKey] as [string, Uint8Array]));
  for (const [id, o] of added) m.set(id, o.root.privateKey);
  return m;
}

/** A governance transaction signed by the root keys of `orgs` (`org:<id>`). */
export function govTx(
  f: Fixture,
  keys: Map<string, Uint8Array>,
  type: string,
  payload: { [k: string]: JsonValue },
  orgs: string[],
  at: number,
): SignedTx {
  const body = createTxBody({
    chainId: f.chainId,
    type,
    payload,
    signers: orgs.map((o) => `org:${o}`),
    nonce: randomBytes(16),
    createdAt: at,
  });
  return { body, signatures: body.signers.map((s) => signTxBody(body, s, keys.get(s.slice(4))!)) };
}

/** The `consortium.add-org` payload of a new organization. */
export const addPayload = (o: NewOrg): { [k: string]: JsonValue } => ({
  card: o.card as unknown as JsonValue,
  proof: o.proof,
});
