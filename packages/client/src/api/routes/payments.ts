/** Claims, adjudications and payments (node/src/api/routes/payments.ts). */
import { route } from '../route.js';
import { Obj, Params, Text, TxBody, TxOutcome } from '../schema.js';

const Id = Params({ id: Text });
const write = (path: string, what: string) =>
  route({
    method: 'POST',
    path,
    auth: 'tx',
    summary: `submit a signed ${what}; answers its receipt and, if it committed OK, its FHIR form`,
    body: TxBody,
    validateBody: false,
    response: { 200: TxOutcome },
  });
const read = (path: string, summary: string) =>
  route({ method: 'GET', path, auth: 'member', summary, params: Id, response: { 200: Obj } });

export const payments = {
  claim: write('/v1/payments/claims', '`pay.claim`'),
  adjudicate: write('/v1/payments/adjudications', '`pay.adjudicate`'),
  pay: write('/v1/payments/payments', '`pay.payment` or `pay.patient-payment`'),
  getClaim: read('/v1/payments/claims/:id', 'a claim (FHIR Claim), to its patient, provider or payer'),
  claimResponse: read('/v1/payments/claims/:id/response', "a claim's ClaimResponse"),
  statement: read('/v1/payments/claims/:id/statement', "a claim's ExplanationOfBenefit"),
  payment: read('/v1/payments/payments/:id', 'a payment (FHIR PaymentReconciliation)'),
} as const;
