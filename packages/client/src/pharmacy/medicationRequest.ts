/** The FHIR R4 MedicationRequest a prescriber writes (validated by its node before the ledger). */
import type { JsonValue } from '@medledger/crypto';

type Json = { [k: string]: JsonValue };

/** What a prescriber fills in; `medicationRequest` turns it into FHIR R4. */
export interface MedicationRequestParameters {
  rxId: string;
  /** The patient's member id (inside the sealed content only). */
  patient: string;
  prescriber: string;
  medication: { system: string; code: string; display: string };
  dosage: string;
  quantity: number;
  unit: string;
  refills: number;
  authoredOn: number;
  expiresAt: number;
}

/** A FHIR R4 MedicationRequest (an active order) with its dispense request. */
export function medicationRequest(p: MedicationRequestParameters): Json {
  return {
    resourceType: 'MedicationRequest',
    id: p.rxId,
    status: 'active',
    intent: 'order',
    medicationCodeableConcept: { coding: [{ ...p.medication }], text: p.medication.display },
    subject: { reference: `Patient/${p.patient}` },
    authoredOn: new Date(p.authoredOn).toISOString(),
    requester: { reference: `Practitioner/${p.prescriber}` },
    dosageInstruction: [{ text: p.dosage }],
    dispenseRequest: {
      validityPeriod: {
        start: new Date(p.authoredOn).toISOString(),
        end: new Date(p.expiresAt).toISOString(),
      },
      numberOfRepeatsAllowed: p.refills,
      quantity: { value: p.quantity, unit: p.unit },
    },
  };
}
