/** Contracts of electronic prescriptions (survey §7.2): write, choose a pharmacy, dispense, cancel, alert. */
import type { Contract } from '../../contract.js';
import { processWritePrescription } from './processWritePrescription.js';
import { processChoosePharmacy } from './processChoosePharmacy.js';
import { processCancelPrescription } from './processCancelPrescription.js';
import { processDispense } from './processDispense.js';
import { processRaiseAlert } from './processRaiseAlert.js';

export * from './state.js';
export * from './fhir.js';
export * from './common.js';

export const pharmacyContracts: Contract<never>[] = [
  processWritePrescription,
  processChoosePharmacy,
  processCancelPrescription,
  processDispense,
  processRaiseAlert,
] as unknown as Contract<never>[];
