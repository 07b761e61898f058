/**
 * `medledger org`: an organization's administrators, in their own admin directory.
 *   org init   — the root CA key and certificate, the public card and, with --node-dir, the
 *                node key in the node's directory (never in the admin directory);
 *   org card   — the public card, for the other founders;
 *   org issue  — a member certificate from the member's PKCS#10 request: the organization
 *                checks the request and decides role and attributes; it never sees the
 *                member's private key (it reads only the request file);
 *   org enroll — `registry.enroll` of an issued certificate, signed by the root key, sent to
 *                a node, and its receipt.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import {
  certificateRequestFromPem,
  fromB64u,
  generateP256KeyPair,
  issueCertificateFromRequest,
  parseCertificate,
  parseCertificateRequest,
  sealKey,
  toB64u,
  type CertificateRequestInfo,
} from '@medledger/crypto';
import {
  ORG_MEMBER_ROLES,
  ORG_ROLES,
  mayIssueRole,
  memberIdOf,
  type OrgRole,
  type SignedTx,
} from '@medledger/core';
import { MedledgerClient, Wallet, type Receipt } from '@medledger/client';
import { createOrgRoot, nodeKeyLabel, orgCardOf, writeKeyFile, type OrgCard } from '@medledger/node';
import { UsageError } from '../args.js';
import { newPassphrase } from '../passphrase.js';
import { adminPaths, keepIssued, openAdmin, readCard, rootKeyLabel, type OrgAdmin } from '../dirs/admin.js';
import { isEmptyDir, writeJson } from '../dirs/files.js';
import { clientOptionsFor } from '../transport.js';

const DAY = 86_400_000;

/** Options of {@link orgInit} (`medledger org init`). */
export interface OrgInitOptions {
  org: string;
  name: string;
  role: string;
  /** The admin directory (created; must be empty). */
  dir: string;
  /** The node directory (created; must be empty): the node key goes there. */
  nodeDir?: string;
  /** Random dev-passphrase files instead of MEDLEDGER_PASSPHRASE / MEDLEDGER_NODE_PASSPHRASE. */
  dev: boolean;
  /** scrypt cost of the key files (tests lower it). */
  scryptN?: number;
  now?: number;
}

/** True if one path is the other or inside it. */
function nested(a: string, b: string): boolean {
  const [x, y] = [resolve(a), resolve(b)];
  return x === y || y.startsWith(x + sep) || x.startsWith(y + sep);
}

function freshDir(dir: string, what: string): void {
  if (!isEmptyDir(dir)) throw new UsageError(`${what} ${dir} is not empty`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** Creates an organization's admin directory (and node key). Returns its public card. */
export async function orgInit(o: OrgInitOptions): Promise<OrgCard> {
  if (!/^[A-Za-z0-9-]{1,64}$/.test(o.org)) throw new UsageError("--org: 1-64 letters, digits or '-'");
  if (!ORG_ROLES.includes(o.role as OrgRole))
    throw new UsageError(`--role must be one of ${ORG_ROLES.join(', ')}`);
  if (o.name.trim() === '') throw new UsageError('--name must not be empty');
  if (o.nodeDir !== undefined && nested(o.dir, o.nodeDir))
    throw new UsageError(
      '--node-dir and --dir must be apart (neither inside the other): the root key stays out of the node directory, the node key out of the admin directory',
    );
  if (!o.dev) {
    // Both passphrases are known before anything is written.
    if (!process.env.MEDLEDGER_PASSPHRASE)
      throw new UsageError("set MEDLEDGER_PASSPHRASE (the admin directory's), or use --dev");
    if (o.nodeDir !== undefined && !process.env.MEDLEDGER_NODE_PASSPHRASE)
      throw new UsageError("set MEDLEDGER_NODE_PASSPHRASE (the node directory's), or use --dev");
  }
  freshDir(o.dir, 'admin directory');
  if (o.nodeDir !== undefined) freshDir(o.nodeDir, 'node directory');
  const passphrase = newPassphrase(o.dir, o.dev);
  const nodePassphrase =
    o.nodeDir === undefined ? undefined : newPassphrase(o.nodeDir, o.dev, 'MEDLEDGER_NODE_PASSPHRASE');
  const N = o.scryptN ?? 1 << 15;
  const { root, rootCertificate } = await createOrgRoot({ id: o.org, now: o.now ?? Date.now() });
  writeKeyFile(o.dir, sealKey({ label: rootKeyLabel(o.org), keyType: 'p256', ...root, passphrase, N }));
  writeFileSync(adminPaths(o.dir).rootCertificate, rootCertificate);
  let nodePublicKey: Uint8Array | undefined;
  if (o.nodeDir !== undefined && nodePassphrase !== undefined) {
    const node = generateP256KeyPair();
    writeKeyFile(
      o.nodeDir,
      sealKey({ label: nodeKeyLabel(o.org), keyType: 'p256', ...node, passphrase: nodePassphrase, N }),
    );
    nodePublicKey = node.publicKey;
  }
  const card = orgCardOf(
    { id: o.org, name: o.name, role: o.role as OrgRole },
    rootCertificate,
    nodePublicKey,
  );
  writeJson(adminPaths(o.dir).card, card);
  return card;
}

/** Reads a certificate request file: PEM (`-----BEGIN CERTIFICATE REQUEST-----`) or DER. */
export function readCsrFile(path: string): Uint8Array {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    throw new UsageError(`cannot read certificate request ${path}`);
  }
  const text = bytes.toString('latin1');
  if (text.includes('-----BEGIN')) {
    try {
      return certificateRequestFromPem(text);
    } catch (e) {
      throw new UsageError(`${path}: ${(e as Error).message}`);
    }
  }
  return new Uint8Array(bytes);
}

/** A patient's certificate names a pseudonym, never a name. */
export const PATIENT_PSEUDONYM = /^patient-[0-9a-f]{8,64}$/;

/** Options of {@link orgIssue} (`medledger org issue`). */
export interface OrgIssueOptions {
  /** The admin directory. */
  dir: string;
  /** Its passphrase, or the organization's root already opened (`openAdmin`). */
  passphrase?: string;
  admin?: OrgAdmin;
  /** DER of the member's request: all the organization gets from the member. */
  request: Uint8Array;
  /** The organization's decision; what is left out is taken from the request. */
  role?: string;
  attributes?: Record<string, string>;
  commonName?: string;
  /** Validity in days (default 365; never beyond the root certificate). */
  days?: number;
  now?: number;
}

/** What {@link orgIssue} issued: the certificate, its member id, what was asked and what was decided. */
export interface OrgIssueResult {
  certificate: Uint8Array;
  memberId: string;
  requested: CertificateRequestInfo;
  issued: { commonName: string; org: string; role: string; attributes: Record<string, string> };
}

/**
 * Issues a member certificate from a request. Refuses a request with a bad self-signature, for
 * another organization, for the reserved role `org`, for a role the organization's role does
 * not issue (core `mayIssueRole`), or — for a patient — whose common name is not a pseudonym
 * (`patient-<hex>`).
 */
export async function orgIssue(o: OrgIssueOptions): Promise<OrgIssueResult> {
  if (o.admin === undefined && o.passphrase === undefined)
    throw new TypeError('orgIssue: passphrase or admin');
  const admin = o.admin ?? openAdmin(o.dir, o.passphrase!);
  let requested: CertificateRequestInfo;
  try {
    requested = parseCertificateRequest(o.request);
  } catch (e) {
    throw new UsageError(`certificate request: ${(e as Error).message}`);
  }
  const role = o.role ?? requested.role;
  const commonName = o.commonName ?? requested.commonName;
  if (!/^[a-z][a-z0-9-]{0,31}$/.test(role) || role === 'org')
    throw new UsageError(`role ${role}: lowercase letters, digits and '-', and not the reserved "org"`);
  const orgRole = readCard(o.dir).role;
  if (!mayIssueRole(orgRole, role))
    throw new UsageError(
      `an organization of role ${orgRole} issues only ${ORG_MEMBER_ROLES[orgRole].join(', ')}; the ledger would refuse a ${role}`,
    );
  if (role === 'patient' && !PATIENT_PSEUDONYM.test(commonName))
    throw new UsageError(
      `a patient's certificate names a pseudonym (patient-<hex>), never a name: refusing "${commonName}"; give --cn patient-<hex>`,
    );
  const now = o.now ?? Date.now();
  const rootNotAfter = parseCertificate(admin.rootCertificate).notAfter;
  try {
    const r = await issueCertificateFromRequest({
      request: o.request,
      issuerCertificate: admin.rootCertificate,
      issuerPrivateKey: admin.rootPrivateKey,
      decision: { role, commonName, ...(o.attributes === undefined ? {} : { attributes: o.attributes }) },
      notBefore: now - 3_600_000,
      notAfter: Math.min(now + (o.days ?? 365) * DAY, rootNotAfter),
    });
    const memberId = memberIdOf(r.certificate);
    keepIssued(o.dir, memberId, r.certificate);
    return { ...r, memberId };
  } catch (e) {
    if (e instanceof TypeError) throw new UsageError(e.message);
    throw e;
  } finally {
    if (o.admin === undefined) admin.rootPrivateKey.fill(0);
  }
}

/** The `registry.enroll` transaction of a certificate, signed by the organization's root key. */
export function enrollTx(p: {
  rootPrivateKey: Uint8Array;
  org: string;
  chainId: string;
  certificate: Uint8Array;
  /** The member's X25519 public key, base64url. */
  encryptionKey?: string;
  now?: number;
}): SignedTx {
  return new Wallet({ signerId: `org:${p.org}`, privateKey: p.rootPrivateKey }).tx({
    chainId: p.chainId,
    type: 'registry.enroll',
    payload: {
      certificate: toB64u(p.certificate),
      ...(p.encryptionKey === undefined ? {} : { encryptionKey: p.encryptionKey }),
    },
    createdAt: p.now ?? Date.now(),
  });
}

/** Options of {@link orgEnroll} (`medledger org enroll`). */
export interface OrgEnrollOptions {
  dir: string;
  passphrase: string;
  certificate: Uint8Array;
  encryptionKey?: string;
  /** The node's URL. */
  node: string;
  waitMs?: number;
}

/**
 * Enrolls an issued member certificate through a node and waits for its receipt.
 * @throws Error naming the code if the node rejects the transaction or the ledger refuses it.
 */
export async function orgEnroll(o: OrgEnrollOptions): Promise<{ memberId: string; receipt: Receipt }> {
  let info;
  try {
    info = parseCertificate(o.certificate);
  } catch (e) {
    throw new UsageError(`certificate: ${(e as Error).message}`);
  }
  if (o.encryptionKey !== undefined && fromB64u(o.encryptionKey).length !== 32)
    throw new UsageError('--enc-key must be a 32-byte X25519 public key, base64url');
  const admin = openAdmin(o.dir, o.passphrase);
  if (info.org !== admin.org)
    throw new UsageError(
      `the certificate is of organization ${info.org}, this admin directory is ${admin.org}'s`,
    );
  const client = new MedledgerClient(o.node, undefined, clientOptionsFor(o.node));
  const { chainId } = await client.status();
  const tx = enrollTx({ ...admin, chainId, certificate: o.certificate, ...optional(o.encryptionKey) });
  admin.rootPrivateKey.fill(0);
  const receipt = await client.submitAndWait(tx, o.waitMs ?? 30_000);
  if (receipt.code !== 'OK')
    throw new Error(
      `enrollment refused by the ledger: ${receipt.code}${receipt.message ? ` ${receipt.message}` : ''}`,
    );
  return { memberId: memberIdOf(o.certificate), receipt };
}

function optional(encryptionKey: string | undefined): { encryptionKey?: string } {
  return encryptionKey === undefined ? {} : { encryptionKey };
}
