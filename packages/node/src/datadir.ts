/**
 * The layout of a node's data directory:
 *   genesis.json          the consortium genesis (public)
 *   node.json             this node's configuration (organization, port, key label)
 *   keys/<label>.key.json private keys sealed with scrypt + AES-256-GCM, mode 0600
 *   certs/<label>.der     member certificates (public)
 *   ledger.sqlite         blocks, transaction index, world state
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openKey, sealKey, type SealedKey } from '@medledger/crypto';
import { parseGenesis, type Genesis } from '@medledger/core';

export interface NodeConfig {
  org: string;
  host: string;
  port: number;
  /** Label of the node key in keys/. */
  nodeKey: string;
  /** Where the organization's EHR records live (default: `ehr.sqlite` in the directory). */
  ehr?: { kind: 'sqlite' } | { kind: 'postgres'; url: string };
  /** How blocks are ordered (default solo: this node alone). */
  orderer?: OrdererConfig;
  /** The other consortium nodes' API URLs, to sync blocks from. */
  peers?: { org: string; url: string }[];
}

export type OrdererConfig =
  | { kind: 'solo' }
  | {
      kind: 'etcd';
      /** Client URLs of the etcd cluster's members. */
      endpoints: string[];
      /** The cutter's lease (s, default 3). */
      leaseTtlSec?: number;
      /** How long a stopped node holds back pruning (s, default 10). */
      heightTtlSec?: number;
      /** How often the cutter prunes etcd (ms, default 5000). */
      pruneEveryMs?: number;
    };

export const paths = (dir: string) => ({
  genesis: join(dir, 'genesis.json'),
  config: join(dir, 'node.json'),
  keys: join(dir, 'keys'),
  certs: join(dir, 'certs'),
  ledger: join(dir, 'ledger.sqlite'),
});

export function isInitialized(dir: string): boolean {
  return existsSync(paths(dir).genesis) && existsSync(paths(dir).config);
}

export function readGenesis(dir: string): Genesis {
  return parseGenesis(JSON.parse(readFileSync(paths(dir).genesis, 'utf8')));
}

export function readConfig(dir: string): NodeConfig {
  return JSON.parse(readFileSync(paths(dir).config, 'utf8')) as NodeConfig;
}

/** Writes a sealed key file with mode 0600 (owner read/write only). */
export function writeKeyFile(dir: string, sealed: SealedKey): string {
  const kd = paths(dir).keys;
  mkdirSync(kd, { recursive: true, mode: 0o700 });
  const f = join(kd, `${sealed.label}.key.json`);
  writeFileSync(f, JSON.stringify(sealed, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(f, 0o600);
  return f;
}

export function readSealedKey(dir: string, label: string): SealedKey {
  return JSON.parse(readFileSync(join(paths(dir).keys, `${label}.key.json`), 'utf8')) as SealedKey;
}

/** Opens a key file with the passphrase; throws a clear error on a wrong passphrase. */
export function loadPrivateKey(dir: string, label: string, passphrase: string): Uint8Array {
  return openKey(readSealedKey(dir, label), passphrase);
}

export function listKeys(dir: string): SealedKey[] {
  const kd = paths(dir).keys;
  if (!existsSync(kd)) return [];
  return readdirSync(kd)
    .filter((f) => f.endsWith('.key.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(kd, f), 'utf8')) as SealedKey);
}

export { sealKey };
