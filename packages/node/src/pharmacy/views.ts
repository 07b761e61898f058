/** What the pharmacy routes serve from the ledger: a prescription's status, a MedicationDispense. */
import type { JsonValue } from '@medledger/crypto';
import { LedgerError } from '@medledger/core';
import { authorizedUnits, getPrescription } from '@medledger/core/contracts/pharmacy';
import { medicationDispenseResource } from '@medledger/core/contracts/pharmacy';
import type { PrescriptionStatus } from '@medledger/client';
import type { LedgerView } from '../ledgerView.js';
import { validateFhirResource } from '../records/fhir.js';

/** The ledger's view of a prescription: what remains, who may dispense; never its content. */
export function prescriptionStatus(node: LedgerView, rxId: string): PrescriptionStatus {
  const rx = getPrescription(node.store, rxId);
  if (!rx) throw new LedgerError({ code: 'NOT_FOUND' }, `no prescription ${rxId}`);
  const authorized = authorizedUnits(rx);
  return {
    rxId,
    prescriberOrg: rx.prescriberOrg,
    pharmacy: rx.pharmacy,
    status: rx.status,
    controlled: rx.controlled,
    quantity: rx.quantity,
    refills: rx.refills,
    authorized,
    dispensed: rx.dispensed,
    remaining: rx.status === 'cancelled' ? 0 : authorized - rx.dispensed,
    fills: rx.fills,
    expiresAt: rx.expiresAt,
    commitment: rx.commitment,
  };
}

/**
 * The FHIR MedicationDispense of a dispense, validated against the R4 definitions.
 * @throws LedgerError NOT_FOUND; FHIR_INVALID if the derived resource does not validate (a bug)
 */
export function medicationDispense(node: LedgerView, dispenseId: string): { [k: string]: JsonValue } {
  const r = medicationDispenseResource(node.store, dispenseId);
  if (!r) throw new LedgerError({ code: 'NOT_FOUND' }, `no dispense ${dispenseId}`);
  const v = validateFhirResource(r, 'MedicationDispense');
  if (!v.ok)
    throw new LedgerError(
      { code: 'FHIR_INVALID' },
      `derived MedicationDispense is not valid FHIR R4: ${v.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    );
  return r;
}
