/**
 * Co-signing proposals of DSS records that need k of n responsible doctors (node/src/cosign,
 * node/src/api/routes/cosign.ts): an off-ledger mailbox where the proposer leaves the body and
 * their signature and the named co-signers add theirs. The node checks each signature as it
 * arrives and submits the transaction once every listed signer has signed; it never signs.
 */
import { route } from '../route.js';
import { Hex64, Obj, Open, Params, SignedTx, Type } from '../schema.js';

/** A proposal as the mailbox serves it. */
export const Proposal = Open({
  id: Hex64,
  proposer: Type.String(),
  signers: Type.Array(Type.String()),
  signed: Type.Array(Type.String()),
  body: Obj,
  status: Type.Union([Type.Literal('open'), Type.Literal('submitted'), Type.Literal('expired')]),
  expiresAt: Type.Number(),
  createdAt: Type.Number(),
  txId: Type.Optional(Type.String()),
});

export const cosign = {
  propose: route({
    method: 'POST',
    path: '/v1/cosign/proposals',
    auth: 'member',
    summary:
      'a responsible doctor proposes a co-signed `record.dss`: its body and their own signature (`{ body, sig }`); the listed co-signers sign it next',
    body: Type.Object({ body: SignedTx.properties.body, sig: Type.String() }),
    validateBody: false,
    signedBody: true,
    response: { 201: Proposal },
  }),
  list: route({
    method: 'GET',
    path: '/v1/cosign/proposals',
    auth: 'member',
    summary: 'the proposals this member made or is named to co-sign, newest first',
    response: { 200: Type.Object({ proposals: Type.Array(Proposal) }) },
  }),
  get: route({
    method: 'GET',
    path: '/v1/cosign/proposals/:id',
    auth: 'member',
    summary: 'one proposal, to its proposer and its named co-signers only',
    params: Params({ id: Hex64 }),
    response: { 200: Proposal },
  }),
  sign: route({
    method: 'POST',
    path: '/v1/cosign/proposals/:id/signatures',
    auth: 'member',
    summary:
      "a named co-signer adds their signature (`{ sig }`, over the body's id); the node submits the transaction once every signer has signed",
    params: Params({ id: Hex64 }),
    body: Type.Object({ sig: Type.String() }),
    validateBody: false,
    signedBody: true,
    response: { 200: Proposal },
  }),
} as const;
