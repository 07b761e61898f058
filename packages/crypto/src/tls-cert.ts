/**
 * TLS server certificates of consortium nodes (RFC 5280 profile for TLS, RFC 8446 §4.4.2).
 * A node makes its own P-256 TLS key and sends its organization a PKCS#10 request (RFC 2986)
 * naming the host names and IP addresses it serves; the organization's root CA — whose
 * certificate is in the genesis — issues a leaf certificate for exactly those names, with
 * extended key usage serverAuth and the medledger attributes extension `{ org, role:
 * 'tls-server' }`. The private key never leaves the node's directory.
 *
 * Threat model: a client that trusts only the genesis roots and checks that the leaf was
 * issued by the root of the organization it expects (`transport/tlsFetch.ts` in the node)
 * talks to a server that holds a key that organization certified for that host. It protects
 * the API's traffic — signed requests, DSS records, EHR payloads — against eavesdropping and
 * a man in the middle on the network. It does not protect against the organization itself (it
 * can certify any key), nor against whoever holds the node's directory and passphrase.
 * Revocation of TLS certificates is not modelled: keep them short-lived (default 90 days) and
 * reissue.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { assertBytes } from './assert.js';
import type { RandomSource } from './bytes.js';
import { randomBytes } from './random.js';
import {
  ECDSA_P256,
  attrsExtension,
  importPrivate,
  importPublic,
  memberSubject,
  provider,
  serial,
} from './x509-codec.js';
import { parseCertificateRequest, verifyCertificateRequest } from './csr.js';
import { parseCertificate } from './x509.js';

/** OID of the subject alternative name extension (RFC 5280 §4.2.1.6). */
const SAN_OID = '2.5.29.17';

/** The role a TLS server certificate carries in its medledger attributes and subject OU. */
export const TLS_SERVER_ROLE = 'tls-server';

/** A name a TLS server certificate covers: a DNS name or an IP address (v4 or v6). */
export type TlsHost = { type: 'dns'; value: string } | { type: 'ip'; value: string };

const DNS = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^[0-9a-f:]*:[0-9a-f:]*$/;

/** @throws TypeError unless every host is a lowercase DNS name or an IPv4/IPv6 address, and there is one. */
function checkHosts(hosts: TlsHost[]): void {
  if (!Array.isArray(hosts) || hosts.length === 0 || hosts.length > 16)
    throw new TypeError('a TLS certificate names 1 to 16 hosts');
  for (const h of hosts) {
    const ok = h.type === 'dns' ? DNS.test(h.value) : IPV4.test(h.value) || IPV6.test(h.value);
    if (!ok)
      throw new TypeError(`not a ${h.type === 'dns' ? 'lowercase DNS name' : 'IP address'}: ${h.value}`);
  }
}

function sanExtension(hosts: TlsHost[]): x509.SubjectAlternativeNameExtension {
  return new x509.SubjectAlternativeNameExtension(hosts.map((h) => ({ type: h.type, value: h.value })));
}

function hostsOf(ext: x509.SubjectAlternativeNameExtension | null): TlsHost[] {
  if (!ext) return [];
  return ext.names.items.flatMap((n): TlsHost[] =>
    n.type === 'dns' || n.type === 'ip' ? [{ type: n.type, value: n.value.toLowerCase() }] : [],
  );
}

/** Parameters of {@link createTlsCertificateRequest}. */
export interface CreateTlsCertificateRequestParameters {
  /** The node's TLS key pair (PKCS#8 and SPKI DER), made in its own directory. */
  privateKey: Uint8Array;
  publicKey: Uint8Array;
  org: string;
  /** The names clients reach the node by. */
  hosts: TlsHost[];
}

/**
 * A PKCS#10 request for a node's TLS server certificate, signed by the TLS key. DER bytes.
 * @throws TypeError on a host that is not a lowercase DNS name or an IP address.
 * @example
 * const csr = await createTlsCertificateRequest({ ...k, org: 'hospitalA', hosts: [{ type: 'ip', value: '127.0.0.1' }] });
 */
export async function createTlsCertificateRequest(
  p: CreateTlsCertificateRequestParameters,
): Promise<Uint8Array> {
  provider();
  assertBytes(p.privateKey, 'privateKey');
  assertBytes(p.publicKey, 'publicKey');
  checkHosts(p.hosts);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: memberSubject(`${p.org} node`, p.org, TLS_SERVER_ROLE),
    signingAlgorithm: ECDSA_P256,
    keys: { privateKey: await importPrivate(p.privateKey), publicKey: await importPublic(p.publicKey) },
    extensions: [
      attrsExtension({ org: p.org, role: TLS_SERVER_ROLE, attributes: {} }),
      sanExtension(p.hosts),
    ],
  });
  return new Uint8Array(csr.rawData);
}

/** What a TLS certificate request asks for. */
export interface TlsCertificateRequestInfo {
  org: string;
  hosts: TlsHost[];
  /** SPKI DER of the node's TLS key. */
  publicKey: Uint8Array;
}

/**
 * Reads and checks a TLS certificate request: its self-signature, the role `tls-server`, and
 * at least one host.
 * @throws TypeError naming what is wrong.
 */
export async function parseTlsCertificateRequest(der: Uint8Array): Promise<TlsCertificateRequestInfo> {
  const info = parseCertificateRequest(der);
  if (info.role !== TLS_SERVER_ROLE)
    throw new TypeError(`not a TLS server request: it asks for role ${info.role}, not ${TLS_SERVER_ROLE}`);
  if (!(await verifyCertificateRequest(der))) throw new TypeError('certificate request: bad self-signature');
  let hosts: TlsHost[];
  try {
    const ext = new x509.Pkcs10CertificateRequest(der).getExtension(SAN_OID);
    hosts = hostsOf(ext ? new x509.SubjectAlternativeNameExtension(ext.rawData) : null);
  } catch {
    throw new TypeError('certificate request has a malformed subject alternative name');
  }
  checkHosts(hosts);
  return { org: info.org, hosts, publicKey: info.publicKey };
}

/** Parameters of {@link issueTlsServerCertificate}. */
export interface IssueTlsServerCertificateParameters {
  /** DER of the node's TLS request. */
  request: Uint8Array;
  /** DER of the organization's root certificate, and its private key (PKCS#8). */
  issuerCertificate: Uint8Array;
  issuerPrivateKey: Uint8Array;
  notBefore: number;
  notAfter: number;
  random?: RandomSource;
}

/**
 * Issues a node's TLS server certificate from its request, signed by the organization's root.
 * @throws TypeError if the request is malformed, badly self-signed, not a TLS request, or made
 *   for another organization than the issuer's.
 */
export async function issueTlsServerCertificate(
  p: IssueTlsServerCertificateParameters,
): Promise<{ certificate: Uint8Array; request: TlsCertificateRequestInfo }> {
  provider();
  const request = await parseTlsCertificateRequest(p.request);
  const issuerInfo = parseCertificate(p.issuerCertificate);
  if (!issuerInfo.isCA) throw new TypeError('the issuer certificate is not a CA certificate');
  if (request.org !== issuerInfo.org)
    throw new TypeError(`TLS request: asks organization ${request.org}, the issuer is ${issuerInfo.org}`);
  const issuer = new x509.X509Certificate(p.issuerCertificate);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(p.random ?? randomBytes),
    subject: memberSubject(`${request.org} node`, request.org, TLS_SERVER_ROLE),
    issuer: issuer.subject,
    notBefore: new Date(p.notBefore),
    notAfter: new Date(p.notAfter),
    signingAlgorithm: ECDSA_P256,
    publicKey: await importPublic(request.publicKey),
    signingKey: await importPrivate(p.issuerPrivateKey),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
      sanExtension(request.hosts),
      attrsExtension({ org: request.org, role: TLS_SERVER_ROLE, attributes: {} }),
    ],
  });
  return { certificate: new Uint8Array(cert.rawData), request };
}

/**
 * The organization and hosts of a TLS server certificate (signature not checked here).
 * @throws TypeError if it is not a medledger TLS server certificate.
 */
export function parseTlsServerCertificate(der: Uint8Array): {
  org: string;
  hosts: TlsHost[];
  publicKey: Uint8Array;
  notAfter: number;
} {
  const info = parseCertificate(der);
  if (info.role !== TLS_SERVER_ROLE) throw new TypeError(`not a TLS server certificate (role ${info.role})`);
  const cert = new x509.X509Certificate(der);
  return {
    org: info.org,
    hosts: hostsOf(cert.getExtension(x509.SubjectAlternativeNameExtension)),
    publicKey: info.publicKey,
    notAfter: info.notAfter,
  };
}

/** PEM of a DER certificate, ending in a newline. */
export function certificateToPem(der: Uint8Array): string {
  assertBytes(der, 'certificate');
  const pem = x509.PemConverter.encode(der, 'CERTIFICATE');
  return pem.endsWith('\n') ? pem : `${pem}\n`; // so that PEM blocks concatenate into a chain
}

/**
 * DER of every `CERTIFICATE` block of a PEM text, in order.
 * @throws TypeError if it holds none.
 */
export function certificatesFromPem(pem: string): Uint8Array[] {
  const blocks = x509.PemConverter.decodeWithHeaders(pem).filter((b) => b.type === 'CERTIFICATE');
  if (blocks.length === 0) throw new TypeError('no CERTIFICATE block in the PEM text');
  return blocks.map((b) => new Uint8Array(b.rawData));
}
