/**
 * Routes between the consortium's nodes, and for light clients:
 *   GET /v1/checkpoints/:height        the height's checkpoint and the node signatures of it
 *                                      this node holds (public: hashes only)
 *   GET /v1/checkpoints?from=&to=      every checkpoint signature stored for those heights
 *                                      (at most 500), for a peer that syncs
 *   GET /v1/sync/blocks?from=&to=      stored blocks (at most 64), for a peer node that was
 *                                      down or joins late; signed by a consortium node key,
 *                                      since blocks carry DSS records in plaintext
 */
import { API } from '@medledger/client';
import { serve } from '../contract.js';
import type { FastifyInstance } from 'fastify';
import type { MedledgerNode } from '../../node.js';
import type { CheckpointService } from '../../checkpoints/service.js';
import type { RequestAuthenticator } from '../auth.js';
import { HttpError } from '../errors.js';
import type { ServerPlugin } from '../server.js';

const MAX_CHECKPOINT_HEIGHTS = 500;
const MAX_SYNC_BLOCKS = 64;

function rangeOf(q: unknown, max: number, head: number): { from: number; to: number } {
  const { from, to } = (q ?? {}) as { from?: string; to?: string };
  const f = Number(from);
  const t = to === undefined ? f + max - 1 : Number(to);
  if (!Number.isSafeInteger(f) || f < 1 || !Number.isSafeInteger(t) || t < f)
    throw new HttpError('MALFORMED_REQUEST', 'from and to must be heights with 1 <= from <= to');
  return { from: f, to: Math.min(t, f + max - 1, head) };
}

export function consortiumRoutes(checkpoints: CheckpointService, auth: RequestAuthenticator): ServerPlugin {
  return (app: FastifyInstance, node: MedledgerNode) => {
    serve(app, API.ledger.checkpoint, async (req) => {
      const h = Number(req.params.height);
      if (!Number.isSafeInteger(h) || h < 1)
        throw new HttpError('MALFORMED_REQUEST', 'height must be a positive integer');
      const c = checkpoints.checkpointAt(h);
      if (!c) throw new HttpError('NOT_FOUND', `no committed block at height ${h}`);
      return c;
    });

    serve(app, API.ledger.checkpoints, async (req) => {
      const { from, to } = rangeOf(req.query, MAX_CHECKPOINT_HEIGHTS, node.head().height);
      const out = [];
      for (let h = from; h <= to; h++) out.push({ height: h, signatures: checkpoints.store.at(h) });
      return { checkpoints: out };
    });

    serve(app, API.ledger.syncBlocks, async (req) => {
      auth.authenticatePeer(req);
      const { from, to } = rangeOf(req.query, MAX_SYNC_BLOCKS, node.head().height);
      const blocks = [];
      for (let h = from; h <= to; h++) {
        const b = node.getBlock(h);
        if (!b) break;
        blocks.push({ block: b.block, hash: b.hash });
      }
      return { blocks };
    });
  };
}
