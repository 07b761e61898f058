/**
 * Routes of electronic prescriptions (a ServerPlugin). Reads are signed requests (client/auth.ts):
 *   POST /v1/pharmacy/prescriptions           {tx: rx.write, resource: MedicationRequest, salt}: validated,
 *                                             submitted, answered with {txId, receipt}
 *   GET  /v1/pharmacy/prescriptions/:rxId     member → PrescriptionStatus (what remains; no content)
 *   GET  /v1/pharmacy/prescriptions/:rxId/content
 *                                             pharmacist of the prescription's pharmacy, if this node
 *                                             runs that pharmacy's service → {request, salt, commitment}
 *   POST /v1/pharmacy/dispenses               {tx: rx.dispense} → {txId, receipt, resource?: MedicationDispense}
 *   GET  /v1/pharmacy/dispenses/:id           member → MedicationDispense
 *   GET  /v1/pharmacy/alerts                  member of the regulator running here → {alerts} (sealed)
 */
import { API } from '@medledger/client';
import { serve } from '../contract.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { LedgerError, type MemberEntry } from '@medledger/core';
import type { RequestAuthenticator } from '../auth.js';
import type { ServerPlugin } from '../server.js';
import type { MedledgerNode } from '../../node.js';
import type { PharmacyService } from '../../pharmacy/pharmacyService.js';
import type { RegulatorService } from '../../pharmacy/regulatorService.js';
import { submitPrescription } from '../../pharmacy/submitPrescription.js';
import { medicationDispense, prescriptionStatus } from '../../pharmacy/views.js';
import { parseDomainTx, submitAndWait } from '../../domainTx.js';

export interface PharmacyRoutesOptions {
  auth: RequestAuthenticator;
  /** The pharmacies whose prescriptions this node opens (one in a deployment: its own). */
  pharmacies?: PharmacyService[];
  /** The regulator service, if this is the regulator's node. */
  regulator?: RegulatorService;
}

const param = (req: FastifyRequest, name: string): string => (req.params as Record<string, string>)[name]!;

export function pharmacyRoutes(o: PharmacyRoutesOptions): ServerPlugin {
  return (app: FastifyInstance, node: MedledgerNode) => {
    const who = (req: FastifyRequest): MemberEntry => o.auth.authenticate(req);

    serve(app, API.pharmacy.prescribe, async (req) => submitPrescription(node, req.body));

    serve(app, API.pharmacy.prescription, async (req) => {
      who(req);
      return prescriptionStatus(node, param(req, 'rxId'));
    });

    serve(app, API.pharmacy.prescriptionContent, async (req) => {
      const member = who(req);
      const service = o.pharmacies?.find((p) => p.org === member.org);
      if (!service)
        throw new LedgerError({ code: 'FORBIDDEN' }, `this node opens no prescriptions for ${member.org}`);
      return service.content(member, param(req, 'rxId'));
    });

    serve(app, API.pharmacy.dispense, async (req) => {
      const tx = parseDomainTx((req.body as { tx?: unknown } | null)?.tx, ['rx.dispense']);
      const out = await submitAndWait(node, tx);
      if (out.receipt.code !== 'OK') return out;
      return { ...out, resource: medicationDispense(node, tx.body.payload.dispenseId as string) };
    });

    serve(app, API.pharmacy.dispensed, async (req) => {
      who(req);
      return medicationDispense(node, param(req, 'id'));
    });

    serve(app, API.pharmacy.alerts, async (req) => {
      const member = who(req);
      if (!o.regulator || member.org !== o.regulator.org)
        throw new LedgerError(
          { code: 'FORBIDDEN' },
          "alerts are listed on the regulator's node, to its members",
        );
      return { alerts: o.regulator.alerts() };
    });
  };
}
