/**
 * HTTP routes of the anonymity flows (a ServerPlugin):
 *   POST /v1/anon/relay                         {type, payload}: relay a group- or ring-signed payload (?wait)
 *   POST /v1/anon/challenge                     {issuer}: a challenge for an anonymous read
 *   POST /v1/anon/read                          {challengeId, presentation, recordId, purpose} (?wait)
 *   GET  /v1/anon/issuers/:org                  issuer entry and accumulator updates (?from=<seq>)
 *   POST /v1/anon/issuers/:org/nonce            signed request: an issuance nonce
 *   POST /v1/anon/issuers/:org/credentials      signed request {nonce, request}: a credential and its
 *                                               witness, sealed to the member's encryption key
 *   POST /v1/anon/issuers/:org/revoke           signed request {memberId}: revoke a member's credentials
 *                                               (the issuer org's admins)
 *   GET  /v1/anon/groups/:groupId               group entry and published revocations (?from=<epoch>)
 *   POST /v1/anon/groups/:groupId/member-key    signed request: the member's group key, sealed to its
 *                                               encryption key
 *   POST /v1/anon/groups/:groupId/open          signed request {txId}: the manager opens (admins/auditors)
 *   POST /v1/anon/groups/:groupId/revoke        signed request {memberId}: revoke a member (admins)
 *   POST /v1/anon/trials/:trialId/challenge     {issuer}: a challenge for an anonymous enrolment
 *   POST /v1/anon/trials/:trialId/enrol         {challengeId, presentation} (?wait)
 * Anonymous routes (relay, challenge, read, trial) take no signed request: the presentation or
 * the anonymous signature is the authentication. Issuance, group keys and opening are named.
 */
import { API } from '@medledger/client';
import { serve } from '../contract.js';
import type { FastifyRequest } from 'fastify';
import { canonicalBytes, envelopeToJson, fromB64u, sealEnvelope, toB64u } from '@medledger/crypto';
import { credentialAad } from '@medledger/client';
import { credentialToJson, issuanceRequestFromJson } from '@medledger/crypto/credentials';
import type { MemberEntry } from '@medledger/core';
import { getAccumulatorUpdates, getGroup, getIssuer } from '@medledger/core/contracts/anonymity';
import { HttpError } from '../errors.js';
import type { ServerPlugin } from '../server.js';
import type { RequestAuthenticator } from '../auth.js';
import type { AnonymousRelay } from '../../anonymity/relay.js';
import type { AnonymousVerifier } from '../../anonymity/verifier.js';
import type { CredentialIssuer } from '../../anonymity/issuer.js';
import type { GroupManagerService } from '../../anonymity/groups.js';

export interface AnonymityRouteOptions {
  relay: AnonymousRelay;
  verifier: AnonymousVerifier;
  auth: RequestAuthenticator;
  /** Issuing services this node runs (normally its own organization's). */
  issuers?: CredentialIssuer[];
  /** Group manager services this node runs. */
  groups?: GroupManagerService[];
  /** Who may ask to open a signature (default: the manager org's members with role admin or auditor). */
  mayOpen?: (member: MemberEntry, group: GroupManagerService) => boolean;
}

const isAdminOf = (m: MemberEntry, org: string): boolean => m.org === org && m.role === 'admin';

function memberIdOf(b: Record<string, unknown>): string {
  if (typeof b.memberId !== 'string' || !/^[0-9a-f]{64}$/.test(b.memberId))
    throw new HttpError('MALFORMED_REQUEST', 'memberId must be a member id (64 hex digits)');
  return b.memberId;
}

function fromOf(q: unknown): number {
  const f = (q as { from?: string } | undefined)?.from;
  const n = f === undefined ? 0 : Number(f);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new HttpError('MALFORMED_REQUEST', 'from must be a non-negative integer');
  return n;
}

function body(req: FastifyRequest): Record<string, unknown> {
  const b = req.body;
  if (typeof b !== 'object' || b === null || Array.isArray(b))
    throw new HttpError('MALFORMED_REQUEST', 'body must be a JSON object');
  return b as Record<string, unknown>;
}

/**
 * The anonymity routes.
 * @example buildServer(node, { plugins: [anonymityRoutes({ ...createAnonymityServices({ node, nodeKey }), auth })] })
 */
export function anonymityRoutes(o: AnonymityRouteOptions): ServerPlugin {
  const issuers = new Map((o.issuers ?? []).map((i) => [i.org, i]));
  const groups = new Map((o.groups ?? []).map((g) => [g.groupId, g]));
  const mayOpen =
    o.mayOpen ??
    ((m: MemberEntry, g: GroupManagerService) => m.org === g.org && ['admin', 'auditor'].includes(m.role));
  return (root, node) => {
    void root.register(async (app) => {
      const who = (req: FastifyRequest): MemberEntry => o.auth.authenticate(req);
      // Anonymous waits are unauthenticated ones: a few seconds at most (api/wait.ts).
      const waiting = async <T>(req: FastifyRequest, f: (waitMs: number) => Promise<T>): Promise<T> => {
        const wait = o.auth.waitGrant(req);
        try {
          return await f(wait.ms);
        } finally {
          wait.release();
        }
      };
      const issuerOf = (req: FastifyRequest): CredentialIssuer => {
        const { org } = req.params as { org: string };
        const i = issuers.get(org);
        if (!i) throw new HttpError('NOT_FOUND', `this node does not issue credentials of ${org}`);
        return i;
      };
      const groupOf = (req: FastifyRequest): GroupManagerService => {
        const { groupId } = req.params as { groupId: string };
        const g = groups.get(groupId);
        if (!g) throw new HttpError('NOT_GROUP_MANAGER', `this node does not manage group ${groupId}`);
        return g;
      };

      serve(app, API.anonymity.relay, async (req, reply) => {
        const b = body(req);
        const r = await waiting(req, (ms) => o.relay.relay(String(b.type), b.payload, ms));
        return reply.status(r.receipt ? 200 : 202).send(r);
      });

      serve(app, API.anonymity.readChallenge, async (req) =>
        o.verifier.readChallenge(String(body(req).issuer)),
      );

      serve(app, API.anonymity.read, async (req, reply) => {
        const b = body(req);
        const r = await waiting(req, (waitMs) =>
          o.verifier.read({
            challengeId: b.challengeId,
            presentation: b.presentation,
            recordId: b.recordId,
            purpose: b.purpose,
            waitMs,
          }),
        );
        if (r.allow) return r;
        return reply.status(403).send({ ...r, message: `anonymous read denied: ${r.code}` });
      });

      serve(app, API.anonymity.issuer, async (req) => {
        const { org } = req.params;
        const issuer = getIssuer(node.store, org);
        if (!issuer) throw new HttpError('NOT_FOUND', `organization ${org} has no registered issuer key`);
        return { issuer, updates: getAccumulatorUpdates(node.store, org, fromOf(req.query)) };
      });

      // Named routes authenticate first: an unauthenticated caller learns nothing of this node.
      serve(app, API.anonymity.issuanceNonce, async (req) => {
        const member = who(req);
        return { nonce: toB64u(issuerOf(req).nonce(member)) };
      });

      serve(app, API.anonymity.issueCredential, async (req) => {
        const member = who(req);
        const b = body(req);
        let nonce: Uint8Array;
        let request;
        try {
          nonce = fromB64u(String(b.nonce));
          request = issuanceRequestFromJson(b.request);
        } catch (e) {
          throw new HttpError('MALFORMED_REQUEST', (e as Error).message);
        }
        const issuer = issuerOf(req);
        if (member.encryptionKey === undefined)
          throw new HttpError('NO_ENCRYPTION_KEY', 'enroll an encryption key to receive a credential');
        let r;
        try {
          r = await issuer.issue(member, nonce, request);
        } catch (e) {
          if (e instanceof RangeError) throw new HttpError('MALFORMED_REQUEST', e.message);
          throw e;
        }
        // The credential id links the member to its accumulator entry: it goes to the member only.
        const sealed = await sealEnvelope({
          plaintext: canonicalBytes({
            credential: credentialToJson(r.credential),
            witness: toB64u(r.witness),
          }),
          receivers: [{ id: member.id, publicKey: fromB64u(member.encryptionKey) }],
          aad: credentialAad(issuer.org),
        });
        return { sealed: envelopeToJson(sealed), seq: r.seq, txId: r.txId };
      });

      serve(app, API.anonymity.revokeCredential, async (req) => {
        const member = who(req);
        const issuer = issuerOf(req);
        if (!isAdminOf(member, issuer.org))
          throw new HttpError('FORBIDDEN', `only ${issuer.org}'s administrators revoke its credentials`);
        const memberId = memberIdOf(body(req));
        return { memberId, ...(await issuer.revokeMember(memberId)) };
      });

      serve(app, API.anonymity.group, async (req) => {
        const { groupId } = req.params;
        const group = getGroup(node.store, groupId);
        if (!group) throw new HttpError('NOT_FOUND', `no group ${groupId}`);
        const revocations: string[] = [];
        for (let e = fromOf(req.query); e < group.epoch; e++)
          revocations.push(node.stateValue(`anon:grev:${groupId}:${e}`) as string);
        return { group, revocations };
      });

      serve(app, API.anonymity.groupMemberKey, async (req) => {
        const member = who(req);
        const g = groupOf(req);
        return { groupId: g.groupId, ...(await g.issueSealedMemberKey(member)) };
      });

      serve(app, API.anonymity.groupRevoke, async (req) => {
        const member = who(req);
        const g = groupOf(req);
        if (!isAdminOf(member, g.org))
          throw new HttpError('NOT_GROUP_MANAGER', `only ${g.org}'s administrators revoke group members`);
        const memberId = memberIdOf(body(req));
        const receipt = await g.revoke(memberId);
        return { memberId, epoch: g.publicKey.epoch, receipt };
      });

      serve(app, API.anonymity.groupOpen, async (req) => {
        const member = who(req);
        const g = groupOf(req);
        if (!mayOpen(member, g))
          throw new HttpError('NOT_GROUP_MANAGER', 'only the group manager’s auditors open');
        const txId = String(body(req).txId);
        return { txId, memberId: g.open(txId) };
      });

      serve(app, API.anonymity.trialChallenge, async (req) => {
        const { trialId } = req.params;
        return o.verifier.trialChallenge(trialId, String(body(req).issuer));
      });

      serve(app, API.anonymity.trialEnrol, async (req, reply) => {
        const b = body(req);
        const r = await waiting(req, (waitMs) =>
          o.verifier.enrol({ challengeId: b.challengeId, presentation: b.presentation, waitMs }),
        );
        return reply.status(r.receipt ? 200 : 202).send(r);
      });
    });
  };
}
