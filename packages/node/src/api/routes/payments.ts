/**
 * Routes of payments (a ServerPlugin). Reads are signed requests of the claim's patient, or of
 * a member of its provider or payer; writes carry a signed transaction and answer with its
 * receipt and, if it committed OK, its FHIR form:
 *   POST /v1/payments/claims                 {tx: pay.claim} → {txId, receipt, resource?: Claim}
 *   POST /v1/payments/adjudications          {tx: pay.adjudicate} → {..., resource?: ClaimResponse}
 *   POST /v1/payments/payments               {tx: pay.payment | pay.patient-payment}
 *                                            → {..., resource?: PaymentReconciliation (the payer's)}
 *   GET  /v1/payments/claims/:id             → Claim
 *   GET  /v1/payments/claims/:id/response    → ClaimResponse
 *   GET  /v1/payments/claims/:id/statement   → ExplanationOfBenefit (the statement, the same for all three)
 *   GET  /v1/payments/payments/:id           → PaymentReconciliation
 * Coverage, disputes and their resolution are ordinary transactions (`POST /v1/txs`).
 */
import { API } from '@medledger/client';
import { serve } from '../contract.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RequestAuthenticator } from '../auth.js';
import type { ServerPlugin } from '../server.js';
import type { MedledgerNode } from '../../node.js';
import { PaymentsService } from '../../payments/paymentsService.js';

const param = (req: FastifyRequest, name: string): string => (req.params as Record<string, string>)[name]!;

export function paymentsRoutes(o: { auth: RequestAuthenticator }): ServerPlugin {
  return (app: FastifyInstance, node: MedledgerNode) => {
    const s = new PaymentsService(node);
    const who = (req: FastifyRequest) => o.auth.authenticate(req);
    serve(app, API.payments.claim, async (req) => s.write('claims', req.body));
    serve(app, API.payments.adjudicate, async (req) => s.write('adjudications', req.body));
    serve(app, API.payments.pay, async (req) => s.write('payments', req.body));
    serve(app, API.payments.getClaim, async (req) => s.view(who(req), 'Claim', param(req, 'id')));
    serve(app, API.payments.claimResponse, async (req) =>
      s.view(who(req), 'ClaimResponse', param(req, 'id')),
    );
    serve(app, API.payments.statement, async (req) =>
      s.view(who(req), 'ExplanationOfBenefit', param(req, 'id')),
    );
    serve(app, API.payments.payment, async (req) => s.payment(who(req), param(req, 'id')));
  };
}
