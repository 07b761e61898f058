/**
 * HTTP API (fastify). JSON in, JSON out; every error is `{ code, message }` with the status
 * chosen once by `statusOf`. Routes (member = a signed request, `RequestAuthenticator`):
 *   POST /v1/txs              submit one transaction         (?wait=<ms> waits for its receipt)
 *   POST /v1/txs/batch        submit { txs: [...] }          (?wait=<ms>)
 *   GET  /v1/txs/:id          member: transaction, receipt, inclusion proof, header
 *   GET  /v1/txs/:id/receipt  receipt                        (?wait=<ms>)
 *   GET  /v1/blocks/:height   member: block with its validity codes
 *   GET  /v1/state/:key       member: a world-state value (logged if it names a patient)
 *   GET  /v1/status           node status
 *   GET  /v1/genesis          the consortium genesis
 *
 * Threat model: blocks and transactions carry DSS records in plaintext (survey §6.1: readable
 * by every authenticated member), so the three ledger reads need a signed request from an
 * enrolled, unrevoked member, and every block or transaction served is handed to the
 * `readAudit` hooks, which log the DSS records in it on the ledger (issue 3 §7; records/
 * services.ts implements one). A world-state value holds record meta, consents, care teams
 * and the like, never record contents; one that names a patient is logged on the ledger as a
 * read of that patient's data (`readLog`, records/stateReads.ts). An invalid `record.dss`
 * transaction made no record and cannot be logged: its payload is served redacted
 * (redact.ts). Submissions are authenticated by their transaction
 * signatures; receipts, status and genesis reveal no record. Whoever holds the node's
 * database file reads everything: that is outside this API.
 */
import { API } from '@medledger/client';
import { installContract, serve } from './contract.js';
import { openApiRoutes } from './routes/openapi.js';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { isLedgerError, type MemberEntry, type SignedTx } from '@medledger/core';
import type { JsonValue } from '@medledger/crypto';
import type { MedledgerNode, SubmitResult } from '../node.js';
import { RequestAuthenticator } from './auth.js';
import type { CheckpointService } from '../checkpoints/service.js';
import { HttpError, statusOf } from './errors.js';
import type { ServedTxs } from '../records/ledgerReadAudit.js';
import type { HttpsOptions } from '../transport/serverTransport.js';
import { BODY_LIMITS, installBodyParsers } from './body.js';
import { redactInvalid } from './redact.js';
import { patientReadsOfState, type PatientDataRead } from '../records/stateReads.js';

export type { PatientDataRead } from '../records/stateReads.js';

async function withReceipt(node: MedledgerNode, r: SubmitResult, wait: number): Promise<SubmitResult> {
  if (r.status !== 'pending' || wait === 0) return r;
  const receipt = await node.waitForReceipt(r.txId, wait);
  return receipt
    ? { txId: r.txId, status: 'committed', receipt, ...(r.duplicate ? { duplicate: true as const } : {}) }
    : r;
}

/** `POST /v1/txs/batch`: submits every transaction, then waits up to `wait` ms for their receipts. */
async function submitBatch(
  node: MedledgerNode,
  input: unknown,
  wait: number,
): Promise<{ results: SubmitResult[] }> {
  const body = input as { txs?: unknown } | null;
  if (!body || !Array.isArray(body.txs))
    throw new HttpError('MALFORMED_REQUEST', 'body must be { "txs": [ ... ] }');
  if (body.txs.length > 10_000)
    throw new HttpError('MALFORMED_REQUEST', 'at most 10000 transactions per batch');
  const results = await node.submitBatch(body.txs);
  if (wait === 0) return { results };
  const pending = results.flatMap((r, i) => (r.status === 'pending' ? [[i, r.txId] as const] : []));
  const receipts = await node.waitForReceipts(
    pending.map(([, id]) => id),
    wait,
  );
  pending.forEach(([i, txId], k) => {
    const receipt = receipts[k];
    const r = results[i]!;
    if (receipt)
      results[i] = {
        txId,
        status: 'committed',
        receipt,
        ...('duplicate' in r && r.duplicate ? { duplicate: true as const } : {}),
      };
  });
  return { results };
}

export type { ServedTxs };

/**
 * Called with the authenticated member each time `GET /v1/blocks/:height` or
 * `GET /v1/txs/:id` is about to serve, before the response is sent. It must not block; if it
 * throws, the read fails (500) and nothing is served. A server with no audit at all refuses
 * (403 FORBIDDEN) to serve a block or transaction that holds a `record.dss`.
 */
export type ReadAudit = (reader: MemberEntry, served: ServedTxs) => void;

/**
 * Logs reads of patient data on the ledger, called before the response is sent (the entry
 * must be durable when it returns, or when the promise it returns resolves: await it). If it
 * throws or rejects, nothing is served.
 */
export type ReadLog = (reader: MemberEntry, reads: readonly PatientDataRead[]) => void | Promise<void>;

/** What a plugin may hand back: hooks that join `BuildServerOptions.readAudit` and `readLog`. */
export interface ServerPluginHooks {
  readAudit?: ReadAudit;
  readLog?: ReadLog;
}

/** What the server hands its plugins. */
export interface ServerPluginContext {
  /**
   * Logs reads of patient data through every registered {@link ReadLog}; a server with none
   * refuses (403 FORBIDDEN) to serve such a read. Await it before answering.
   */
  logReads: (reader: MemberEntry, reads: readonly PatientDataRead[]) => Promise<void>;
}

/**
 * A feature's routes: registered on the app after the core routes (records, notifications,
 * ...). It may return hooks (e.g. the record routes return the DSS read audit and the read
 * log, so a server that serves record routes also logs the DSS records its ledger routes
 * serve and the patient data its state and confidentiality routes serve).
 */
export type ServerPlugin = (
  app: FastifyInstance,
  node: MedledgerNode,
  ctx: ServerPluginContext,
) => void | ServerPluginHooks;

export interface BuildServerOptions {
  logger?: boolean;
  plugins?: ServerPlugin[];
  /** Verifies the signed ledger reads (default: a new one; share it to share the replay cache). */
  auth?: RequestAuthenticator;
  /** Audits of served blocks and transactions, called in addition to the plugins' ones. */
  readAudit?: ReadAudit | ReadAudit[];
  /** Logs of reads of patient data (state values, confidentiality routes), with the plugins' ones. */
  readLog?: ReadLog | ReadLog[];
  /**
   * The node's checkpoints: `GET /v1/txs/:id` then carries the block's checkpoint with the
   * node signatures of it and the transaction's validity-code proof (light clients), and
   * `GET /v1/status` the final height.
   */
  checkpoints?: CheckpointService;
  /** More status fields (e.g. whether this node is the block cutter). */
  status?: () => Record<string, JsonValue>;
  /** Serve over TLS with this key and chain (transport/serverTransport.ts); plain HTTP without. */
  https?: HttpsOptions;
  /**
   * Check every answer against the API table before it is sent (default true): an answer
   * that does not match is refused as 500 RESPONSE_INVALID (api/contract.ts).
   */
  validateResponses?: boolean;
}

const ROUTES = new WeakMap<FastifyInstance, { method: string; url: string }[]>();

/**
 * Every route a server built by {@link buildServer} registered, plugins' included (HEAD
 * routes fastify adds for GET are left out): what the authorization-matrix test iterates, so
 * that a new route without a row in it fails.
 */
export function routesOf(app: FastifyInstance): readonly { method: string; url: string }[] {
  return ROUTES.get(app) ?? [];
}

/**
 * The node's HTTP API.
 * @example
 * const app = buildServer(node, { plugins: [recordRoutes(services, auth)], auth });
 * await app.listen({ host: '127.0.0.1', port: 7545 });
 */
export function buildServer(node: MedledgerNode, opts: BuildServerOptions = {}): FastifyInstance {
  const auth = opts.auth ?? new RequestAuthenticator(node);
  const ownAuth = opts.auth === undefined;
  const audits: ReadAudit[] = [opts.readAudit ?? []].flat();
  const member = (req: FastifyRequest): MemberEntry => auth.authenticate(req);
  const audit = (reader: MemberEntry, served: ServedTxs): void => {
    // Fail closed: a server that logs no ledger read does not serve DSS records at all.
    if (
      audits.length === 0 &&
      served.txs.some((t, i) => t.body.type === 'record.dss' && served.codes[i] === 'OK')
    )
      throw new HttpError(
        'FORBIDDEN',
        'this server logs no ledger reads, so it does not serve DSS records (read them at /v1/dss/records/:recordId)',
      );
    for (const a of audits) a(reader, served);
  };
  const readLogs: ReadLog[] = [opts.readLog ?? []].flat();
  const logReads = async (reader: MemberEntry, reads: readonly PatientDataRead[]): Promise<void> => {
    if (reads.length === 0) return;
    if (readLogs.length === 0)
      throw new HttpError(
        'FORBIDDEN',
        'this server logs no reads of patient data, so it does not serve them',
      );
    await Promise.all(readLogs.map((l) => l(reader, reads)));
  };
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: BODY_LIMITS.default,
    forceCloseConnections: true,
    // Validate, never repair: nothing coerced, defaulted or removed (a signed body is kept as sent).
    ajv: {
      customOptions: { coerceTypes: false, useDefaults: false, removeAdditional: false, allErrors: false },
    },
    ...(opts.https ? { https: opts.https } : {}),
  }) as unknown as FastifyInstance;

  installBodyParsers(app);
  installContract(app, {
    auth,
    ...(opts.validateResponses === undefined ? {} : { validateResponses: opts.validateResponses }),
  });
  const routes: { method: string; url: string }[] = [];
  ROUTES.set(app, routes);
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) if (method !== 'HEAD') routes.push({ method, url: r.url });
  });
  if (ownAuth) app.addHook('onClose', (_app, done) => (auth.close(), done()));
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply: FastifyReply) => {
    if (err instanceof HttpError || isLedgerError(err)) {
      const code = err.code;
      return reply.status(statusOf(code)).send({ code, message: err.message });
    }
    if (err.statusCode && err.statusCode < 500) {
      // fastify's own errors: bad JSON, body too large, wrong content type
      return reply.status(err.statusCode).send({ code: 'MALFORMED_REQUEST', message: err.message });
    }
    return reply.status(500).send({ code: 'INTERNAL', message: 'internal error' });
  });
  app.setNotFoundHandler((_req, reply) =>
    reply.status(404).send({ code: 'NOT_FOUND', message: 'no such route' }),
  );

  serve(app, API.ledger.submitTx, async (req, reply) => {
    const wait = auth.waitGrant(req);
    try {
      const r = await withReceipt(node, await node.submit(req.body), wait.ms);
      return await reply.status(r.status === 'committed' ? 200 : 202).send(r);
    } finally {
      wait.release();
    }
  });

  serve(app, API.ledger.submitBatch, async (req) => {
    const grant = auth.waitGrant(req);
    try {
      return await submitBatch(node, req.body, grant.ms);
    } finally {
      grant.release();
    }
  });

  serve(app, API.ledger.getTx, async (req) => {
    const reader = member(req);
    const { id } = req.params;
    const t = node.getTxWithProof(id);
    if (!t) throw new HttpError('NOT_FOUND', 'no committed transaction with this id');
    const [tx] = redactInvalid([t.tx], [t.receipt.code]) as [SignedTx];
    audit(reader, { route: 'tx', txs: [tx], codes: [t.receipt.code] });
    const cps = opts.checkpoints;
    if (!cps) return { ...t, tx };
    // ?final=<ms>: wait up to that long for a quorum of nodes to have signed the block.
    const waitFinal = auth.waits.grant(req, true, 'final').ms;
    if (waitFinal > 0 && cps.finalHeight < t.receipt.height) await cps.waitFinal(t.receipt.height, waitFinal);
    const checkpoint = cps.checkpointAt(t.receipt.height);
    if (!checkpoint) return { ...t, tx };
    const codeProof = node.getCodeProof(t.receipt.height, t.receipt.index);
    return { ...t, tx, checkpoint, codeProof };
  });

  serve(app, API.ledger.getReceipt, async (req) => {
    const { id } = req.params;
    const wait = auth.waitGrant(req);
    const r = await node.waitForReceipt(id, wait.ms).finally(wait.release);
    if (!r)
      throw new HttpError(
        'NOT_FOUND',
        node.mempool.has(id) ? 'transaction is pending' : 'no committed transaction with this id',
      );
    return r;
  });

  serve(app, API.ledger.getBlock, async (req) => {
    const reader = member(req);
    const h = Number(req.params.height);
    if (!Number.isSafeInteger(h) || h < 1)
      throw new HttpError('MALFORMED_REQUEST', 'height must be a positive integer');
    const b = node.getBlock(h);
    if (!b) throw new HttpError('NOT_FOUND', `no block at height ${h}`);
    const txs = redactInvalid(b.block.txs, b.codes);
    audit(reader, { route: 'block', txs, codes: b.codes });
    return { ...b, block: { ...b.block, txs } };
  });

  serve(app, API.ledger.getState, async (req) => {
    const reader = member(req);
    const { key } = req.params;
    const v = node.stateValue(key);
    if (v === undefined) throw new HttpError('NOT_FOUND', 'no such state key');
    await logReads(reader, patientReadsOfState(node.store, key, v));
    return { key, value: v };
  });

  serve(app, API.ledger.status, async () => ({
    ...node.status(),
    ...(opts.checkpoints ? { finalHeight: opts.checkpoints.finalHeight } : {}),
    ...(opts.status?.() ?? {}),
    unauthenticatedWaits: auth.waits.stats(),
  }));
  serve(app, API.ledger.genesis, async () => node.genesis);
  openApiRoutes(app);
  for (const plugin of opts.plugins ?? []) {
    const hooks = plugin(app, node, { logReads });
    if (hooks?.readAudit) audits.push(hooks.readAudit);
    if (hooks?.readLog) readLogs.push(hooks.readLog);
  }
  return app;
}
