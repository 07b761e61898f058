/**
 * Certification of a member's key through a request to their organization
 * (node/src/api/routes/enrollment.ts): the member (in a browser or a wallet) sends a PKCS#10
 * request; the organization's administrators, who hold the root key away from the node, list
 * the pending requests, issue the certificate and hand it back through the node, where the
 * member picks it up. No private key ever travels: the request carries only a public key and
 * its self-signature.
 */
import { route } from '../route.js';
import { Hex64, Open, Params, Type } from '../schema.js';

const OrgId = Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$', description: 'an organization id' });
const B64u = (maxLength: number, description: string) =>
  Type.String({ pattern: '^[A-Za-z0-9_-]+$', maxLength, description });

/** What a certificate request is, as the node keeps it. */
export const CertificateRequestStatus = Open({
  id: Hex64,
  org: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('issued')]),
  requested: Open({
    commonName: Type.String(),
    role: Type.String(),
    attributes: Type.Record(Type.String(), Type.String()),
  }),
  /** DER of the PKCS#10 request itself, base64url (the organization checks it before it issues). */
  csr: Type.String(),
  /** SPKI DER of the requester's P-256 key, base64url. */
  publicKey: Type.String(),
  /** The requester's X25519 public key (base64url), enrolled with the certificate. */
  encryptionKey: Type.Optional(Type.String()),
  receivedAt: Type.Integer(),
  /** DER of the issued certificate, base64url (status `issued`). */
  certificate: Type.Optional(Type.String()),
  memberId: Type.Optional(Type.String()),
});

const RequestParams = Params({ org: OrgId, id: Hex64 });

export const enrollment = {
  submitRequest: route({
    method: 'POST',
    path: '/v1/orgs/:org/certificate-requests',
    auth: 'public',
    summary:
      'a member asks the organization to certify their key: a PKCS#10 request (its self-signature checked), kept until the organization issues',
    params: Params({ org: OrgId }),
    body: Type.Object(
      {
        csr: B64u(8192, 'DER of the PKCS#10 request, base64url'),
        encryptionKey: Type.Optional(
          Type.String({ pattern: '^[A-Za-z0-9_-]{43}$', description: 'X25519 public key, base64url' }),
        ),
      },
      { additionalProperties: false },
    ),
    bodyLimit: 'small',
    response: { 200: CertificateRequestStatus, 201: CertificateRequestStatus },
  }),
  getRequest: route({
    method: 'GET',
    path: '/v1/orgs/:org/certificate-requests/:id',
    auth: 'public',
    summary:
      'a certificate request: pending, or issued with its certificate (the id is the hash of the request)',
    params: RequestParams,
    response: { 200: CertificateRequestStatus },
  }),
  listRequests: route({
    method: 'GET',
    path: '/v1/orgs/:org/certificate-requests',
    auth: 'org',
    summary: "the organization's certificate requests (signed with its root key), pending ones by default",
    params: Params({ org: OrgId }),
    query: Type.Object(
      { status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('issued')])) },
      { additionalProperties: false },
    ),
    response: { 200: Type.Object({ requests: Type.Array(CertificateRequestStatus) }) },
  }),
  issueCertificate: route({
    method: 'PUT',
    path: '/v1/orgs/:org/certificate-requests/:id/certificate',
    auth: 'org',
    summary:
      "the organization hands back the certificate it issued for a request (signed with its root key); the node checks that the organization's root signed it for the request's key",
    params: RequestParams,
    body: Type.Object(
      { certificate: B64u(8192, 'DER of the certificate, base64url') },
      { additionalProperties: false },
    ),
    signedBody: true,
    bodyLimit: 'small',
    response: { 200: CertificateRequestStatus },
  }),
} as const;
