/**
 * HTTP client of a node's pharmacy routes (node/src/api/routes/pharmacy.ts).
 * @example
 * const api = new PharmacyClient(url, { signerId, privateKey });
 * const { receipt } = await api.submitPrescription({ tx, request, salt });
 */
import type { JsonValue } from '@medledger/crypto';
import type { SignedTx } from '@medledger/core';
import type { AlertEntry } from '@medledger/core/contracts/pharmacy';
import { LedgerApi } from '../ledgerApi.js';
import type { Receipt } from '../http.js';

type Json = { [k: string]: JsonValue };

/** What `GET /v1/pharmacy/prescriptions/:rxId` answers: the ledger's view, no content. */
export interface PrescriptionStatus {
  rxId: string;
  prescriberOrg: string;
  pharmacy: string;
  status: 'active' | 'cancelled' | 'completed';
  controlled: boolean;
  quantity: number;
  refills: number;
  authorized: number;
  dispensed: number;
  remaining: number;
  fills: number;
  expiresAt: number;
  commitment: string;
}

export class PharmacyClient extends LedgerApi {
  /** Submits `rx.write` through the prescriber's node, which validates the MedicationRequest first. */
  submitPrescription(p: {
    tx: SignedTx;
    request: Json;
    salt: string;
  }): Promise<{ txId: string; receipt: Receipt }> {
    return this.post('/v1/pharmacy/prescriptions', { tx: p.tx, resource: p.request, salt: p.salt });
  }

  /** The ledger's view of a prescription (signed request: members only). */
  prescription(rxId: string): Promise<PrescriptionStatus> {
    return this.get(`/v1/pharmacy/prescriptions/${encodeURIComponent(rxId)}`, true);
  }

  /** The prescription's content, for a pharmacist of its pharmacy (opened by the pharmacy's node). */
  content(rxId: string): Promise<{ rxId: string; request: Json; salt: string; commitment: string }> {
    return this.get(`/v1/pharmacy/prescriptions/${encodeURIComponent(rxId)}/content`, true);
  }

  /** Submits `rx.dispense`; answers with the receipt and, if committed OK, the MedicationDispense. */
  dispense(tx: SignedTx): Promise<{ txId: string; receipt: Receipt; resource?: Json }> {
    return this.post('/v1/pharmacy/dispenses', { tx });
  }

  /** The FHIR MedicationDispense of a dispense (signed request). */
  medicationDispense(dispenseId: string): Promise<Json> {
    return this.get(`/v1/pharmacy/dispenses/${encodeURIComponent(dispenseId)}`, true);
  }

  /** The alerts raised on the ledger (signed request of a regulator member); sealed. */
  alerts(): Promise<{ alerts: AlertEntry[] }> {
    return this.get('/v1/pharmacy/alerts', true);
  }

  /** Submits any pharmacy transaction (`rx.pharmacy`, `rx.cancel`) and waits for its receipt. */
  submit(tx: SignedTx, waitMs = 30_000): Promise<Receipt> {
    return this.ledger.submitAndWait(tx, waitMs);
  }
}
