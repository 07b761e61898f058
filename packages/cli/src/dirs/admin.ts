/**
 * An organization's admin directory (layout in node/src/datadir.ts): its sealed root CA key,
 * its root certificate, its public card and copies of the certificates it issued. Only the
 * organization's administrators read it; no node process does.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCertificate, toB64u, verifyCertificateIssuedBy } from '@medledger/crypto';
import { loadPrivateKey, parseOrgCard, type OrgCard } from '@medledger/node';
import { UsageError } from '../args.js';
import { readJson } from './files.js';

/** The files of an admin directory. */
export const adminPaths = (dir: string) => ({
  card: join(dir, 'card.json'),
  rootCertificate: join(dir, 'root.cert.der'),
  keys: join(dir, 'keys'),
  issued: join(dir, 'issued'),
});

/** Label of an organization's root CA key in its admin directory. */
export const rootKeyLabel = (org: string): string => `org-${org}`;

/** True if the directory is an organization's admin directory. */
export function isAdminDir(dir: string): boolean {
  return existsSync(adminPaths(dir).card) && existsSync(adminPaths(dir).rootCertificate);
}

/** The organization's public card. */
export function readCard(dir: string): OrgCard {
  if (!isAdminDir(dir))
    throw new UsageError(`${dir} is not an organization's admin directory (no card.json)`);
  try {
    return parseOrgCard(readJson(adminPaths(dir).card, 'org card'));
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${adminPaths(dir).card}: ${(e as Error).message}`);
  }
}

/** The organization's root: its id, root certificate (DER) and root private key (PKCS#8). */
export interface OrgAdmin {
  org: string;
  card: OrgCard;
  rootCertificate: Uint8Array;
  rootPrivateKey: Uint8Array;
}

/**
 * Opens the admin directory's root key with its passphrase; checks that the key, the root
 * certificate and the card agree.
 */
export function openAdmin(dir: string, passphrase: string): OrgAdmin {
  const card = readCard(dir);
  const rootCertificate = new Uint8Array(readFileSync(adminPaths(dir).rootCertificate));
  if (toB64u(rootCertificate) !== card.rootCertificate)
    throw new Error(`${dir}: root.cert.der and card.json name different root certificates`);
  const rootPrivateKey = loadPrivateKey(dir, rootKeyLabel(card.id), passphrase);
  const info = parseCertificate(rootCertificate);
  if (!verifyCertificateIssuedBy(rootCertificate, info.publicKey))
    throw new Error(`${dir}: root.cert.der is not self-signed`);
  return { org: card.id, card, rootCertificate, rootPrivateKey };
}

/** Keeps a copy of an issued certificate (public) under issued/<member id>.cert.der. */
export function keepIssued(dir: string, memberId: string, certificate: Uint8Array): string {
  const d = adminPaths(dir).issued;
  mkdirSync(d, { recursive: true });
  const f = join(d, `${memberId}.cert.der`);
  writeFileSync(f, certificate);
  return f;
}
