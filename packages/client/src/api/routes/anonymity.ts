/** Anonymous reads, credentials, group and ring signatures (node/src/api/routes/anonymity.ts). */
import { route } from '../route.js';
import { Hex64, Obj, Open, Params, Receipt, Text, Type, UIntText, WaitQuery } from '../schema.js';

const FromQuery = Type.Object({ from: Type.Optional(UIntText) }, { additionalProperties: true });
const MemberIdBody = Type.Object({ memberId: Hex64 });
const Challenge = Open({ challengeId: Type.String(), request: Type.Unknown() });
const Relayed = Open({ txId: Type.String(), receipt: Type.Optional(Receipt) });

export const anonymity = {
  relay: route({
    method: 'POST',
    path: '/v1/anon/relay',
    auth: 'anonymous',
    summary: 'relay a group- or ring-signed payload (?wait=<ms>: 200 with its receipt, 202 pending)',
    query: WaitQuery,
    body: Type.Object({ type: Type.String(), payload: Type.Unknown() }),
    response: { 200: Relayed, 202: Relayed },
  }),
  readChallenge: route({
    method: 'POST',
    path: '/v1/anon/challenge',
    auth: 'anonymous',
    summary: 'a challenge for an anonymous read, for credentials of an issuer',
    body: Type.Object({ issuer: Type.String() }),
    response: { 200: Challenge },
  }),
  read: route({
    method: 'POST',
    path: '/v1/anon/read',
    auth: 'anonymous',
    summary:
      'an anonymous read: a presentation answering a challenge (?wait=<ms>); 403 with the code if denied',
    query: WaitQuery,
    body: Type.Object({
      challengeId: Type.String(),
      presentation: Type.Unknown(),
      recordId: Type.String(),
      purpose: Type.String(),
    }),
    response: { 200: Open({ allow: Type.Literal(true) }) },
  }),
  issuer: route({
    method: 'GET',
    path: '/v1/anon/issuers/:org',
    auth: 'public',
    summary: "an issuer's public key and its accumulator updates (?from=<seq>)",
    params: Params({ org: Text }),
    query: FromQuery,
    response: { 200: Type.Object({ issuer: Obj, updates: Type.Array(Type.Unknown()) }) },
  }),
  issuanceNonce: route({
    method: 'POST',
    path: '/v1/anon/issuers/:org/nonce',
    auth: 'member',
    summary: 'an issuance nonce for the signed-in member',
    params: Params({ org: Text }),
    response: { 200: Type.Object({ nonce: Type.String() }) },
  }),
  issueCredential: route({
    method: 'POST',
    path: '/v1/anon/issuers/:org/credentials',
    auth: 'member',
    summary: "a credential and its witness, sealed to the member's encryption key",
    params: Params({ org: Text }),
    body: Type.Object({ nonce: Type.String(), request: Type.Unknown() }),
    signedBody: true,
    response: { 200: Type.Object({ sealed: Obj, seq: Type.Integer(), txId: Type.String() }) },
  }),
  revokeCredential: route({
    method: 'POST',
    path: '/v1/anon/issuers/:org/revoke',
    auth: 'member',
    summary: "the issuer's administrators revoke a member's credentials",
    params: Params({ org: Text }),
    body: MemberIdBody,
    signedBody: true,
    response: {
      200: Open({
        memberId: Type.String(),
        revoked: Type.Integer(),
        seq: Type.Integer(),
        txId: Type.Optional(Type.String()),
      }),
    },
  }),
  group: route({
    method: 'GET',
    path: '/v1/anon/groups/:groupId',
    auth: 'public',
    summary: "a group's public key and published revocations (?from=<epoch>)",
    params: Params({ groupId: Text }),
    query: FromQuery,
    response: { 200: Type.Object({ group: Obj, revocations: Type.Array(Type.String()) }) },
  }),
  groupMemberKey: route({
    method: 'POST',
    path: '/v1/anon/groups/:groupId/member-key',
    auth: 'member',
    summary: "the member's group key, sealed to its encryption key",
    params: Params({ groupId: Text }),
    response: { 200: Type.Object({ groupId: Type.String(), epoch: Type.Integer(), sealed: Obj }) },
  }),
  groupOpen: route({
    method: 'POST',
    path: '/v1/anon/groups/:groupId/open',
    auth: 'member',
    summary: "the group manager's auditors open a group signature",
    params: Params({ groupId: Text }),
    body: Type.Object({ txId: Type.String() }),
    signedBody: true,
    response: {
      200: Type.Object({ txId: Type.String(), memberId: Type.Union([Type.String(), Type.Null()]) }),
    },
  }),
  groupRevoke: route({
    method: 'POST',
    path: '/v1/anon/groups/:groupId/revoke',
    auth: 'member',
    summary: "the group manager's administrators revoke a member",
    params: Params({ groupId: Text }),
    body: MemberIdBody,
    signedBody: true,
    response: { 200: Open({ memberId: Type.String(), epoch: Type.Integer(), receipt: Type.Unknown() }) },
  }),
  trialChallenge: route({
    method: 'POST',
    path: '/v1/anon/trials/:trialId/challenge',
    auth: 'anonymous',
    summary: 'a challenge for an anonymous trial enrolment',
    params: Params({ trialId: Text }),
    body: Type.Object({ issuer: Type.String() }),
    response: { 200: Challenge },
  }),
  trialEnrol: route({
    method: 'POST',
    path: '/v1/anon/trials/:trialId/enrol',
    auth: 'anonymous',
    summary: 'enrol in a trial with a presentation (?wait=<ms>: 200 with the receipt, 202 pending)',
    params: Params({ trialId: Text }),
    query: WaitQuery,
    body: Type.Object({ challengeId: Type.String(), presentation: Type.Unknown() }),
    response: { 200: Relayed, 202: Relayed },
  }),
} as const;
