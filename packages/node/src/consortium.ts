/**
 * Building a consortium, one party at a time (the genesis ceremony, README "Building a
 * consortium"):
 *   1. each organization makes its root CA key and certificate (`createOrgRoot`) and, if it
 *      runs a node, a node key, and hands the others its public card (`orgCardOf`);
 *   2. the founders assemble the cards into one genesis (`assembleGenesis`), and each founder
 *      signs its chain id with its own root key (`signGenesis` in @medledger/core);
 *   3. members make their own keys and ask their organization for a certificate with a
 *      PKCS#10 request (`createCertificateRequest` / `issueCertificateFromRequest` in
 *      @medledger/crypto); the organization enrolls them on the ledger.
 * The CLI runs each step in the directory of the party that holds the secret it needs.
 *
 * `createConsortium` runs every step in one process, for tests and benchmarks only: it holds
 * every party's keys at once, which a real consortium never does.
 */
import { generateKeyPairSync } from 'node:crypto';
import {
  createCertificateRequest,
  createOrgRootCertificate,
  fromB64u,
  generateP256KeyPair,
  importP256PublicKey,
  issueCertificateFromRequest,
  parseCertificate,
  toB64u,
  verifyCertificateIssuedBy,
  type P256KeyPair,
} from '@medledger/crypto';
import {
  DEFAULT_ORDERING,
  DEFAULT_PARAMS,
  LedgerError,
  ORG_ROLES,
  memberIdOf,
  parseGenesis,
  signGenesis,
  type ChainParams,
  type Genesis,
  type GenesisOrg,
  type Governance,
  type OrderingParams,
  type OrgRole,
} from '@medledger/core';

const DAY = 86_400_000;

export interface OrgSpec {
  id: string;
  name: string;
  role: OrgRole;
}

/**
 * An organization's public card: what the other founders need to put it in a genesis — its
 * id, name, role, self-signed root certificate and, if it runs a node, its node's public key.
 * Nothing secret. It has the shape of a genesis organization entry.
 */
export type OrgCard = GenesisOrg;

/** An organization's root CA: its key pair and self-signed certificate (DER). */
export interface OrgRoot {
  root: P256KeyPair;
  rootCertificate: Uint8Array;
}

/**
 * Creates an organization's root CA key and self-signed certificate, valid from `notBefore`
 * (default: a day before `now`) for `years` (default 10).
 */
export async function createOrgRoot(p: {
  id: string;
  now: number;
  notBefore?: number;
  notAfter?: number;
}): Promise<OrgRoot> {
  const root = generateP256KeyPair();
  const rootCertificate = await createOrgRootCertificate({
    org: p.id,
    ...root,
    notBefore: p.notBefore ?? p.now - DAY,
    notAfter: p.notAfter ?? p.now + 10 * 365 * DAY,
  });
  return { root, rootCertificate };
}

/** The public card of an organization (`nodePublicKey`: SPKI DER of its node key, if it runs one). */
export function orgCardOf(spec: OrgSpec, rootCertificate: Uint8Array, nodePublicKey?: Uint8Array): OrgCard {
  return {
    id: spec.id,
    name: spec.name,
    role: spec.role,
    rootCertificate: toB64u(rootCertificate),
    ...(nodePublicKey === undefined ? {} : { nodeKey: toB64u(nodePublicKey) }),
  };
}

const C = 'MALFORMED_CARD';
const bad = (path: string, what: string): never => {
  throw new LedgerError({ code: C, path }, `${path}: ${what}`);
};

/**
 * Validates an organization card: known fields only, an id of letters, digits and '-', a
 * role of ORG_ROLES, a self-signed CA root certificate of that organization, and a node key
 * that is a P-256 public key.
 * @throws LedgerError MALFORMED_CARD naming the bad field.
 */
export function parseOrgCard(input: unknown, path = 'card'): OrgCard {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) bad(path, 'must be an object');
  const c = input as Record<string, unknown>;
  for (const k of Object.keys(c))
    if (!['id', 'name', 'role', 'rootCertificate', 'nodeKey'].includes(k))
      bad(`${path}.${k}`, 'unknown field');
  if (typeof c.id !== 'string' || !/^[A-Za-z0-9-]{1,64}$/.test(c.id))
    bad(`${path}.id`, "must be 1-64 letters, digits or '-'");
  const id = c.id as string;
  if (typeof c.name !== 'string' || c.name.length === 0 || c.name.length > 256)
    bad(`${path}.name`, 'must be a non-empty string');
  if (!ORG_ROLES.includes(c.role as OrgRole)) bad(`${path}.role`, `must be one of ${ORG_ROLES.join(', ')}`);
  if (typeof c.rootCertificate !== 'string') bad(`${path}.rootCertificate`, 'must be base64url DER');
  let der: Uint8Array = new Uint8Array(0);
  try {
    der = fromB64u(c.rootCertificate as string);
    const info = parseCertificate(der);
    if (!info.isCA || info.org !== id) throw new TypeError(`must be a CA certificate of ${id}`);
    if (!verifyCertificateIssuedBy(der, info.publicKey)) throw new TypeError('must be self-signed');
  } catch (e) {
    bad(`${path}.rootCertificate`, (e as Error).message);
  }
  if (c.nodeKey !== undefined) {
    try {
      importP256PublicKey(fromB64u(c.nodeKey as string));
    } catch {
      bad(`${path}.nodeKey`, 'must be a P-256 public key (SPKI DER, base64url)');
    }
  }
  return c as unknown as OrgCard;
}

/** Parameters of {@link assembleGenesis}. */
export interface AssembleGenesisParameters {
  chainName: string;
  genesisTime: number;
  cards: OrgCard[];
  /** Founders (default: every organization of the cards). */
  founders?: string[];
  /** Founders who must sign a change of the consortium (default: a majority of them). */
  threshold?: number;
  ordering?: OrderingParams;
  params?: ChainParams;
}

/**
 * Assembles an unsigned genesis from the organizations' cards. Each founder then signs its
 * chain id (`signGenesis`); a node refuses the genesis until every founder has.
 * @throws LedgerError MALFORMED_CARD / MALFORMED_GENESIS naming what is wrong (a duplicate
 *   organization, a founder without a card, no organization running a node, a threshold out
 *   of range).
 */
export function assembleGenesis(p: AssembleGenesisParameters): Genesis {
  const cards = p.cards.map((c, i) => parseOrgCard(c, `cards[${i}]`));
  const founders = p.founders ?? cards.map((c) => c.id);
  const genesis: Genesis = {
    chainName: p.chainName,
    genesisTime: p.genesisTime,
    orgs: cards.map((c) => ({ ...c })),
    governance: { founders, threshold: p.threshold ?? Math.floor(founders.length / 2) + 1 },
    ordering: p.ordering ?? DEFAULT_ORDERING,
    params: p.params ?? DEFAULT_PARAMS,
    signatures: [],
  };
  return parseGenesis(genesis);
}

export interface MemberSpec {
  /** Local name of the member's key files (never written to the ledger). */
  label: string;
  org: string;
  role: string;
  /** Common name in the certificate; defaults to the label. Patients get a pseudonym. */
  commonName?: string;
  attributes?: Record<string, string>;
}

export interface ConsortiumSpec {
  chainName: string;
  genesisTime: number;
  orgs: OrgSpec[];
  members: MemberSpec[];
  ordering?: OrderingParams;
  /** Organizations that run a node (get a node key in genesis). Default: all of them. */
  nodeOrgs?: string[];
  /** Founders (default: all organizations) and how many sign a change (default: a majority). */
  governance?: Partial<Governance>;
  /** Certificate validity, ms from genesisTime. Default 5 years. */
  validityMs?: number;
}

export interface OrgMaterial {
  spec: OrgSpec;
  root: P256KeyPair;
  rootCertificate: Uint8Array;
  node: P256KeyPair;
}

export interface MemberMaterial {
  spec: MemberSpec;
  memberId: string;
  keys: P256KeyPair;
  certificate: Uint8Array;
  /** X25519 key pair (raw 32-byte keys) for records encrypted to the member. */
  encryption: { privateKey: Uint8Array; publicKey: Uint8Array };
}

export interface Consortium {
  genesis: Genesis;
  orgs: Map<string, OrgMaterial>;
  members: MemberMaterial[];
}

function x25519(): { privateKey: Uint8Array; publicKey: Uint8Array } {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  const jwkPriv = privateKey.export({ format: 'jwk' });
  const jwkPub = publicKey.export({ format: 'jwk' });
  return {
    privateKey: new Uint8Array(Buffer.from(jwkPriv.d!, 'base64url')),
    publicKey: new Uint8Array(Buffer.from(jwkPub.x!, 'base64url')),
  };
}

/**
 * Every step of the ceremony in one process, for tests and benchmarks: organizations, cards,
 * the genesis signed by every founder, and members certified from their own requests.
 */
export async function createConsortium(spec: ConsortiumSpec): Promise<Consortium> {
  const validity = spec.validityMs ?? 5 * 365 * DAY;
  const notBefore = spec.genesisTime - DAY;
  const notAfter = spec.genesisTime + validity;
  const nodeOrgs = new Set(spec.nodeOrgs ?? spec.orgs.map((o) => o.id));
  const orgs = new Map<string, OrgMaterial>();
  for (const o of spec.orgs) {
    const r = await createOrgRoot({
      id: o.id,
      now: spec.genesisTime,
      notBefore,
      notAfter: notAfter + 365 * DAY,
    });
    orgs.set(o.id, { spec: o, ...r, node: generateP256KeyPair() });
  }
  const members: MemberMaterial[] = [];
  for (const m of spec.members) {
    const org = orgs.get(m.org);
    if (!org) throw new Error(`member ${m.label}: unknown organization ${m.org}`);
    const keys = generateP256KeyPair();
    const request = await createCertificateRequest({
      ...keys,
      commonName: m.commonName ?? m.label,
      org: m.org,
      role: m.role,
      attributes: m.attributes ?? {},
    });
    const { certificate } = await issueCertificateFromRequest({
      request,
      issuerCertificate: org.rootCertificate,
      issuerPrivateKey: org.root.privateKey,
      notBefore,
      notAfter,
    });
    members.push({ spec: m, memberId: memberIdOf(certificate), keys, certificate, encryption: x25519() });
  }
  const genesis = assembleGenesis({
    chainName: spec.chainName,
    genesisTime: spec.genesisTime,
    cards: [...orgs.values()].map((o) =>
      orgCardOf(o.spec, o.rootCertificate, nodeOrgs.has(o.spec.id) ? o.node.publicKey : undefined),
    ),
    ...(spec.governance?.founders === undefined ? {} : { founders: spec.governance.founders }),
    ...(spec.governance?.threshold === undefined ? {} : { threshold: spec.governance.threshold }),
    ...(spec.ordering === undefined ? {} : { ordering: spec.ordering }),
  });
  genesis.signatures = genesis.governance.founders.map((f) =>
    signGenesis(genesis, f, orgs.get(f)!.root.privateKey),
  );
  return { genesis, orgs, members };
}

/** The five organizations of the dev consortium (`medledger init --dev`): the survey's §4.1 cast. */
export const DEV_ORGS: readonly OrgSpec[] = [
  { id: 'hospitalA', name: 'Hospital A', role: 'cdo' },
  { id: 'hospitalB', name: 'Hospital B', role: 'cdo' },
  { id: 'gpclinic', name: 'GP clinic', role: 'cdo' },
  { id: 'insurer', name: 'Insurer', role: 'insurer' },
  { id: 'institute', name: 'Research institute', role: 'research' },
];

/** The dev consortium's members; the patient's common name is a pseudonym. */
export function devMembers(patientPseudonym: string): MemberSpec[] {
  return [
    { label: 'dr-gp', org: 'gpclinic', role: 'doctor', attributes: { department: 'general-practice' } },
    { label: 'dr-alice', org: 'hospitalA', role: 'doctor', attributes: { department: 'gastroenterology' } },
    { label: 'dr-baker', org: 'hospitalB', role: 'doctor', attributes: { department: 'oncology' } },
    { label: 'dr-chen', org: 'hospitalB', role: 'doctor', attributes: { department: 'surgery' } },
    { label: 'nurse-dana', org: 'hospitalB', role: 'nurse', attributes: { department: 'oncology' } },
    { label: 'bob', org: 'gpclinic', role: 'patient', commonName: patientPseudonym },
    { label: 'claims', org: 'insurer', role: 'insurer' },
    { label: 'researcher', org: 'institute', role: 'researcher' },
  ];
}

/** The dev consortium in one process (tests and benchmarks): the survey's §4.1 cast. */
export function devConsortiumSpec(genesisTime: number, patientPseudonym: string): ConsortiumSpec {
  return {
    chainName: 'medledger-dev',
    genesisTime,
    // The embedded dev consortium runs one node: hospital A's (`cluster up` runs more).
    nodeOrgs: ['hospitalA'],
    orgs: DEV_ORGS.map((o) => ({ ...o })),
    members: devMembers(patientPseudonym),
  };
}
