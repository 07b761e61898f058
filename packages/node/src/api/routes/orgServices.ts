/**
 * Routes of an organization's services (orgServices/), beside the domain routes that issue
 * their secrets (confidentiality.ts: attribute keys; anonymity.ts: credentials, group keys):
 *   GET  /v1/services               the services this node runs: their public keys and whether
 *                                   the organization registered them on the ledger (public: what
 *                                   `medledger org services` registers)
 *   POST /v1/services/he-custody    signed request of a patient {sealed}: the patient's Paillier
 *                                   secret key, sealed to this node's X25519 key
 *   GET  /v1/services/he-custody    signed request of a patient: whether this node holds his key
 */
import { API } from '@medledger/client';
import { serve } from '../contract.js';
import type { FastifyRequest } from 'fastify';
import type { ServerPlugin } from '../server.js';
import type { RequestAuthenticator } from '../auth.js';
import { HttpError } from '../errors.js';
import type { OrgServices } from '../../orgServices/index.js';

export function orgServicesRoutes(services: OrgServices, auth: RequestAuthenticator): ServerPlugin {
  return (app) => {
    serve(app, API.orgServices.services, async () => services.describe());

    const custody = (req: FastifyRequest) => {
      const member = auth.authenticate(req);
      const he = services.he;
      if (!he) throw new HttpError('SERVICE_NOT_RUN', 'this node keeps no HE keys in custody');
      if (member.role !== 'patient') throw new HttpError('FORBIDDEN', 'only a patient deposits his HE key');
      return { member, he };
    };

    serve(app, API.orgServices.heCustody, async (req: FastifyRequest) => {
      const { member, he } = custody(req);
      return { patient: member.id, held: he.holds(member.id) };
    });

    serve(app, API.orgServices.depositHeKey, async (req: FastifyRequest) => {
      const { member, he } = custody(req);
      const b = req.body as { sealed?: unknown } | undefined;
      if (typeof b !== 'object' || b === null || typeof b.sealed !== 'object' || b.sealed === null)
        throw new HttpError('MALFORMED_REQUEST', 'body must be { "sealed": <envelope> }');
      await he.deposit(member, b.sealed);
      return { patient: member.id, held: true };
    });
  };
}
