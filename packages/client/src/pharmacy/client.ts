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
import { API } from '../api/index.js';
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
    return this.call(API.pharmacy.prescribe, {
      body: { tx: p.tx, resource: p.request, salt: p.salt },
    }) as Promise<{
      txId: string;
      receipt: Receipt;
    }>;
  }

  /** The ledger's view of a prescription (signed request: members only). */
  prescription(rxId: string): Promise<PrescriptionStatus> {
    return this.call(API.pharmacy.prescription, { params: { rxId } }) as Promise<PrescriptionStatus>;
  }

  /** The prescription's content, for a pharmacist of its pharmacy (opened by the pharmacy's node). */
  content(rxId: string): Promise<{ rxId: string; request: Json; salt: string; commitment: string }> {
    return this.call(API.pharmacy.prescriptionContent, { params: { rxId } }) as Promise<{
      rxId: string;
      request: Json;
      salt: string;
      commitment: string;
    }>;
  }

  /** Submits `rx.dispense`; answers with the receipt and, if committed OK, the MedicationDispense. */
  dispense(tx: SignedTx): Promise<{ txId: string; receipt: Receipt; resource?: Json }> {
    return this.call(API.pharmacy.dispense, { body: { tx } }) as Promise<{
      txId: string;
      receipt: Receipt;
      resource?: Json;
    }>;
  }

  /** The FHIR MedicationDispense of a dispense (signed request). */
  medicationDispense(dispenseId: string): Promise<Json> {
    return this.call(API.pharmacy.dispensed, { params: { id: dispenseId } }) as Promise<Json>;
  }

  /** The alerts raised on the ledger (signed request of a regulator member); sealed. */
  alerts(): Promise<{ alerts: AlertEntry[] }> {
    return this.call(API.pharmacy.alerts) as Promise<{ alerts: AlertEntry[] }>;
  }

  /** Submits any pharmacy transaction (`rx.pharmacy`, `rx.cancel`) and waits for its receipt. */
  submit(tx: SignedTx, waitMs = 30_000): Promise<Receipt> {
    return this.ledger.submitAndWait(tx, waitMs);
  }
}
