/**
 * TLS for a node's API (README "Transport"), one party at a time:
 *   node tls-request — in the node directory: the node's TLS key (sealed there, never leaves)
 *                      and its PKCS#10 request `tls.csr.pem` naming the hosts it serves;
 *   org issue --tls  — in the organization's admin directory: the server certificate from that
 *                      request, signed by the root CA key (the one in the genesis);
 *   node tls-install — in the node directory: checks the certificate (its organization, its
 *                      key, its root) and stores it as `tls.cert.pem`; the node then serves TLS.
 * `init --dev` runs the three for every node it creates ({@link devNodeTls}).
 */
import { readFileSync } from 'node:fs';
import {
  certificatesFromPem,
  issueTlsServerCertificate,
  parseCertificate,
  type TlsHost,
} from '@medledger/crypto';
import { isLedgerError } from '@medledger/core';
import { createNodeTlsRequest, installNodeTlsCertificate, paths, readConfig } from '@medledger/node';
import { isLoopbackHost } from '@medledger/node';
import { UsageError } from '../args.js';
import { writeJson } from '../dirs/files.js';
import { openAdmin, type OrgAdmin } from '../dirs/admin.js';
import { readCsrFile } from './org.js';

const DAY = 86_400_000;
const WILDCARD = new Set(['0.0.0.0', '::', '[::]']);

function usage<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (isLedgerError(e) || e instanceof TypeError) throw new UsageError((e as Error).message);
    throw e;
  }
}

/**
 * Makes the node's TLS key and request (`medledger node tls-request`).
 * @param o.hosts the names clients reach the node by (default: node.json's host, when it is
 *   not a wildcard address, and `localhost` beside a loopback one)
 * @returns the request's path and the hosts it names
 */
export async function nodeTlsRequest(o: {
  dir: string;
  passphrase: string;
  hosts?: string[];
  scryptN?: number;
}): Promise<{ request: string; hosts: string[] }> {
  const { host } = usage(() => readConfig(o.dir));
  let hosts = o.hosts ?? [];
  if (hosts.length === 0) {
    if (WILDCARD.has(host))
      throw new UsageError(`node.json binds ${host}: name the hosts clients reach this node by with --host`);
    hosts = isLoopbackHost(host) && host !== 'localhost' ? [host, 'localhost'] : [host];
  }
  try {
    const request = await createNodeTlsRequest({
      dir: o.dir,
      passphrase: o.passphrase,
      hosts,
      ...(o.scryptN === undefined ? {} : { scryptN: o.scryptN }),
    });
    return { request, hosts };
  } catch (e) {
    if (isLedgerError(e)) throw new UsageError(e.message);
    throw e;
  }
}

/** Result of {@link orgIssueTls}. */
export interface OrgIssueTlsResult {
  certificate: Uint8Array;
  org: string;
  hosts: TlsHost[];
  notAfter: number;
}

/**
 * Issues a node's TLS server certificate from its request (`medledger org issue --tls`): for
 * this organization only, for the hosts the request names, valid `days` (default 90; never
 * beyond the root certificate).
 */
export async function orgIssueTls(o: {
  dir: string;
  passphrase?: string;
  admin?: OrgAdmin;
  request: Uint8Array;
  days?: number;
  now?: number;
}): Promise<OrgIssueTlsResult> {
  if (o.admin === undefined && o.passphrase === undefined)
    throw new TypeError('orgIssueTls: passphrase or admin');
  const admin = o.admin ?? openAdmin(o.dir, o.passphrase!);
  const now = o.now ?? Date.now();
  const notAfter = Math.min(now + (o.days ?? 90) * DAY, parseCertificate(admin.rootCertificate).notAfter);
  try {
    const r = await issueTlsServerCertificate({
      request: o.request,
      issuerCertificate: admin.rootCertificate,
      issuerPrivateKey: admin.rootPrivateKey,
      notBefore: now - 3_600_000,
      notAfter,
    });
    return { certificate: r.certificate, org: r.request.org, hosts: r.request.hosts, notAfter };
  } catch (e) {
    if (e instanceof TypeError) throw new UsageError(e.message);
    throw e;
  } finally {
    if (o.admin === undefined) admin.rootPrivateKey.fill(0);
  }
}

/** Reads a certificate file: PEM (the first CERTIFICATE block) or DER. */
export function readCertificateFile(path: string): Uint8Array {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    throw new UsageError(`cannot read certificate ${path}`);
  }
  const text = bytes.toString('latin1');
  if (!text.includes('-----BEGIN')) return new Uint8Array(bytes);
  return usage(() => certificatesFromPem(text)[0]!);
}

/** Installs the issued certificate in the node directory (`medledger node tls-install`). */
export function nodeTlsInstall(dir: string, certificate: Uint8Array): string {
  return usage(() => installNodeTlsCertificate(dir, certificate));
}

/**
 * The dev path: the node's request, its organization's certificate, installed, and node.json's
 * `tls` set — false (plain HTTP, said at startup) unless asked, or unless the node binds
 * beyond loopback.
 */
export async function devNodeTls(o: {
  nodeDir: string;
  nodePassphrase: string;
  adminDir: string;
  admin: OrgAdmin;
  tls?: boolean;
  scryptN?: number;
  now?: number;
}): Promise<void> {
  const { request } = await nodeTlsRequest({
    dir: o.nodeDir,
    passphrase: o.nodePassphrase,
    ...(o.scryptN === undefined ? {} : { scryptN: o.scryptN }),
  });
  const { certificate } = await orgIssueTls({
    dir: o.adminDir,
    admin: o.admin,
    request: readCsrFile(request),
    days: 365,
    ...(o.now === undefined ? {} : { now: o.now }),
  });
  nodeTlsInstall(o.nodeDir, certificate);
  const config = readConfig(o.nodeDir);
  writeJson(paths(o.nodeDir).config, { ...config, tls: o.tls ?? !isLoopbackHost(config.host) });
}
