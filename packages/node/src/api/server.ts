/**
 * HTTP API (fastify). JSON in, JSON out; every error is `{ code, message }` with the status
 * chosen once by `statusOf`. Routes:
 *   POST /v1/txs              submit one transaction         (?wait=<ms> waits for its receipt)
 *   POST /v1/txs/batch        submit { txs: [...] }          (?wait=<ms>)
 *   GET  /v1/txs/:id          transaction, receipt, inclusion proof, header
 *   GET  /v1/txs/:id/receipt  receipt                        (?wait=<ms>)
 *   GET  /v1/blocks/:height   block with its validity codes
 *   GET  /v1/state/:key       a world-state value
 *   GET  /v1/status           node status
 *   GET  /v1/genesis          the consortium genesis
 */
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { isLedgerError } from '@medledger/core';
import type { MedledgerNode, SubmitResult } from '../node.js';
import { HttpError, statusOf } from './errors.js';

const MAX_WAIT_MS = 60_000;

function waitOf(q: unknown): number {
  const w = (q as { wait?: string } | undefined)?.wait;
  if (w === undefined) return 0;
  const n = Number(w);
  if (!Number.isInteger(n) || n < 0)
    throw new HttpError('MALFORMED_REQUEST', 'wait must be a non-negative integer of milliseconds');
  return Math.min(n, MAX_WAIT_MS);
}

async function withReceipt(node: MedledgerNode, r: SubmitResult, wait: number): Promise<SubmitResult> {
  if (r.status !== 'pending' || wait === 0) return r;
  const receipt = await node.waitForReceipt(r.txId, wait);
  return receipt
    ? { txId: r.txId, status: 'committed', receipt, ...(r.duplicate ? { duplicate: true as const } : {}) }
    : r;
}

/** A feature's routes: registered on the app after the core routes (records, notifications, ...). */
export type ServerPlugin = (app: FastifyInstance, node: MedledgerNode) => void;

export interface BuildServerOptions {
  logger?: boolean;
  plugins?: ServerPlugin[];
}

export function buildServer(node: MedledgerNode, opts: BuildServerOptions = {}): FastifyInstance {
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: 64 * 1024 * 1024,
    forceCloseConnections: true,
  });

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply: FastifyReply) => {
    if (err instanceof HttpError || isLedgerError(err)) {
      const code = (err as { code: string }).code;
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

  app.post('/v1/txs', async (req, reply) => {
    const wait = waitOf(req.query);
    const r = await withReceipt(node, await node.submit(req.body), wait);
    return reply.status(r.status === 'committed' ? 200 : 202).send(r);
  });

  app.post('/v1/txs/batch', async (req) => {
    const wait = waitOf(req.query);
    const body = req.body as { txs?: unknown } | null;
    if (!body || !Array.isArray(body.txs))
      throw new HttpError('MALFORMED_REQUEST', 'body must be { "txs": [ ... ] }');
    if (body.txs.length > 10_000)
      throw new HttpError('MALFORMED_REQUEST', 'at most 10000 transactions per batch');
    const results = await node.submitBatch(body.txs);
    return { results: await Promise.all(results.map((r) => withReceipt(node, r, wait))) };
  });

  app.get('/v1/txs/:id', async (req) => {
    const { id } = req.params as { id: string };
    const t = node.getTxWithProof(id);
    if (!t) throw new HttpError('NOT_FOUND', 'no committed transaction with this id');
    return t;
  });

  app.get('/v1/txs/:id/receipt', async (req) => {
    const { id } = req.params as { id: string };
    const r = await node.waitForReceipt(id, waitOf(req.query));
    if (!r)
      throw new HttpError(
        'NOT_FOUND',
        node.mempool.has(id) ? 'transaction is pending' : 'no committed transaction with this id',
      );
    return r;
  });

  app.get('/v1/blocks/:height', async (req) => {
    const h = Number((req.params as { height: string }).height);
    if (!Number.isSafeInteger(h) || h < 1)
      throw new HttpError('MALFORMED_REQUEST', 'height must be a positive integer');
    const b = node.getBlock(h);
    if (!b) throw new HttpError('NOT_FOUND', `no block at height ${h}`);
    return b;
  });

  app.get('/v1/state/:key', async (req) => {
    const { key } = req.params as { key: string };
    const v = node.stateValue(key);
    if (v === undefined) throw new HttpError('NOT_FOUND', 'no such state key');
    return { key, value: v };
  });

  app.get('/v1/status', async () => node.status());
  app.get('/v1/genesis', async () => node.genesis);
  for (const plugin of opts.plugins ?? []) plugin(app, node);
  return app;
}
