/**
 * Certification through a request to the organization (issue 13; DESIGN.md "Identity"): the
 * member's side sends a PKCS#10 request (crypto `createCertificateRequest`, or
 * `createCertificateRequestWithKeys` for a browser's non-extractable key) to a node and polls
 * it; the organization's side, holding its root key, lists the pending requests and hands the
 * issued certificate back. The member checks what comes back before using it: the node
 * carries the certificate but is not trusted to pick it.
 */
import {
  parseCertificate,
  sha256,
  toB64u,
  toHex,
  verifyCertificateIssuedBy,
  type CertificateInfo,
} from '@medledger/crypto';
import { memberIdOf } from '@medledger/core';
import type { Static } from '@sinclair/typebox';
import { ApiClient } from '../api/call.js';
import { API } from '../api/index.js';
import type { CertificateRequestStatus } from '../api/routes/enrollment.js';
import { MedledgerError } from '../errors.js';
import type { RequestKey } from '../signer.js';

/** A certificate request as a node keeps it. */
export type CertificateRequest = Static<typeof CertificateRequestStatus>;

/** The id of a request: hex SHA-256 of its DER (the same request always has the same id). */
export function certificateRequestId(csr: Uint8Array): string {
  return toHex(sha256(csr));
}

/** Parameters of {@link submitCertificateRequest}. */
export interface SubmitCertificateRequestParameters {
  baseUrl: string;
  /** The organization asked to certify. */
  org: string;
  /** DER of the PKCS#10 request. */
  csr: Uint8Array;
  /** The member's X25519 public key, enrolled with the certificate (to receive sealed records). */
  encryptionKey?: Uint8Array;
  fetch?: typeof fetch;
}

/**
 * Sends a certificate request to a node (public route; the node checks its self-signature).
 * Sending the same request again answers the request as the node keeps it.
 * @throws MedledgerHttpError e.g. CSR_INVALID (bad self-signature, not a P-256 request),
 *   WRONG_ORG (a request for another organization)
 */
export async function submitCertificateRequest(
  p: SubmitCertificateRequestParameters,
): Promise<CertificateRequest> {
  const api = new ApiClient(p.baseUrl, undefined, p.fetch ? { fetch: p.fetch } : {});
  return await api.call(API.enrollment.submitRequest, {
    params: { org: p.org },
    body: {
      csr: toB64u(p.csr),
      ...(p.encryptionKey === undefined ? {} : { encryptionKey: toB64u(p.encryptionKey) }),
    },
  });
}

/** A request's status (public route: its id is the hash of the request). */
export async function getCertificateRequest(p: {
  baseUrl: string;
  org: string;
  id: string;
  fetch?: typeof fetch;
}): Promise<CertificateRequest> {
  const api = new ApiClient(p.baseUrl, undefined, p.fetch ? { fetch: p.fetch } : {});
  return await api.call(API.enrollment.getRequest, { params: { org: p.org, id: p.id } });
}

/** The organization's side: its id and root key (PKCS#8, an imported key or a signer). */
export interface OrgRootSigner {
  baseUrl: string;
  org: string;
  rootKey: RequestKey;
  fetch?: typeof fetch;
}

const orgApi = (p: OrgRootSigner): ApiClient =>
  new ApiClient(
    p.baseUrl,
    { signerId: `org:${p.org}`, privateKey: p.rootKey },
    p.fetch ? { fetch: p.fetch } : {},
  );

/** The organization's requests (pending by default), in a request signed with its root key. */
export async function listCertificateRequests(
  p: OrgRootSigner & { status?: 'pending' | 'issued' },
): Promise<CertificateRequest[]> {
  const r = await orgApi(p).call(API.enrollment.listRequests, {
    params: { org: p.org },
    query: p.status === undefined ? {} : { status: p.status },
  });
  return r.requests;
}

/**
 * Hands the issued certificate of a request back to the node, which checks that the
 * organization's root signed it for the request's key.
 * @throws MedledgerHttpError e.g. CERT_MISMATCH
 */
export async function handBackCertificate(
  p: OrgRootSigner & { id: string; certificate: Uint8Array },
): Promise<CertificateRequest> {
  return await orgApi(p).call(API.enrollment.issueCertificate, {
    params: { org: p.org, id: p.id },
    body: { certificate: toB64u(p.certificate) },
  });
}

/** What {@link checkIssuedCertificate} found: the member id and what the certificate says. */
export interface CheckedCertificate {
  memberId: string;
  info: CertificateInfo;
}

/**
 * Checks a certificate a node handed back before the member uses it: it certifies this
 * member's own public key, names the organization asked, and carries a valid signature by
 * that organization's root key (from the genesis or the ledger).
 * @throws MedledgerError CERT_NOT_FOR_THIS_KEY, CERT_WRONG_ORG, CERT_WRONG_ISSUER, CERT_MALFORMED
 */
export function checkIssuedCertificate(p: {
  certificate: Uint8Array;
  /** SPKI DER of the member's own public key. */
  publicKey: Uint8Array;
  org: string;
  /** SPKI DER of the organization's root key (genesis `rootPublicKey`, base64url decoded). */
  rootPublicKey: Uint8Array;
}): CheckedCertificate {
  let info: CertificateInfo;
  try {
    info = parseCertificate(p.certificate);
  } catch (e) {
    throw new MedledgerError('CERT_MALFORMED', `the certificate cannot be read: ${(e as Error).message}`);
  }
  if (toB64u(info.publicKey) !== toB64u(p.publicKey))
    throw new MedledgerError(
      'CERT_NOT_FOR_THIS_KEY',
      'the certificate was issued for another key than the one made here: it is refused',
    );
  if (info.org !== p.org)
    throw new MedledgerError(
      'CERT_WRONG_ORG',
      `the certificate names ${info.org}, not ${p.org}: it is refused`,
    );
  if (!verifyCertificateIssuedBy(p.certificate, p.rootPublicKey))
    throw new MedledgerError(
      'CERT_WRONG_ISSUER',
      `the certificate is not signed by ${p.org}'s root key: it is refused`,
    );
  return { memberId: memberIdOf(p.certificate), info };
}
