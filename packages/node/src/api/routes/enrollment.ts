/**
 * Routes of certification through a request to the organization (enrollment/requests.ts):
 *   POST /v1/orgs/:org/certificate-requests                  public {csr, encryptionKey?}: kept
 *                                                            once its self-signature checks
 *   GET  /v1/orgs/:org/certificate-requests/:id              public: pending, or issued with
 *                                                            its certificate
 *   GET  /v1/orgs/:org/certificate-requests                  signed by the org's root key: the list
 *   PUT  /v1/orgs/:org/certificate-requests/:id/certificate  signed by the org's root key: the
 *                                                            certificate it issued
 */
import { API } from '@medledger/client';
import { fromB64u } from '@medledger/crypto';
import { serve } from '../contract.js';
import { HttpError } from '../errors.js';
import type { ServerPlugin } from '../server.js';
import type { CertificateRequestStore } from '../../enrollment/requests.js';

export function enrollmentRoutes(requests: CertificateRequestStore): ServerPlugin {
  return (app) => {
    serve(app, API.enrollment.submitRequest, async (req, reply) => {
      const { created, request } = await requests.submit(
        req.params.org,
        decode(req.body.csr, 'csr'),
        req.body.encryptionKey === undefined ? undefined : checkKey(req.body.encryptionKey),
      );
      reply.code(created ? 201 : 200);
      return request;
    });
    serve(app, API.enrollment.getRequest, async (req) => {
      const r = requests.get(req.params.org, req.params.id);
      if (!r)
        throw new HttpError(
          'NOT_FOUND',
          `no certificate request ${req.params.id} here (its id is the SHA-256 of the request's DER)`,
        );
      return r;
    });
    serve(app, API.enrollment.listRequests, async (req) => ({
      requests: requests.list(req.params.org, req.query.status ?? 'pending'),
    }));
    serve(app, API.enrollment.issueCertificate, async (req) =>
      requests.issue(req.params.org, req.params.id, decode(req.body.certificate, 'certificate')),
    );
  };
}

function checkKey(b64u: string): string {
  if (decode(b64u, 'encryptionKey').length !== 32)
    throw new HttpError('MALFORMED_REQUEST', 'encryptionKey must be a 32-byte X25519 public key, base64url');
  return b64u;
}

function decode(b64u: string, field: string): Uint8Array {
  try {
    return fromB64u(b64u);
  } catch {
    throw new HttpError('MALFORMED_REQUEST', `${field} is not canonical base64url`);
  }
}
