/**
 * PKCS#10 certificate requests (RFC 2986) for member certificates. A member (a doctor, a
 * nurse, a patient) makes their own P-256 key and sends the organization a request: the
 * subject and medledger attributes extension they ask for (the same form as the member
 * certificate, `x509.ts`, carried in the PKCS#9 extensionRequest attribute), their public key,
 * and a signature by their private key over all of it. The organization checks that
 * self-signature, decides what it certifies — it may keep, override or refuse the requested
 * role, attributes and common name — and issues the certificate with its root key. The
 * private key never leaves the member.
 *
 * Threat model: the self-signature proves that whoever sent the request holds the private key
 * of the public key in it (RFC 2986 §3), so an organization cannot be made to certify a key
 * its requester does not hold, and a request altered in transit fails the check. It does not
 * prove who the requester is: the organization identifies the person out of band (at the
 * front desk, by its HR records) before it issues. What the request asks for is only a
 * request; the certificate says what the organization decided.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { assertBytes, assertString } from './assert.js';
import type { RandomSource } from './bytes.js';
import {
  ECDSA_P256,
  MEDLEDGER_ATTRS_OID,
  attrsExtension,
  importPrivate,
  importPublic,
  memberSubject,
  provider,
  readAttrs,
  signedParts,
  type WebCryptoKey,
} from './x509-codec.js';
import { issueMemberCertificate, parseCertificate } from './x509.js';
import { exportP256PublicKey, importP256PublicKey, verifyP256Der } from './sig.js';

/** What a certificate request asks for. */
export interface CertificateRequestInfo {
  commonName: string;
  org: string;
  role: string;
  attributes: Record<string, string>;
  /** SPKI DER of the requester's P-256 key. */
  publicKey: Uint8Array;
}

/** Parameters of {@link createCertificateRequest}. */
export interface CreateCertificateRequestParameters {
  /** The member's P-256 key pair (PKCS#8 and SPKI DER). */
  privateKey: Uint8Array;
  publicKey: Uint8Array;
  /** Requested common name (a patient asks for a pseudonym, never a name). */
  commonName: string;
  org: string;
  role: string;
  attributes?: Record<string, string>;
}

/**
 * Creates a PKCS#10 request signed by the member's own key. Returns DER bytes.
 * @throws TypeError on a name with characters outside letters, digits and " ._@:-", or keys
 *   that are not a P-256 pair.
 * @example
 * const k = generateP256KeyPair();
 * const csr = await createCertificateRequest({ ...k, commonName: 'dr-ada', org: 'hospitalA', role: 'doctor' });
 */
export async function createCertificateRequest(p: CreateCertificateRequestParameters): Promise<Uint8Array> {
  provider();
  assertBytes(p.privateKey, 'privateKey');
  assertBytes(p.publicKey, 'publicKey');
  const keys = { privateKey: await importPrivate(p.privateKey), publicKey: await importPublic(p.publicKey) };
  return await createCertificateRequestWithKeys({ ...p, keys });
}

/** Parameters of {@link createCertificateRequestWithKeys}. */
export interface CreateCertificateRequestWithKeysParameters {
  /**
   * The member's WebCrypto ECDSA P-256 key pair (`CryptoKeyPair`). The private key may be
   * non-extractable: it only signs the CertificationRequestInfo (RFC 2986 §4.2).
   */
  keys: { privateKey: WebCryptoKey; publicKey: WebCryptoKey };
  commonName: string;
  org: string;
  role: string;
  attributes?: Record<string, string>;
}

/**
 * Creates a PKCS#10 request signed by a WebCrypto key that may never leave its holder (a key
 * made non-extractable in a browser and kept in IndexedDB). Returns DER bytes; WebCrypto's
 * r || s signature is written as the DER ECDSA-Sig-Value the request carries (RFC 5480 §2.2).
 * @throws TypeError on a name with characters outside letters, digits and " ._@:-"
 * @example
 * const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
 * const csr = await createCertificateRequestWithKeys({ keys, commonName: 'patient-1a2b3c4d', org: 'hospitalA', role: 'patient' });
 */
export async function createCertificateRequestWithKeys(
  p: CreateCertificateRequestWithKeysParameters,
): Promise<Uint8Array> {
  provider();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: memberSubject(p.commonName, p.org, p.role),
    signingAlgorithm: ECDSA_P256,
    keys: p.keys,
    extensions: [attrsExtension({ org: p.org, role: p.role, attributes: p.attributes ?? {} })],
  });
  return new Uint8Array(csr.rawData);
}

function decode(der: Uint8Array): x509.Pkcs10CertificateRequest {
  assertBytes(der, 'certificate request');
  if (!signedParts(der)) throw new TypeError('not a DER PKCS#10 certificate request');
  try {
    return new x509.Pkcs10CertificateRequest(der);
  } catch {
    throw new TypeError('not a DER PKCS#10 certificate request');
  }
}

function attrsOf(csr: x509.Pkcs10CertificateRequest): ReturnType<typeof readAttrs> {
  let ext: x509.Extension | null;
  try {
    ext = csr.getExtension(MEDLEDGER_ATTRS_OID);
  } catch {
    throw new TypeError('certificate request has malformed extensions');
  }
  return readAttrs(ext);
}

/**
 * Reads what a request asks for. Does not check its signature: see
 * {@link verifyCertificateRequest}.
 * @throws TypeError if the bytes are not a PKCS#10 request for a P-256 key with a medledger
 *   attributes extension whose organization and role agree with the subject.
 */
export function parseCertificateRequest(der: Uint8Array): CertificateRequestInfo {
  const csr = decode(der);
  const { org, role, attributes } = attrsOf(csr);
  const field = (f: string): string | undefined => {
    try {
      return csr.subjectName.getField(f)[0];
    } catch {
      throw new TypeError('certificate request has a malformed subject');
    }
  };
  const commonName = field('CN');
  if (!commonName) throw new TypeError('certificate request has no common name');
  if (field('O') !== org || field('OU') !== role)
    throw new TypeError('certificate request subject disagrees with its medledger attributes');
  let publicKey: Uint8Array;
  try {
    publicKey = exportP256PublicKey(importP256PublicKey(new Uint8Array(csr.publicKey.rawData)));
  } catch {
    throw new TypeError('certificate request key is not a P-256 public key');
  }
  return { commonName, org, role, attributes, publicKey };
}

/**
 * True if the request is signed by the private key of the public key it carries (RFC 2986
 * §4.2): false for a tampered request, a forged signature or a malformed one.
 */
export async function verifyCertificateRequest(der: Uint8Array): Promise<boolean> {
  await Promise.resolve(); // asynchronous, like every WebCrypto call of this module
  try {
    const parts = signedParts(der);
    if (!parts) return false;
    const { publicKey } = parseCertificateRequest(der);
    return verifyP256Der(publicKey, parts.tbs, parts.signature);
  } catch {
    return false;
  }
}

/** What the organization certifies: anything left out is taken from the request. */
export interface CertificateDecision {
  commonName?: string;
  role?: string;
  attributes?: Record<string, string>;
}

/** Parameters of {@link issueCertificateFromRequest}. */
export interface IssueCertificateFromRequestParameters {
  /** DER of the member's PKCS#10 request. */
  request: Uint8Array;
  /** DER of the issuing organization's root certificate, and its private key (PKCS#8). */
  issuerCertificate: Uint8Array;
  issuerPrivateKey: Uint8Array;
  /** The organization's decision; it overrides the request field by field. */
  decision?: CertificateDecision;
  notBefore: number;
  notAfter: number;
  random?: RandomSource;
}

/** Result of {@link issueCertificateFromRequest}. */
export interface IssueCertificateFromRequestReturnType {
  /** DER of the member certificate. */
  certificate: Uint8Array;
  requested: CertificateRequestInfo;
  issued: { commonName: string; org: string; role: string; attributes: Record<string, string> };
}

/**
 * Issues a member certificate from a verified request, for the key in the request, with what
 * the organization decided.
 * @throws TypeError('certificate request: bad self-signature') if the request is not signed by
 *   its key (tampered or forged); TypeError('certificate request: asks organization X, the
 *   issuer is Y') if it was made for another organization; TypeError on a malformed request.
 */
export async function issueCertificateFromRequest(
  p: IssueCertificateFromRequestParameters,
): Promise<IssueCertificateFromRequestReturnType> {
  const requested = parseCertificateRequest(p.request);
  if (!(await verifyCertificateRequest(p.request)))
    throw new TypeError('certificate request: bad self-signature');
  const issuer = parseCertificate(p.issuerCertificate);
  if (!issuer.isCA) throw new TypeError('the issuer certificate is not a CA certificate');
  if (requested.org !== issuer.org)
    throw new TypeError(
      `certificate request: asks organization ${requested.org}, the issuer is ${issuer.org}`,
    );
  const d = p.decision ?? {};
  if (d.role !== undefined) assertString(d.role, 'role', true);
  const issued = {
    commonName: d.commonName ?? requested.commonName,
    org: issuer.org,
    role: d.role ?? requested.role,
    attributes: d.attributes ?? requested.attributes,
  };
  const certificate = await issueMemberCertificate({
    issuerCertificate: p.issuerCertificate,
    issuerPrivateKey: p.issuerPrivateKey,
    subjectPublicKey: requested.publicKey,
    ...issued,
    notBefore: p.notBefore,
    notAfter: p.notAfter,
    ...(p.random === undefined ? {} : { random: p.random }),
  });
  return { certificate, requested, issued };
}

/** PEM form of a request (`-----BEGIN CERTIFICATE REQUEST-----`). */
export function certificateRequestToPem(der: Uint8Array): string {
  assertBytes(der, 'certificate request');
  return x509.PemConverter.encode(der, 'CERTIFICATE REQUEST');
}

/**
 * DER of the first `CERTIFICATE REQUEST` block of a PEM text.
 * @throws TypeError if the text holds no such block.
 */
export function certificateRequestFromPem(pem: string): Uint8Array {
  assertString(pem, 'pem');
  const block = x509.PemConverter.decodeWithHeaders(pem).find((b) => b.type === 'CERTIFICATE REQUEST');
  if (!block) throw new TypeError('no CERTIFICATE REQUEST block in the PEM text');
  return new Uint8Array(block.rawData);
}
