/**
 * Record-sharing routes (issue 3 §2-§9). Every route needs a signed request
 * (`RequestAuthenticator`, client/auth.ts); bodies are JSON.
 *   POST /v1/spv/records                 doctor of this org uploads {recordId, patient, resource, salt}
 *                                        → 201 SpvUploadResult (commitment for `record.spv`)
 *   GET  /v1/access/:txId/record         requester of an allowed SPV `access.request` → ServedSpvRecord
 *   POST /v1/access/records              {txIds} (≤ 256, distinct) of the requester's `access.request`s
 *                                        → {results, envelope}: per request its meta or {error}; the
 *                                        served records sealed together (records/serve.ts)
 *   PUT  /v1/stt/release-keys/:recordId  STT sender of this org in the patient's care team keeps {key, patient} → 201 {recordId, pendingUntil}
 *   GET  /v1/access/:txId/release        receiver with an allowed STT `access.request` → ServedReleaseKey
 *   GET  /v1/dss/records/:recordId       any member (?purpose=treatment) → DssReadResult, logged on the ledger
 *   POST /v1/records/:recordId/erase     the patient: {tx} = signed `record.erase` (?wait=<ms>) →
 *                                        {txId, receipt?}; DSS: 422 ERASURE_NOT_POSSIBLE, nothing submitted
 *   GET  /v1/patients/:id/access-log     the patient (?after=<seq>) → {entries}
 *   GET  /v1/patients/:id/records        the patient → {records}
 *   GET  /v1/patients/:id/consents       the patient → {grants} (oldest first, revoked ones too)
 *   PUT  /v1/patients/:id/study-keys/:grantId  the patient: {studyKey} for a grant with linkage → 201
 *   GET  /v1/records?subject=<pseudonym> any member → {records} (the episode's record ids and meta),
 *                                        each record listed logged as read on the ledger
 */
import { API } from '@medledger/client';
import { serve } from '../contract.js';
import type { FastifyRequest } from 'fastify';
import type { MemberEntry } from '@medledger/core';
import type { RequestAuthenticator } from '../auth.js';
import { HttpError } from '../errors.js';
import type { ServerPlugin } from '../server.js';
import type { RecordServices } from '../../records/services.js';

const TX_ID = /^[0-9a-f]{64}$/;

function txIdParam(req: FastifyRequest): string {
  const { txId } = req.params as { txId: string };
  if (!TX_ID.test(txId)) throw new HttpError('MALFORMED_REQUEST', 'txId must be 64 hex characters');
  return txId;
}

function nonNegative(v: string | undefined, name: string, max: number): number {
  if (v === undefined) return 0;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new HttpError('MALFORMED_REQUEST', `${name} must be a non-negative integer`);
  return Math.min(n, max);
}

/**
 * The record-sharing routes as a server plugin. It also hands the server the DSS read audit
 * (`services.auditRead`): DSS records served by `GET /v1/blocks/:height` and `GET /v1/txs/:id`
 * are logged on the ledger like those served here; and the read log (`services.logReads`) of
 * the patient data that state values and the confidentiality routes serve.
 * @example buildServer(node, { plugins: [recordRoutes(services, new RequestAuthenticator(node))] })
 */
export function recordRoutes(services: RecordServices, auth: RequestAuthenticator): ServerPlugin {
  return (root) => {
    void root.register(async (app) => {
      // Signed requests cover the exact body bytes: the server's parser keeps them (api/body.ts).
      const who = (req: FastifyRequest): MemberEntry => auth.authenticate(req);

      serve(app, API.records.uploadSpv, async (req, reply) =>
        reply.status(201).send(await services.uploadSpv(who(req), req.body)),
      );
      serve(app, API.records.spvRecord, async (req) => services.serveSpv(who(req), txIdParam(req)));
      serve(app, API.records.spvRecords, async (req) => services.serveSpvMany(who(req), req.body.txIds));
      serve(app, API.records.putReleaseKey, async (req, reply) => {
        const { recordId } = req.params;
        return reply.status(201).send(services.putReleaseKey(who(req), recordId, req.body));
      });
      serve(app, API.records.releaseKey, async (req) => services.serveRelease(who(req), txIdParam(req)));
      serve(app, API.records.readDss, async (req) => {
        const member = who(req);
        const { recordId } = req.params;
        const { purpose } = req.query;
        return services.readDss(member, recordId, purpose ?? 'treatment');
      });
      serve(app, API.records.erase, async (req) => {
        const member = who(req);
        const { recordId } = req.params;
        const { wait } = req.query;
        const body = req.body as { tx?: unknown } | undefined;
        return services.erase(member, recordId, body?.tx, nonNegative(wait, 'wait', 60_000));
      });
      serve(app, API.records.accessLog, async (req) => {
        const member = who(req);
        const { id } = req.params;
        const { after } = req.query;
        return {
          entries: await services.patientLog(
            member,
            id,
            nonNegative(after, 'after', Number.MAX_SAFE_INTEGER),
          ),
        };
      });
      serve(app, API.records.patientRecords, async (req) => {
        const member = who(req);
        const { id } = req.params;
        return { records: await services.patientRecords(member, id) };
      });
      serve(app, API.records.patientConsents, async (req) => {
        const member = who(req);
        const { id } = req.params;
        return { grants: services.patientConsents(member, id) as unknown as { [k: string]: unknown }[] };
      });
      serve(app, API.records.putStudyKey, async (req, reply) => {
        const member = who(req);
        const { id, grantId } = req.params;
        if (member.id !== id) throw new HttpError('FORBIDDEN', 'only the patient releases their study keys');
        return reply.status(201).send(services.putStudyKey(member, grantId, req.body));
      });
      serve(app, API.records.bySubject, async (req) => {
        const member = who(req);
        const { subject } = req.query;
        if (subject === undefined) throw new HttpError('MALFORMED_REQUEST', 'subject is required');
        return { records: await services.recordsBySubject(member, subject) };
      });
    });
    return {
      readAudit: (reader, served) => services.auditRead(reader, served),
      readLog: (reader, reads) => services.logReads(reader, reads),
    };
  };
}
