/**
 * The directory of a generated ledger (`medledger generate`, `bench queries`, `bench scale`):
 *   <dir>/node/        a node directory (genesis.json, node.json, the sealed node key, ledger)
 *   <dir>/scale.json   the generator's fixture: the chain id, the node key's passphrase, the
 *                      members' ids and signing keys (PKCS#8, base64url) and a sample of the
 *                      committed transaction ids, so `bench queries` can sign as the patients
 *                      and read transactions by id. Mode 0600. The keys are throwaway keys of a
 *                      synthetic benchmark consortium; nothing prints them.
 *
 * One organization (`scale`, a CDO) runs the node and certifies every member. The doctors are
 * certified through the ceremony's requests (`createConsortium`); the patients — up to 10,000,
 * where a request each would take minutes — are certified by the organization from their
 * public keys directly (`issueMemberCertificate`), 32 at a time. Each member's key is made
 * here, as the member would make it, and only its public key goes into the certificate.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  fromB64u,
  generateP256KeyPair,
  issueMemberCertificate,
  randomBytes,
  sealKey,
  toB64u,
} from '@medledger/crypto';
import { memberIdOf } from '@medledger/core';
import { createConsortium, paths, writeKeyFile, type NodeConfig } from '@medledger/node';

/** A member of the generated consortium, as the fixture keeps it. */
export interface ScaleMember {
  id: string;
  /** PKCS#8 DER, base64url (a throwaway key of the benchmark). */
  key: string;
  /** DER certificate, base64url. */
  certificate: string;
  /** X25519 public key, base64url (doctors: STT receivers). */
  encryptionKey?: string;
}

/** `<dir>/scale.json`. */
export interface ScaleFixture {
  version: 1;
  chainId?: string;
  org: string;
  genesisTime: number;
  /** Passphrase of the node key in `<dir>/node` (benchmark directory only). */
  passphrase: string;
  orgKey: string;
  doctors: ScaleMember[];
  patients: ScaleMember[];
  /** Committed transaction ids, spread over the run (for `GET /v1/txs/:id`). */
  sampleTxIds: string[];
  /** Generated transactions committed, by type. */
  byType?: Record<string, number>;
  txs?: number;
  /** `medledger generate`'s summary of the run that made this ledger. */
  summary?: Record<string, unknown>;
}

export const SCALE_ORG = 'scale';
export const nodeDirOf = (dir: string): string => join(dir, 'node');
const fixturePath = (dir: string): string => join(dir, 'scale.json');

/** Reads `<dir>/scale.json`; throws a clear error when `dir` is not a generated ledger. */
export function readFixture(dir: string): ScaleFixture {
  const p = fixturePath(dir);
  if (!existsSync(p))
    throw new Error(`${dir} holds no generated ledger (no scale.json): run medledger generate`);
  const f = JSON.parse(readFileSync(p, 'utf8')) as ScaleFixture;
  if (f.version !== 1 || !Array.isArray(f.patients) || !Array.isArray(f.sampleTxIds))
    throw new Error(`${p} is not a scale.json of this version`);
  return f;
}

export function writeFixture(dir: string, f: ScaleFixture): void {
  writeFileSync(fixturePath(dir), JSON.stringify(f), { mode: 0o600 });
}

/**
 * Creates the consortium, the node directory and the fixture in `dir` (which must not hold a
 * ledger yet).
 * @throws Error if `dir` already holds a node directory
 */
export async function createScaleDir(
  dir: string,
  p: { patients: number; doctors: number; log: (s: string) => void },
): Promise<ScaleFixture> {
  const nodeDir = nodeDirOf(dir);
  if (existsSync(paths(nodeDir).ledger) || existsSync(paths(nodeDir).genesis))
    throw new Error(`${nodeDir} already holds a node: generate into an empty directory`);
  mkdirSync(nodeDir, { recursive: true });
  const genesisTime = Date.now() - 60_000;
  const consortium = await createConsortium({
    chainName: 'scale',
    genesisTime,
    orgs: [{ id: SCALE_ORG, name: 'Scale hospital', role: 'cdo' }],
    members: Array.from({ length: p.doctors }, (_, i) => ({
      label: `dr-${i}`,
      org: SCALE_ORG,
      role: 'doctor',
    })),
    // Full blocks under load: the default cut (1000 txs or 50 ms).
  });
  const org = consortium.orgs.get(SCALE_ORG)!;
  const doctors: ScaleMember[] = consortium.members.map((m) => ({
    id: m.memberId,
    key: toB64u(m.keys.privateKey),
    certificate: toB64u(m.certificate),
    encryptionKey: toB64u(m.encryption.publicKey),
  }));
  p.log(`certifying ${p.patients} patients...`);
  const patients: ScaleMember[] = [];
  const DAY = 86_400_000;
  for (let i = 0; i < p.patients; i += 32) {
    const chunk = await Promise.all(
      Array.from({ length: Math.min(32, p.patients - i) }, async (_, j) => {
        const keys = generateP256KeyPair();
        const certificate = await issueMemberCertificate({
          issuerCertificate: org.rootCertificate,
          issuerPrivateKey: org.root.privateKey,
          subjectPublicKey: keys.publicKey,
          // A patient's common name is a pseudonym (patient-<hex>), never a name.
          commonName: `patient-${(i + j).toString(16).padStart(8, '0')}`,
          org: SCALE_ORG,
          role: 'patient',
          notBefore: genesisTime - DAY,
          notAfter: genesisTime + 5 * 365 * DAY,
        });
        return {
          id: memberIdOf(certificate),
          key: toB64u(keys.privateKey),
          certificate: toB64u(certificate),
        };
      }),
    );
    patients.push(...chunk);
  }
  const passphrase = toB64u(randomBytes(18));
  writeKeyFile(nodeDir, sealKey({ label: 'node-scale', keyType: 'p256', ...org.node, passphrase, N: 1024 }));
  writeFileSync(paths(nodeDir).genesis, JSON.stringify(consortium.genesis));
  const config: NodeConfig = { org: SCALE_ORG, host: '127.0.0.1', port: 0, nodeKey: 'node-scale' };
  writeFileSync(paths(nodeDir).config, JSON.stringify(config));
  const f: ScaleFixture = {
    version: 1,
    org: SCALE_ORG,
    genesisTime,
    passphrase,
    orgKey: toB64u(org.root.privateKey),
    doctors,
    patients,
    sampleTxIds: [],
  };
  writeFixture(dir, f);
  return f;
}

/** A member's signing key from the fixture. */
export const keyOf = (m: ScaleMember): Uint8Array => fromB64u(m.key);
