/** Contracts of payments (survey §7.2): coverage, claims, adjudication, payments, disputes. */
import type { Contract } from '../../contract.js';
import { processRegisterCoverage } from './processRegisterCoverage.js';
import { processSubmitClaim } from './processSubmitClaim.js';
import { processAdjudicateClaim } from './processAdjudicateClaim.js';
import { processRecordPayment } from './processRecordPayment.js';
import { processPatientPayment } from './processPatientPayment.js';
import { processOpenDispute } from './processOpenDispute.js';
import { processResolveDispute } from './processResolveDispute.js';

export * from './state.js';
export * from './fhir.js';

export const paymentsContracts: Contract<never>[] = [
  processRegisterCoverage,
  processSubmitClaim,
  processAdjudicateClaim,
  processRecordPayment,
  processPatientPayment,
  processOpenDispute,
  processResolveDispute,
] as unknown as Contract<never>[];
