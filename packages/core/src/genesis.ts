/**
 * The consortium genesis: member organizations with their root certificates and, for those
 * that run a node, their node keys; the founders and how many of them a change of the
 * consortium needs (governance); ordering parameters and the genesis time. The tagged hash of
 * the genesis without its signatures is the chain id, so every transaction and block names
 * the consortium it belongs to.
 *
 * The genesis ceremony: each organization creates its own root CA key and node key in its own
 * directory and exports a public card (id, name, role, root certificate, node key). The
 * founders assemble the cards into one genesis, and each founder signs its chain id with its
 * root key. A node refuses a genesis that lacks a founder's valid signature
 * (`checkGenesisSignatures`), so no single organization can write the consortium alone.
 */
import {
  HashTag,
  canonicalP256PublicKey,
  fromB64u,
  fromHex,
  importP256PublicKey,
  parseCertificate,
  signP256,
  toB64u,
  verifyCertificateIssuedBy,
  verifyP256,
  type CertificateInfo,
  type JsonValue,
} from '@medledger/crypto';
import type { KeyObject } from 'node:crypto';
import { LedgerError, type InputErrorCode } from './errors.js';
import { ZERO_HASH, idOf } from './ids.js';
import type { BlockHeader } from './block.js';
import { nextStateDigest, type StateWrite } from './state.js';
import { merkleRoot, toHex } from '@medledger/crypto';
import { B64U, ID, arr, int, obj, onlyKeys, str } from './validate.js';

export const ORG_ROLES = [
  'cdo',
  'research',
  'insurer',
  'pharmacy',
  'regulator',
  'manufacturer',
  'distributor',
] as const;
export type OrgRole = (typeof ORG_ROLES)[number];

export interface GenesisOrg {
  id: string;
  name: string;
  role: OrgRole;
  /** DER of the organization's self-signed root (CA) certificate, base64url. */
  rootCertificate: string;
  /**
   * SPKI DER of the key its node signs blocks and checkpoints with, base64url. Only
   * organizations that run a node have one; they cut blocks and sign checkpoints.
   */
  nodeKey?: string;
}

/** Who may change the consortium: `threshold` of the `founders` sign every change. */
export interface Governance {
  founders: string[];
  threshold: number;
}

/** A founder's P-256 signature (root key) over the chain id, base64url. */
export interface GenesisSignature {
  org: string;
  sig: string;
}

export interface OrderingParams {
  maxTxs: number;
  maxBytes: number;
  timeoutMs: number;
}

export interface ChainParams {
  /** A transaction older than this (by block time) is rejected: TX_EXPIRED. */
  txTtlMs: number;
  /** A transaction created further in the future than this is rejected: TX_FROM_FUTURE. */
  maxClockSkewMs: number;
}

export interface Genesis {
  chainName: string;
  genesisTime: number;
  orgs: GenesisOrg[];
  governance: Governance;
  ordering: OrderingParams;
  params: ChainParams;
  /** One per founder; not covered by the chain id (the founders sign the chain id). */
  signatures: GenesisSignature[];
}

/** The part of a genesis its chain id covers: everything but the signatures. */
export type GenesisBody = Omit<Genesis, 'signatures'>;

/** What the state holds for an organization. */
export interface OrgEntry {
  [k: string]: JsonValue;
  id: string;
  name: string;
  role: OrgRole;
  rootPublicKey: string;
  rootCertificate: string;
  nodeKey?: string;
  /** Height of the block that added the organization (0 for genesis organizations). */
  addedAt?: number;
  /** Height of the block that removed it: its node no longer cuts blocks or signs checkpoints. */
  removedAt?: number;
}

export const DEFAULT_ORDERING: OrderingParams = { maxTxs: 1000, maxBytes: 4 * 1024 * 1024, timeoutMs: 50 };
export const DEFAULT_PARAMS: ChainParams = { txTtlMs: 60 * 60 * 1000, maxClockSkewMs: 5 * 60 * 1000 };

const C = 'MALFORMED_GENESIS';

/** An organization's public card: what genesis lists for it, and what `consortium.add-org` adds. */
export type OrgCard = GenesisOrg;

/** Organization ids: letters, digits and `-`, at most 64 characters. */
export const ORG_ID = /^[A-Za-z0-9-]+$/;

/**
 * Checks an organization's public card, in a genesis or in a `consortium.add-org` payload: its
 * id, name and role; a root certificate that is a self-signed CA certificate of that id with a
 * P-256 key; and, if it runs a node, a node key that is a P-256 SPKI (`parseNodeKey`).
 * Returns a fresh card holding only those fields.
 * @throws LedgerError with `code`, naming the first bad field under `path`.
 */
export function parseOrgCard(input: unknown, path: string, code: InputErrorCode): OrgCard {
  const org = obj(input, path, code);
  onlyKeys(org, ['id', 'name', 'role', 'rootCertificate', 'nodeKey'], path, code);
  const id = str(org.id, `${path}.id`, code, 64, ORG_ID);
  const name = str(org.name, `${path}.name`, code, 256);
  if (!ORG_ROLES.includes(org.role as OrgRole))
    throw new LedgerError(
      { code, path: `${path}.role` },
      `${path}.role: must be one of ${ORG_ROLES.join(', ')}`,
    );
  const rootCertificate = str(org.rootCertificate, `${path}.rootCertificate`, code, 8192, B64U);
  const bad = (why: string): never => {
    throw new LedgerError({ code, path: `${path}.rootCertificate` }, `${path}.rootCertificate: ${why}`);
  };
  let der: Uint8Array;
  let info: CertificateInfo;
  try {
    der = fromB64u(rootCertificate);
    info = parseCertificate(der);
  } catch (e) {
    return bad((e as Error).message);
  }
  if (!info.isCA || info.org !== id) bad(`must be a CA certificate of ${id}`);
  try {
    importP256PublicKey(info.publicKey);
  } catch {
    bad('its key must be a P-256 key');
  }
  if (!verifyCertificateIssuedBy(der, info.publicKey)) bad(`must be self-signed by ${id}'s root key`);
  const card: OrgCard = { id, name, role: org.role as OrgRole, rootCertificate };
  if (org.nodeKey !== undefined) card.nodeKey = parseNodeKey(org.nodeKey, `${path}.nodeKey`, code);
  return card;
}

/**
 * Checks a node key: the SPKI DER of a P-256 public key, base64url, in its canonical
 * (uncompressed) form, so that two encodings of one key cannot pass for two keys.
 * @throws LedgerError with `code` naming `path`.
 */
export function parseNodeKey(v: unknown, path: string, code: InputErrorCode): string {
  const s = str(v, path, code, 512, B64U);
  let canonical: string;
  try {
    canonical = toB64u(canonicalP256PublicKey(fromB64u(s)));
  } catch {
    throw new LedgerError({ code, path }, `${path}: must be the SPKI DER of a P-256 public key, base64url`);
  }
  if (canonical !== s)
    throw new LedgerError(
      { code, path },
      `${path}: must be the uncompressed SPKI DER of the key (${canonical.length} characters), base64url`,
    );
  return s;
}

/** Validates a genesis document; each organization is checked as a card (`parseOrgCard`). */
export function parseGenesis(input: unknown): Genesis {
  const g = obj(input, 'genesis', C);
  onlyKeys(
    g,
    ['chainName', 'genesisTime', 'orgs', 'governance', 'ordering', 'params', 'signatures'],
    'genesis',
    C,
  );
  str(g.chainName, 'genesis.chainName', C, 128, ID);
  int(g.genesisTime, 'genesis.genesisTime', C, 0, 8.64e15);
  const seen = new Set<string>();
  arr(g.orgs, 'genesis.orgs', C, 1, 1000).forEach((o, i) => {
    const p = `genesis.orgs[${i}]`;
    const { id } = parseOrgCard(o, p, C);
    if (seen.has(id))
      throw new LedgerError({ code: C, path: `${p}.id` }, `${p}.id: duplicate organization ${id}`);
    seen.add(id);
  });
  if (!(g.orgs as GenesisOrg[]).some((o) => o.nodeKey !== undefined))
    throw new LedgerError({ code: C, path: 'genesis.orgs' }, 'genesis.orgs: at least one must run a node');
  const gov = obj(g.governance, 'genesis.governance', C);
  onlyKeys(gov, ['founders', 'threshold'], 'genesis.governance', C);
  const founders = arr(gov.founders, 'genesis.governance.founders', C, 1, 1000).map((f, i) => {
    const id = str(f, `genesis.governance.founders[${i}]`, C, 64);
    if (!seen.has(id))
      throw new LedgerError(
        { code: C, path: `genesis.governance.founders[${i}]` },
        `genesis.governance.founders[${i}]: ${id} is not an organization of this genesis`,
      );
    return id;
  });
  if (new Set(founders).size !== founders.length)
    throw new LedgerError(
      { code: C, path: 'genesis.governance.founders' },
      'genesis.governance.founders: duplicate founder',
    );
  int(gov.threshold, 'genesis.governance.threshold', C, 1, founders.length);
  arr(g.signatures, 'genesis.signatures', C, 0, 1000).forEach((x, i) => {
    const p = `genesis.signatures[${i}]`;
    const sg = obj(x, p, C);
    onlyKeys(sg, ['org', 'sig'], p, C);
    str(sg.org, `${p}.org`, C, 64);
    str(sg.sig, `${p}.sig`, C, 128, B64U);
  });
  const ord = obj(g.ordering, 'genesis.ordering', C);
  onlyKeys(ord, ['maxTxs', 'maxBytes', 'timeoutMs'], 'genesis.ordering', C);
  int(ord.maxTxs, 'genesis.ordering.maxTxs', C, 1, 100_000);
  int(ord.maxBytes, 'genesis.ordering.maxBytes', C, 1024, 64 * 1024 * 1024);
  int(ord.timeoutMs, 'genesis.ordering.timeoutMs', C, 1, 60_000);
  const par = obj(g.params, 'genesis.params', C);
  onlyKeys(par, ['txTtlMs', 'maxClockSkewMs'], 'genesis.params', C);
  int(par.txTtlMs, 'genesis.params.txTtlMs', C, 1000);
  int(par.maxClockSkewMs, 'genesis.params.maxClockSkewMs', C, 0);
  return g as unknown as Genesis;
}

/** The genesis without its signatures: what the chain id covers. */
export function genesisBodyOf(genesis: Genesis | GenesisBody): GenesisBody {
  const { signatures: _ignored, ...body } = genesis as Genesis;
  return body;
}

/** The chain id: tagged hash of the canonical genesis body. */
export function chainIdOf(genesis: Genesis | GenesisBody): string {
  return idOf(HashTag.genesis, genesisBodyOf(genesis));
}

/** A founder's signature over the chain id, with its organization's root private key. */
export function signGenesis(
  genesis: Genesis | GenesisBody,
  org: string,
  rootPrivateKey: Uint8Array | KeyObject,
): GenesisSignature {
  return { org, sig: toB64u(signP256(rootPrivateKey, fromHex(chainIdOf(genesis)))) };
}

/**
 * Which founders have not validly signed this genesis (an empty list: every founder has).
 * A signature counts if it verifies under the founder's root certificate key.
 */
export function missingGenesisSignatures(genesis: Genesis): string[] {
  const id = fromHex(chainIdOf(genesis));
  return genesis.governance.founders.filter((f) => {
    const org = genesis.orgs.find((o) => o.id === f);
    if (!org) return true;
    const key = parseCertificate(fromB64u(org.rootCertificate)).publicKey;
    return !genesis.signatures.some((s) => {
      if (s.org !== f) return false;
      try {
        return verifyP256(key, id, fromB64u(s.sig));
      } catch {
        return false;
      }
    });
  });
}

/** Throws GENESIS_UNSIGNED naming the founders whose signature is missing or wrong. */
export function checkGenesisSignatures(genesis: Genesis): void {
  const missing = missingGenesisSignatures(genesis);
  if (missing.length > 0)
    throw new LedgerError(
      { code: 'GENESIS_UNSIGNED', missing },
      `genesis lacks a valid signature of founder${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`,
    );
}

/** State key of the list of current organization ids (removed ones leave it). */
export const ORGS_KEY = 'chain:orgs';

/** State key of the governance rule (founders and threshold). */
export const GOVERNANCE_KEY = 'chain:governance';

/** State writes of genesis: the organizations and the chain parameters. */
export function genesisWrites(genesis: Genesis): StateWrite[] {
  const w: StateWrite[] = genesis.orgs.map((o) => {
    const info = parseCertificate(fromB64u(o.rootCertificate));
    const e: OrgEntry = {
      id: o.id,
      name: o.name,
      role: o.role,
      rootPublicKey: toB64u(info.publicKey),
      rootCertificate: o.rootCertificate,
      addedAt: 0,
    };
    if (o.nodeKey !== undefined) e.nodeKey = o.nodeKey;
    return [`org:${o.id}`, e] as const;
  });
  w.push(['chain:params', { ...genesis.params }]);
  w.push([ORGS_KEY, genesis.orgs.map((o) => o.id).sort()]);
  w.push([
    GOVERNANCE_KEY,
    { founders: [...genesis.governance.founders], threshold: genesis.governance.threshold },
  ]);
  return w.sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

/** State digest after genesis. */
export function genesisStateDigest(genesis: Genesis): string {
  return nextStateDigest(ZERO_HASH, genesisWrites(genesis), []);
}

/** The header of block 0, derived from genesis alone (it carries no transactions). */
export function genesisHeader(genesis: Genesis): BlockHeader {
  return {
    chainId: chainIdOf(genesis),
    height: 0,
    prevHash: ZERO_HASH,
    txRoot: toHex(merkleRoot([])),
    stateDigest: ZERO_HASH,
    time: genesis.genesisTime,
    proposer: 'genesis',
    txCount: 0,
  };
}
