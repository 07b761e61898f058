/**
 * A node's TLS key and server certificate, in its own directory (layout in datadir.ts):
 *   keys/tls-<org>.key.json   the TLS private key (P-256), sealed like every key of the node;
 *   tls.csr.pem               its PKCS#10 request naming the node's hosts (public: the
 *                             organization's administrators issue the certificate from it);
 *   tls.cert.pem              the server certificate the organization's root issued (public).
 * The private key is made here and never leaves the directory; the organization sees only
 * the request. `medledger node tls-request` and `medledger node tls-install` call these.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { createPrivateKey } from 'node:crypto';
import {
  certificateRequestToPem,
  certificateToPem,
  certificatesFromPem,
  createTlsCertificateRequest,
  fromB64u,
  generateP256KeyPair,
  parseCertificate,
  parseTlsServerCertificate,
  sealKey,
  toB64u,
  verifyCertificateIssuedBy,
  type TlsHost,
} from '@medledger/crypto';
import { LedgerError } from '@medledger/core';
import { loadPrivateKey, readConfig, readGenesis, readSealedKey, writeKeyFile } from '../datadir.js';

/** Label of a node's TLS key in keys/. */
export const tlsKeyLabel = (org: string): string => `tls-${org}`;

/** The TLS files of a node directory. */
export const tlsPaths = (dir: string) => ({
  request: join(dir, 'tls.csr.pem'),
  certificate: join(dir, 'tls.cert.pem'),
});

/** Host names and addresses as certificate names: IP literals as `ip`, the rest as `dns`. */
export function tlsHostsOf(names: string[]): TlsHost[] {
  return names.map((n) => {
    const v = n
      .trim()
      .toLowerCase()
      .replace(/^\[|\]$/g, '');
    return isIP(v) ? { type: 'ip', value: v } : { type: 'dns', value: v };
  });
}

/**
 * Makes the node's TLS key (sealed under the directory's passphrase) and writes its request.
 * @returns the request's path
 * @throws LedgerError TLS_KEY_EXISTS if the directory already has a TLS key
 */
export async function createNodeTlsRequest(p: {
  dir: string;
  passphrase: string;
  hosts: string[];
  scryptN?: number;
}): Promise<string> {
  const { org } = readConfig(p.dir);
  const label = tlsKeyLabel(org);
  if (existsSync(join(p.dir, 'keys', `${label}.key.json`)))
    throw new LedgerError(
      { code: 'TLS_KEY_EXISTS', label },
      `${p.dir}/keys/${label}.key.json exists already; its request is ${tlsPaths(p.dir).request}`,
    );
  const k = generateP256KeyPair();
  let csr: Uint8Array;
  try {
    csr = await createTlsCertificateRequest({ ...k, org, hosts: tlsHostsOf(p.hosts) });
  } catch (e) {
    throw new LedgerError({ code: 'BAD_INPUT' }, `TLS hosts: ${(e as Error).message}`);
  }
  writeKeyFile(
    p.dir,
    sealKey({
      label,
      keyType: 'p256',
      ...k,
      passphrase: p.passphrase,
      ...(p.scryptN === undefined ? {} : { N: p.scryptN }),
    }),
  );
  k.privateKey.fill(0);
  writeFileSync(tlsPaths(p.dir).request, certificateRequestToPem(csr));
  return tlsPaths(p.dir).request;
}

/**
 * Checks an issued server certificate against the node directory — a TLS server certificate
 * of this node's organization, for this node's TLS key, signed by the organization's root in
 * the genesis — and stores it as tls.cert.pem.
 * @throws LedgerError TLS_CERT_REFUSED naming what does not match
 */
export function installNodeTlsCertificate(dir: string, certificate: Uint8Array): string {
  const { org } = readConfig(dir);
  const refuse = (why: string): never => {
    throw new LedgerError({ code: 'TLS_CERT_REFUSED' }, `TLS certificate refused: ${why}`);
  };
  let info;
  try {
    info = parseTlsServerCertificate(certificate);
  } catch (e) {
    return refuse((e as Error).message);
  }
  if (info.org !== org) refuse(`it is organization ${info.org}'s; this node is ${org}'s`);
  const label = tlsKeyLabel(org);
  if (!existsSync(join(dir, 'keys', `${label}.key.json`)))
    refuse(`${dir} has no TLS key: run \`medledger node tls-request\` first`);
  if (readSealedKey(dir, label).publicKey !== toB64u(info.publicKey))
    refuse(`it certifies another key than keys/${label}.key.json`);
  const root = readGenesis(dir).orgs.find((o) => o.id === org)!;
  const rootCert = fromB64u(root.rootCertificate);
  if (!verifyCertificateIssuedBy(certificate, parseCertificate(rootCert).publicKey))
    refuse(`it is not signed by ${org}'s root certificate in the genesis`);
  writeFileSync(tlsPaths(dir).certificate, certificateToPem(certificate));
  return tlsPaths(dir).certificate;
}

/** What the HTTPS server needs: the key (PEM, opened with the passphrase) and the chain (PEM). */
export interface ServerTlsMaterial {
  key: string;
  cert: string;
  org: string;
  hosts: TlsHost[];
  notAfter: number;
}

/** True if the directory holds a TLS key and an installed certificate. */
export function hasNodeTls(dir: string, org: string): boolean {
  return (
    existsSync(tlsPaths(dir).certificate) && existsSync(join(dir, 'keys', `${tlsKeyLabel(org)}.key.json`))
  );
}

/**
 * Opens the TLS key and reads the certificate; the chain served is the leaf and the
 * organization's root from the genesis.
 */
export function loadNodeTls(dir: string, org: string, passphrase: string): ServerTlsMaterial {
  const [leaf] = certificatesFromPem(readFileSync(tlsPaths(dir).certificate, 'utf8'));
  const info = parseTlsServerCertificate(leaf!);
  const root = readGenesis(dir).orgs.find((o) => o.id === org)!;
  const pkcs8 = loadPrivateKey(dir, tlsKeyLabel(org), passphrase);
  const key = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
  pkcs8.fill(0);
  return {
    key: key.export({ format: 'pem', type: 'pkcs8' }) as string,
    cert: certificateToPem(leaf!) + certificateToPem(fromB64u(root.rootCertificate)),
    org: info.org,
    hosts: info.hosts,
    notAfter: info.notAfter,
  };
}
