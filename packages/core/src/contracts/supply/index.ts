/** Contracts of drug track and trace (survey §7.3): products, serialized packs, custody, recalls. */
import type { Contract } from '../../contract.js';
import { processRegisterProduct } from './processRegisterProduct.js';
import { processCommissionPacks } from './processCommissionPacks.js';
import { processShipPacks } from './processShipPacks.js';
import { processReceivePacks } from './processReceivePacks.js';
import { processRecallLot } from './processRecallLot.js';

export * from './state.js';
export * from './gs1.js';
export * from './epcis.js';

export const supplyContracts: Contract<never>[] = [
  processRegisterProduct,
  processCommissionPacks,
  processShipPacks,
  processReceivePacks,
  processRecallLot,
] as unknown as Contract<never>[];
