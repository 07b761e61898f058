/**
 * Directory layouts. Each party keeps its own secrets in its own directory, sealed under that
 * directory's own passphrase (MEDLEDGER_PASSPHRASE, or a random `dev-passphrase` file, mode
 * 0600, in a directory made with --dev); private keys are sealed with scrypt + AES-256-GCM in
 * files of mode 0600.
 *
 * A node directory (this module; the only directory a node process reads):
 *   genesis.json               the consortium genesis, signed by every founder (public)
 *   node.json                  this node's configuration: organization, host, port, key label
 *   keys/node-<org>.key.json   the node key (signs blocks, checkpoints, the node's own txs)
 *   keys/node-enc-<org>.key.json    the node's X25519 key (emergency proxy; made by startNode)
 *   keys/ehr-master-<org>.key.json  the EHR store's and vault's master key (made by startNode)
 *   keys/tls-<org>.key.json, tls.csr.pem, tls.cert.pem   the TLS key, its request and the
 *                              server certificate the organization issued (transport/tlsFiles.ts)
 *   keys/services-<org>.key.json    the key of services.sqlite (made by startNode when node.json
 *                              names services: orgServices/)
 *   ledger.sqlite, ehr.sqlite, vault.sqlite, records-index.sqlite, notify.sqlite
 *   access-log.sqlite          the access-log outbox: served reads not yet on the ledger
 *   services.sqlite            the organization's services' sealed secrets and state
 *   smart-clients.sqlite       SMART Backend Services clients: JWKS registered by members (fhir/smart.ts)
 *   cert-requests.sqlite       members' certificate requests to the organization, and the certificates it
 *                              handed back (public material only; enrollment/requests.ts)
 *   careteams.sqlite           the care teams by doctor, derived from the ledger (patients/careTeamIndex.ts)
 *   cosign.sqlite              co-signing proposals of k-of-n DSS records (cosign/mailbox.ts)
 *   dev-passphrase             (--dev only)
 *
 * An organization's admin directory (`medledger org init`, kept by its administrators, never
 * on the node's data path; cli/src/dirs/admin.ts):
 *   card.json                  the public org card: id, name, role, root certificate, node key
 *   root.cert.der              the self-signed root (CA) certificate
 *   issued/<member id>.cert.der  copies of the member certificates it issued (public)
 *   keys/org-<org>.key.json    the root CA key: signs member certificates, enrollments, the genesis
 *   dev-passphrase             (--dev only)
 *
 * A wallets directory (`medledger wallet new`, kept by members; cli/src/dirs/wallets.ts):
 *   <label>.wallet.json        one member's sealed P-256 signing and X25519 encryption keys,
 *                              then their certificate and member id once issued
 *   <label>.csr.pem            the member's PKCS#10 certificate request (public)
 *   members.json               public directory: label, member id, organization, role
 *   dev-passphrase             (--dev only)
 *
 * A dev layout (`medledger init --dev`) puts these side by side: `<org>/admin/` for each of the
 * five organizations, `<org>/node/` for those that run a node, `wallets/`, the signed
 * `genesis.json`, and `consortium.json`, a public map of where each directory is
 * (cli/src/dirs/layout.ts).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openKey, sealKey, type SealedKey } from '@medledger/crypto';
import { parseGenesis, type Genesis } from '@medledger/core';
import type { OrgServicesConfig } from './orgServices/config.js';

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
  /**
   * TLS for the API (transport/serverTransport.ts): true requires tls.cert.pem; false is plain
   * HTTP, allowed on a loopback address only (`--dev`); absent: TLS once a certificate is
   * installed, else plain HTTP on loopback only.
   */
  tls?: boolean;
  /**
   * Webhook destinations allowed beyond the public internet: addresses or CIDR ranges
   * (notify/outbound.ts). Loopback, private, link-local and metadata addresses are refused
   * unless listed here.
   */
  webhookAllow?: string[];
  /** The organization's services this node runs (orgServices/config.ts). */
  services?: OrgServicesConfig;
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

/** Label of an organization's node key in a node directory. */
export const nodeKeyLabel = (org: string): string => `node-${org}`;

/** True if the directory holds a node's genesis and configuration. */
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
