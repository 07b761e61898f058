/**
 * `medledger init`: creates a dev consortium in a data directory — hospital A, hospital B, a
 * GP clinic, an insurer and a research institute; their root and node keys; demo members
 * (doctors, a nurse, the patient Bob, an insurer's claims officer, a researcher) — and
 * configures this node as hospital A's, with a fresh EHR master key (`ehr-master-<org>`, 32
 * random bytes: the key-encryption key of the EHR store and the vault). Private keys are
 * sealed (scrypt + AES-256-GCM) and written with mode 0600. The patient's certificate carries a pseudonym, not a name.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes, sealKey, toHex } from '@medledger/crypto';
import {
  createConsortium,
  devConsortiumSpec,
  isInitialized,
  paths,
  writeKeyFile,
  type Consortium,
  type NodeConfig,
} from '@medledger/node';
import { UsageError } from '../args.js';
import { newPassphrase } from '../passphrase.js';

export interface InitOptions {
  dir: string;
  org: string;
  host: string;
  port: number;
  dev: boolean;
  /** scrypt cost for key files (tests lower it). */
  scryptN?: number;
  now?: number;
}

/** Public directory of local members: label → member id, organization, role. */
export interface MemberDirectoryEntry {
  label: string;
  memberId: string;
  org: string;
  role: string;
}

export async function init(o: InitOptions): Promise<{ consortium: Consortium; passphrase: string }> {
  if (isInitialized(o.dir))
    throw new UsageError(`${o.dir} already holds a medledger node; choose another --dir`);
  if (existsSync(o.dir) && readdirSync(o.dir).length > 0) throw new UsageError(`${o.dir} is not empty`);
  mkdirSync(o.dir, { recursive: true, mode: 0o700 });
  const passphrase = newPassphrase(o.dir, o.dev);
  const now = o.now ?? Date.now();
  const consortium = await createConsortium(devConsortiumSpec(now, `patient-${toHex(randomBytes(6))}`));
  if (!consortium.orgs.has(o.org))
    throw new UsageError(`--org must be one of ${[...consortium.orgs.keys()].join(', ')}`);
  const N = o.scryptN ?? 1 << 15;
  const seal = (label: string, keyType: string, publicKey: Uint8Array, privateKey: Uint8Array): void => {
    writeKeyFile(o.dir, sealKey({ label, keyType, publicKey, privateKey, passphrase, N }));
  };
  for (const [id, org] of consortium.orgs) {
    seal(`org-${id}`, 'p256', org.root.publicKey, org.root.privateKey);
    seal(`node-${id}`, 'p256', org.node.publicKey, org.node.privateKey);
  }
  // This node's EHR master key: encrypts off-chain records and the release-key vault at rest.
  seal(`ehr-master-${o.org}`, 'aes256', new Uint8Array(0), randomBytes(32));
  const p = paths(o.dir);
  mkdirSync(p.certs, { recursive: true });
  for (const [id, org] of consortium.orgs) writeFileSync(join(p.certs, `org-${id}.der`), org.rootCertificate);
  const directory: MemberDirectoryEntry[] = [];
  for (const m of consortium.members) {
    seal(m.spec.label, 'p256', m.keys.publicKey, m.keys.privateKey);
    seal(`${m.spec.label}-enc`, 'x25519', m.encryption.publicKey, m.encryption.privateKey);
    writeFileSync(join(p.certs, `${m.spec.label}.der`), m.certificate);
    directory.push({ label: m.spec.label, memberId: m.memberId, org: m.spec.org, role: m.spec.role });
  }
  writeFileSync(join(o.dir, 'members.json'), JSON.stringify(directory, null, 2) + '\n');
  writeFileSync(p.genesis, JSON.stringify(consortium.genesis, null, 2) + '\n');
  const config: NodeConfig = { org: o.org, host: o.host, port: o.port, nodeKey: `node-${o.org}` };
  writeFileSync(p.config, JSON.stringify(config, null, 2) + '\n');
  return { consortium, passphrase };
}
