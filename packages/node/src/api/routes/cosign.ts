/**
 * The co-signing mailbox's routes (node/src/cosign/mailbox.ts). Every route needs a signed
 * request of an enrolled, unrevoked member; a proposal is served only to its proposer and the
 * co-signers it names. A proposal holds a patient's record in clear: a co-signer's first view of
 * it is logged as a read of the patient's data (the server's read log), before the answer.
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
import type { MemberEntry } from '@medledger/core';
import type { CosignMailbox, Proposal } from '../../cosign/mailbox.js';

/** @example buildServer(node, { plugins: [cosignRoutes(mailbox, auth)] }) */
export function cosignRoutes(mailbox: CosignMailbox, auth: RequestAuthenticator): ServerPlugin {
  return (app, _node, { logReads }) => {
    const served = <T extends Proposal | Proposal[]>(member: MemberEntry, answer: T): T => {
      const first = mailbox.firstViews(member, [answer].flat());
      if (first.length > 0)
        logReads(
          member,
          first.map((p) => ({
            patient: String(p.body.payload['patient']),
            ref: `cosign:${String(p.body.payload['recordId'])}`,
            channel: 'cosign',
          })),
        );
      return answer;
    };
    serve(app, API.cosign.propose, async (req, reply) =>
      reply.status(201).send(mailbox.propose(auth.authenticate(req), req.body)),
    );
    serve(app, API.cosign.list, async (req) => {
      const member = auth.authenticate(req);
      return { proposals: served(member, mailbox.list(member)) };
    });
    serve(app, API.cosign.get, async (req) => {
      const member = auth.authenticate(req);
      return served(member, mailbox.get(member, req.params.id));
    });
    serve(app, API.cosign.sign, async (req) => mailbox.sign(auth.authenticate(req), req.params.id, req.body));
  };
}
