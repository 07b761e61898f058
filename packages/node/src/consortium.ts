/**
 * Creating a consortium: organization root keys and self-signed CA certificates, node keys,
 * member keys and certificates, and the genesis that lists the organizations. Used by
 * `medledger init` (the dev consortium), by tests and by benchmarks.
 */
import { generateKeyPairSync } from 'node:crypto';
import {
  createOrgRootCertificate,
  generateP256KeyPair,
  issueMemberCertificate,
  toB64u,
  type P256KeyPair,
} from '@medledger/crypto';
import {
  DEFAULT_ORDERING,
  DEFAULT_PARAMS,
  memberIdOf,
  signGenesis,
  type Genesis,
  type Governance,
  type OrderingParams,
  type OrgRole,
} from '@medledger/core';

export interface OrgSpec {
  id: string;
  name: string;
  role: OrgRole;
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

export async function createConsortium(spec: ConsortiumSpec): Promise<Consortium> {
  const validity = spec.validityMs ?? 5 * 365 * 86_400_000;
  const notBefore = spec.genesisTime - 86_400_000;
  const notAfter = spec.genesisTime + validity;
  const orgs = new Map<string, OrgMaterial>();
  for (const o of spec.orgs) {
    const root = generateP256KeyPair();
    const rootCertificate = await createOrgRootCertificate({
      org: o.id,
      ...root,
      notBefore,
      notAfter: notAfter + 365 * 86_400_000,
    });
    orgs.set(o.id, { spec: o, root, rootCertificate, node: generateP256KeyPair() });
  }
  const members: MemberMaterial[] = [];
  for (const m of spec.members) {
    const org = orgs.get(m.org);
    if (!org) throw new Error(`member ${m.label}: unknown organization ${m.org}`);
    const keys = generateP256KeyPair();
    const certificate = await issueMemberCertificate({
      issuerCertificate: org.rootCertificate,
      issuerPrivateKey: org.root.privateKey,
      subjectPublicKey: keys.publicKey,
      commonName: m.commonName ?? m.label,
      org: m.org,
      role: m.role,
      attributes: m.attributes ?? {},
      notBefore,
      notAfter,
    });
    members.push({ spec: m, memberId: memberIdOf(certificate), keys, certificate, encryption: x25519() });
  }
  const nodeOrgs = new Set(spec.nodeOrgs ?? spec.orgs.map((o) => o.id));
  const founders = spec.governance?.founders ?? spec.orgs.map((o) => o.id);
  const genesis: Genesis = {
    chainName: spec.chainName,
    genesisTime: spec.genesisTime,
    orgs: [...orgs.values()].map((o) => ({
      id: o.spec.id,
      name: o.spec.name,
      role: o.spec.role,
      rootCertificate: toB64u(o.rootCertificate),
      ...(nodeOrgs.has(o.spec.id) ? { nodeKey: toB64u(o.node.publicKey) } : {}),
    })),
    governance: { founders, threshold: spec.governance?.threshold ?? Math.floor(founders.length / 2) + 1 },
    ordering: spec.ordering ?? DEFAULT_ORDERING,
    params: DEFAULT_PARAMS,
    signatures: [],
  };
  // Test and benchmark consortia hold every founder's root key in one process, so they sign
  // here; a real consortium signs in the genesis ceremony (README), each founder on its own.
  genesis.signatures = founders.map((f) => signGenesis(genesis, f, orgs.get(f)!.root.privateKey));
  return { genesis, orgs, members };
}

/** The dev consortium of `medledger init`: the survey's §4.1 cast. */
export function devConsortiumSpec(genesisTime: number, patientPseudonym: string): ConsortiumSpec {
  return {
    chainName: 'medledger-dev',
    genesisTime,
    // The embedded dev consortium runs one node: hospital A's (`cluster up` runs more).
    nodeOrgs: ['hospitalA'],
    orgs: [
      { id: 'hospitalA', name: 'Hospital A', role: 'cdo' },
      { id: 'hospitalB', name: 'Hospital B', role: 'cdo' },
      { id: 'gpclinic', name: 'GP clinic', role: 'cdo' },
      { id: 'insurer', name: 'Insurer', role: 'insurer' },
      { id: 'institute', name: 'Research institute', role: 'research' },
    ],
    members: [
      { label: 'dr-gp', org: 'gpclinic', role: 'doctor', attributes: { department: 'general-practice' } },
      { label: 'dr-alice', org: 'hospitalA', role: 'doctor', attributes: { department: 'gastroenterology' } },
      { label: 'dr-baker', org: 'hospitalB', role: 'doctor', attributes: { department: 'oncology' } },
      { label: 'dr-chen', org: 'hospitalB', role: 'doctor', attributes: { department: 'surgery' } },
      { label: 'nurse-dana', org: 'hospitalB', role: 'nurse', attributes: { department: 'oncology' } },
      { label: 'bob', org: 'gpclinic', role: 'patient', commonName: patientPseudonym },
      { label: 'claims', org: 'insurer', role: 'insurer' },
      { label: 'researcher', org: 'institute', role: 'researcher' },
    ],
  };
}
