/**
 * The co-signing mailbox's routes (node/src/cosign/mailbox.ts). Every route needs a signed
 * request of an enrolled, unrevoked member; a proposal is served only to its proposer and the
 * co-signers it names.
 *   POST /v1/cosign/proposals                 {body, sig}: a responsible doctor proposes → 201 Proposal
 *   GET  /v1/cosign/proposals                 the member's proposals (made or named in) → {proposals}
 *   GET  /v1/cosign/proposals/:id             → Proposal
 *   POST /v1/cosign/proposals/:id/signatures  {sig}: a named co-signer signs → Proposal (with
 *                                             txId once every signer signed and the node submitted it)
 */
import { API } from '@medledger/client';
import { serve } from '../contract.js';
import type { RequestAuthenticator } from '../auth.js';
import type { ServerPlugin } from '../server.js';
import type { CosignMailbox } from '../../cosign/mailbox.js';

/** @example buildServer(node, { plugins: [cosignRoutes(mailbox, auth)] }) */
export function cosignRoutes(mailbox: CosignMailbox, auth: RequestAuthenticator): ServerPlugin {
  return (app) => {
    serve(app, API.cosign.propose, async (req, reply) =>
      reply.status(201).send(mailbox.propose(auth.authenticate(req), req.body)),
    );
    serve(app, API.cosign.list, async (req) => ({ proposals: mailbox.list(auth.authenticate(req)) }));
    serve(app, API.cosign.get, async (req) => mailbox.get(auth.authenticate(req), req.params.id));
    serve(app, API.cosign.sign, async (req) => mailbox.sign(auth.authenticate(req), req.params.id, req.body));
  };
}
