/**
 * Routes of drug track and trace (a ServerPlugin):
 *   GET /v1/supply/packs/:gtin/:serial   public → PackVerification (authentic, custody path,
 *                                        recalled / expired / dispensed, flags)
 *   GET /v1/supply/recalls/:org          signed request of a member of :org → {org, recalls}
 * Writes are ordinary transactions (`POST /v1/txs`): every supply event is signed by the
 * organization in custody and checked by the contracts.
 */
import { API } from '@medledger/client';
import { serve } from '../contract.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { LedgerError } from '@medledger/core';
import { getRecalls } from '@medledger/core/contracts/supply';
import type { RequestAuthenticator } from '../auth.js';
import type { ServerPlugin } from '../server.js';
import type { MedledgerNode } from '../../node.js';
import type { SupplyIndex } from '../../supply/supplyIndex.js';
import { verifyPack } from '../../supply/verifyPack.js';

export interface SupplyRoutesOptions {
  auth: RequestAuthenticator;
  index: SupplyIndex;
  now?: () => number;
}

const param = (req: FastifyRequest, name: string): string => (req.params as Record<string, string>)[name]!;

export function supplyRoutes(o: SupplyRoutesOptions): ServerPlugin {
  return (app: FastifyInstance, node: MedledgerNode) => {
    serve(app, API.supply.verifyPack, async (req) => {
      await o.index.idle();
      return verifyPack(node, o.index, param(req, 'gtin'), param(req, 'serial'), (o.now ?? Date.now)());
    });
    serve(app, API.supply.recalls, async (req) => {
      const member = o.auth.authenticate(req);
      const org = param(req, 'org');
      if (member.org !== org)
        throw new LedgerError({ code: 'FORBIDDEN' }, `recall notices of ${org} are for its members`);
      return { org, recalls: getRecalls(node.store, org) };
    });
  };
}
