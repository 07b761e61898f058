/**
 * The FHIR R4 MedicationDispense of a dispense on the ledger: a pure function of the state
 * (the node validates it against the R4 definitions before serving it). It names the
 * prescription, the pharmacy, the quantity and the packs handed over (by their GS1 Digital
 * Link, in `identifier`), never the patient: the ledger does not know who the patient is.
 */
import type { JsonValue } from '@medledger/crypto';
import type { StateReader } from '../../state.js';
import { packUri } from '../supply/gs1.js';
import { getProduct } from '../supply/state.js';
import { getDispense } from './state.js';

/** The MedicationDispense of a dispense, or undefined. */
export function medicationDispenseResource(
  s: StateReader,
  dispenseId: string,
): { [k: string]: JsonValue } | undefined {
  const d = getDispense(s, dispenseId);
  if (!d) return undefined;
  const product = d.packs[0] && getProduct(s, d.packs[0].gtin);
  return {
    resourceType: 'MedicationDispense',
    id: d.dispenseId,
    identifier: d.packs.map((p) => ({ system: 'https://id.gs1.org', value: packUri(p.gtin, p.serial) })),
    status: 'completed',
    medicationCodeableConcept: product
      ? { coding: [{ ...product.code }], text: product.name }
      : { text: `as prescribed in ${d.rxId}` },
    performer: [{ actor: { reference: `Organization/${d.pharmacy}` } }],
    authorizingPrescription: [{ reference: `MedicationRequest/${d.rxId}` }],
    quantity: { value: d.quantity, unit: 'unit' },
    whenHandedOver: new Date(d.time).toISOString(),
  };
}
