/**
 * X.509 v3 member certificates (RFC 5280) for the consortium. Each organization is a CA with
 * a self-signed root certificate listed in the genesis file; it issues its members' ECDSA
 * P-256 certificates. The subject is `CN=<common name>, O=<org id>, OU=<role>` (a patient's
 * common name is a pseudonym); role, organization and attributes also travel in a medledger
 * extension (a UTF8String holding canonical JSON), so nothing has to be parsed out of a
 * display string. Members ask for a certificate with a PKCS#10 request (`csr.ts`), so the
 * organization never holds their private keys.
 *
 * Issuance uses @peculiar/x509 (WebCrypto, asynchronous); checking is synchronous (the
 * ECDSA check of `sig.ts`: OpenSSL in Node, pure JS in a browser build) so that the state
 * machine can check a certificate deterministically inside a block, against the block's
 * time — never the wall clock.
 *
 * Threat model: a certificate proves that an organization vouched for a key, a role and
 * attributes for a period. Whether the member is still in good standing is the ledger's
 * business (revocation is a transaction), not the certificate's.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { assertBytes } from './assert.js';
import type { RandomSource } from './bytes.js';
import { randomBytes } from './random.js';
import { verifyP256Der } from './sig.js';
import {
  ECDSA_P256,
  MEDLEDGER_ATTRS_OID,
  attrsExtension,
  dnName,
  importPrivate,
  importPublic,
  memberSubject,
  provider,
  readAttrs,
  serial,
  signedParts,
} from './x509-codec.js';

export { MEDLEDGER_ATTRS_OID };

/** What a certificate says about its holder. Times are milliseconds since the epoch. */
export interface CertificateInfo {
  commonName: string;
  org: string;
  role: string;
  attributes: Record<string, string>;
  isCA: boolean;
  serialNumber: string;
  notBefore: number;
  notAfter: number;
  /** SPKI DER of the subject's key. */
  publicKey: Uint8Array;
}

/** Parameters of {@link createOrgRootCertificate}. */
export interface CreateOrgRootCertificateParameters {
  org: string;
  privateKey: Uint8Array;
  publicKey: Uint8Array;
  notBefore: number;
  notAfter: number;
  random?: RandomSource;
}

/** A self-signed CA certificate for an organization. Returns DER bytes. */
export async function createOrgRootCertificate(p: CreateOrgRootCertificateParameters): Promise<Uint8Array> {
  provider();
  const name = `CN=${dnName(p.org)} root, O=${dnName(p.org)}, OU=org`;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(p.random ?? randomBytes),
    name,
    notBefore: new Date(p.notBefore),
    notAfter: new Date(p.notAfter),
    signingAlgorithm: ECDSA_P256,
    keys: { privateKey: await importPrivate(p.privateKey), publicKey: await importPublic(p.publicKey) },
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature, true),
      attrsExtension({ org: p.org, role: 'org', attributes: {} }),
    ],
  });
  return new Uint8Array(cert.rawData);
}

/** Parameters of {@link issueMemberCertificate}. */
export interface IssueMemberCertificateParameters {
  /** DER of the issuing organization's root certificate. */
  issuerCertificate: Uint8Array;
  issuerPrivateKey: Uint8Array;
  subjectPublicKey: Uint8Array;
  commonName: string;
  org: string;
  role: string;
  attributes?: Record<string, string>;
  notBefore: number;
  notAfter: number;
  random?: RandomSource;
}

/** Issues a member certificate signed by the organization's root key. Returns DER bytes. */
export async function issueMemberCertificate(p: IssueMemberCertificateParameters): Promise<Uint8Array> {
  provider();
  const issuer = new x509.X509Certificate(p.issuerCertificate);
  const attributes = p.attributes ?? {};
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(p.random ?? randomBytes),
    subject: memberSubject(p.commonName, p.org, p.role),
    issuer: issuer.subject,
    notBefore: new Date(p.notBefore),
    notAfter: new Date(p.notAfter),
    signingAlgorithm: ECDSA_P256,
    publicKey: await importPublic(p.subjectPublicKey),
    signingKey: await importPrivate(p.issuerPrivateKey),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      attrsExtension({ org: p.org, role: p.role, attributes }),
    ],
  });
  return new Uint8Array(cert.rawData);
}

/**
 * Parses a DER certificate. Does not check its signature: see {@link verifyCertificateIssuedBy}.
 * @throws TypeError if the bytes are not an X.509 certificate with medledger attributes.
 */
export function parseCertificate(der: Uint8Array): CertificateInfo {
  assertBytes(der, 'certificate');
  let cert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(der);
  } catch {
    throw new TypeError('not a DER X.509 certificate');
  }
  const { org, role, attributes } = readAttrs(cert.getExtension(MEDLEDGER_ATTRS_OID));
  const cn = cert.subjectName.getField('CN')[0];
  if (!cn) throw new TypeError('certificate has no common name');
  const bc = cert.getExtension(x509.BasicConstraintsExtension);
  return {
    commonName: cn,
    org,
    role,
    attributes,
    isCA: bc?.ca === true,
    serialNumber: cert.serialNumber,
    notBefore: cert.notBefore.getTime(),
    notAfter: cert.notAfter.getTime(),
    publicKey: new Uint8Array(cert.publicKey.rawData),
  };
}

/**
 * True if `der` carries a valid signature by the key `issuerPublicKey` (SPKI DER).
 * Validity periods are checked by the caller against the block's time.
 */
export function verifyCertificateIssuedBy(der: Uint8Array, issuerPublicKey: Uint8Array): boolean {
  assertBytes(der, 'certificate');
  assertBytes(issuerPublicKey, 'issuerPublicKey');
  try {
    const parts = signedParts(der);
    return parts !== undefined && verifyP256Der(issuerPublicKey, parts.tbs, parts.signature);
  } catch {
    return false;
  }
}
