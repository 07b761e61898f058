/**
 * The consortium genesis: member organizations with their root certificates and node keys,
 * ordering parameters and the genesis time. Its tagged hash is the chain id, so every
 * transaction and block names the consortium it belongs to.
 */
import { HashTag, fromB64u, parseCertificate, toB64u, type JsonValue } from '@medledger/crypto';
import { LedgerError } from './errors.js';
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
  /** SPKI DER of the key its node signs blocks and checkpoints with, base64url. */
  nodeKey: string;
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
  ordering: OrderingParams;
  params: ChainParams;
}

/** What the state holds for an organization. */
export interface OrgEntry {
  [k: string]: JsonValue;
  id: string;
  name: string;
  role: OrgRole;
  rootPublicKey: string;
  rootCertificate: string;
  nodeKey: string;
}

export const DEFAULT_ORDERING: OrderingParams = { maxTxs: 1000, maxBytes: 4 * 1024 * 1024, timeoutMs: 50 };
export const DEFAULT_PARAMS: ChainParams = { txTtlMs: 60 * 60 * 1000, maxClockSkewMs: 5 * 60 * 1000 };

const C = 'MALFORMED_GENESIS';

/** Validates a genesis document (including that each root certificate is a CA certificate). */
export function parseGenesis(input: unknown): Genesis {
  const g = obj(input, 'genesis', C);
  onlyKeys(g, ['chainName', 'genesisTime', 'orgs', 'ordering', 'params'], 'genesis', C);
  str(g.chainName, 'genesis.chainName', C, 128, ID);
  int(g.genesisTime, 'genesis.genesisTime', C, 0, 8.64e15);
  const seen = new Set<string>();
  arr(g.orgs, 'genesis.orgs', C, 1, 1000).forEach((o, i) => {
    const p = `genesis.orgs[${i}]`;
    const org = obj(o, p, C);
    onlyKeys(org, ['id', 'name', 'role', 'rootCertificate', 'nodeKey'], p, C);
    const id = str(org.id, `${p}.id`, C, 64, /^[A-Za-z0-9-]+$/);
    if (seen.has(id))
      throw new LedgerError({ code: C, path: `${p}.id` }, `${p}.id: duplicate organization ${id}`);
    seen.add(id);
    str(org.name, `${p}.name`, C, 256);
    if (!ORG_ROLES.includes(org.role as OrgRole))
      throw new LedgerError(
        { code: C, path: `${p}.role` },
        `${p}.role: must be one of ${ORG_ROLES.join(', ')}`,
      );
    const info = (() => {
      try {
        return parseCertificate(fromB64u(str(org.rootCertificate, `${p}.rootCertificate`, C, 8192, B64U)));
      } catch (e) {
        throw new LedgerError(
          { code: C, path: `${p}.rootCertificate` },
          `${p}.rootCertificate: ${(e as Error).message}`,
        );
      }
    })();
    if (!info.isCA || info.org !== id)
      throw new LedgerError(
        { code: C, path: `${p}.rootCertificate` },
        `${p}.rootCertificate: must be a CA certificate of ${id}`,
      );
    str(org.nodeKey, `${p}.nodeKey`, C, 512, B64U);
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

/** The chain id: tagged hash of the canonical genesis. */
export function chainIdOf(genesis: Genesis): string {
  return idOf(HashTag.genesis, genesis);
}

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
      nodeKey: o.nodeKey,
    };
    return [`org:${o.id}`, e] as const;
  });
  w.push(['chain:params', { ...genesis.params }]);
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
