/**
 * Routes of the confidentiality flows (a ServerPlugin). Everything they serve is on the ledger
 * already, except the attribute keys, which go only to the authenticated member, sealed. The
 * routes that serve a patient's data need a signed request from an enrolled, unrevoked member
 * and log the read on the ledger (the server's read log, `ServerPluginContext.logReads`)
 * before they answer:
 *   GET /v1/confidentiality/abe/keys                 member: the member's attribute keys
 *                                                    from this node's organization authority
 *   GET /v1/confidentiality/abe/authorities/:org     public: an authority's registered public key
 *   GET /v1/confidentiality/emergency/requests/:id   member, logged: an emergency request
 *                                                    (decision, cfrags)
 *   GET /v1/confidentiality/he/claims/:id            member, logged: a claim (aggregate, sealed total)
 *   GET /v1/confidentiality/peks/:patient            member, logged: every keyword index of a
 *                                                    patient's records, in one response: the doctor
 *                                                    tests them on his side, so the node learns
 *                                                    which patient was searched, not the keyword or
 *                                                    the matches
 * No route decrypts anything: the node holds no key that opens a record or an item.
 */
import { API } from '@medledger/client';
import { serve } from '../contract.js';
import type { FastifyInstance } from 'fastify';
import { patientIndexes } from '@medledger/client';
import { ckeys, type EmergencyRequest, type HeClaim } from '@medledger/core/contracts/confidentiality';
import type { LedgerView } from '../../ledgerView.js';
import { RequestAuthenticator } from '../auth.js';
import { HttpError } from '../errors.js';
import type { ServerPlugin, ServerPluginContext } from '../server.js';
import type { AbeAuthorityService } from '../../confidentiality/abeAuthority.js';
import { nodeLedgerSource } from '../../confidentiality/source.js';

export interface ConfidentialityRoutesOptions {
  /** This organization's ABE authority, if it issues attribute keys through this node. */
  abe?: AbeAuthorityService;
  now?: () => number;
  /** Verifies signed requests (default: a new one; share the server's to share its replay memory). */
  auth?: RequestAuthenticator;
}

const HEX64 = /^[0-9a-f]{64}$/;

export function confidentialityRoutes(o: ConfidentialityRoutesOptions = {}): ServerPlugin {
  return (app: FastifyInstance, node: LedgerView, { logReads }: ServerPluginContext) => {
    const auth = o.auth ?? new RequestAuthenticator(node, o.now);
    const state = (key: string, what: string): unknown => {
      const v = node.stateValue(key);
      if (v === undefined) throw new HttpError('NOT_FOUND', `no ${what}`);
      return v;
    };

    serve(app, API.confidentiality.abeKeys, async (req) => {
      const member = auth.authenticate(req);
      if (!o.abe) throw new HttpError('NOT_FOUND', 'this node issues no attribute keys');
      if (o.abe.attributesOf(member).length === 0)
        throw new HttpError('FORBIDDEN', `${o.abe.org} attests no attribute for this member`);
      if (member.encryptionKey === undefined)
        throw new HttpError('FORBIDDEN', 'enroll an encryption key to receive attribute keys');
      return { org: o.abe.org, ...(await o.abe.issue(member)) };
    });

    serve(app, API.confidentiality.abeAuthority, async (req) => {
      const { org } = req.params;
      return state(ckeys.abeAuthority(org), `ABE authority ${org}`);
    });

    serve(app, API.confidentiality.emergencyRequest, async (req) => {
      const member = auth.authenticate(req);
      const { id } = req.params;
      if (!HEX64.test(id)) throw new HttpError('MALFORMED_REQUEST', 'a request id is a transaction id');
      const r = state(ckeys.request(id), 'emergency request with this id') as EmergencyRequest;
      await logReads(member, [{ patient: r.patient, ref: id, channel: 'emergency' }]);
      return r;
    });

    serve(app, API.confidentiality.heClaim, async (req) => {
      const member = auth.authenticate(req);
      const { id } = req.params;
      const c = state(ckeys.claim(id), `claim ${id}`) as HeClaim;
      await logReads(member, [{ patient: c.patient, ref: c.claimId, channel: 'he-claim' }]);
      return c;
    });

    serve(app, API.confidentiality.peks, async (req) => {
      const member = auth.authenticate(req);
      const { patient } = req.params;
      if (!HEX64.test(patient)) throw new HttpError('MALFORMED_REQUEST', 'patient must be a member id');
      const records = await patientIndexes(nodeLedgerSource(node), patient);
      if (records.length > 0) await logReads(member, [{ patient, ref: 'peks', channel: 'peks' }]);
      return { patient, records };
    });
  };
}
