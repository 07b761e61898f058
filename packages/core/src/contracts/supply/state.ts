/**
 * State of drug track and trace (survey §7.3). Keys:
 *   supply:product:<gtin14>            ProductEntry (registered by its manufacturer, approved by a regulator)
 *   supply:pack:<gtin14>:<serial>      PackEntry (custody, status and the custody path of one pack)
 *   supply:lot:<gtin14>:<lot>          LotEntry (expiry, serials, recall)
 *   supply:recalls:<org>               RecallNotice[] (every recall that reached this holder)
 * Refusals (a duplicated serial, a shipment by a non-holder, a dispense of a recalled lot) are
 * transactions kept in their blocks with their validity codes; the node's supply index lists
 * them per pack as flags (node/src/supply).
 */
import type { JsonValue } from '@medledger/crypto';
import type { StateReader } from '../../state.js';

/** What the regulator's approval certifies (signed with `statementBytes(APPROVAL_TAG, ...)`). */
export interface ProductApproval {
  [k: string]: JsonValue;
  /** Marketing authorization number. */
  number: string;
  /** Member id of the regulator's officer who signed it. */
  issuer: string;
  /** Block-independent issue date the officer states, ms since the epoch. */
  issuedAt: number;
  /** P-256 signature over the approval statement, base64url. */
  signature: string;
}

export interface ProductEntry {
  [k: string]: JsonValue;
  gtin: string;
  name: string;
  /** Coded medication, e.g. an RxNorm or ATC code: MedicationRequest codes are matched against it. */
  code: { system: string; code: string; display: string };
  unitsPerPack: number;
  controlled: boolean;
  manufacturer: string;
  approval: ProductApproval;
  issuerOrg: string;
  txId: string;
  height: number;
  time: number;
}

/** One step of a pack's custody path. */
export interface CustodyStep {
  [k: string]: JsonValue;
  bizStep: 'commissioning' | 'shipping' | 'receiving' | 'dispensing';
  /** The organization that signed the event (the one in custody). */
  org: string;
  /** Shipping: the consignee. */
  to: string | null;
  txId: string;
  height: number;
  time: number;
}

export interface PackEntry {
  [k: string]: JsonValue;
  gtin: string;
  serial: string;
  lot: string;
  expiry: string;
  /** Organization in custody (for a pack in transit: the sender until it is received). */
  holder: string;
  status: 'active' | 'in_transit' | 'dispensed';
  /** Consignee while in transit. */
  to: string | null;
  path: CustodyStep[];
  dispensed: { pharmacy: string; dispenseId: string; height: number; time: number } | null;
}

export interface RecallEntry {
  [k: string]: JsonValue;
  reason: string;
  by: string;
  byOrg: string;
  /** Organizations that held packs of the lot (in stock or in transit to them). */
  holders: string[];
  /** Pharmacies that had dispensed packs of the lot (they reach the patients). */
  dispensedBy: string[];
  txId: string;
  height: number;
  time: number;
}

export interface LotEntry {
  [k: string]: JsonValue;
  gtin: string;
  lot: string;
  expiry: string;
  manufacturer: string;
  serials: string[];
  recall: RecallEntry | null;
}

/** A recall as it reaches one holder. */
export interface RecallNotice {
  [k: string]: JsonValue;
  gtin: string;
  lot: string;
  reason: string;
  /** Packs of the lot this organization held when the recall committed. */
  packs: number;
  /** 'holder': packs in stock or in transit; 'dispensed': packs it dispensed to patients. */
  as: 'holder' | 'dispensed';
  txId: string;
  height: number;
  time: number;
}

/** Hash tag of the regulator's product approval statement. */
export const APPROVAL_TAG = 'medledger/product-approval/v1';
/** Most packs in one lot (a recall reads them all). */
export const MAX_LOT_PACKS = 10_000;

export const skeys = {
  product: (gtin: string): string => `supply:product:${gtin}`,
  pack: (gtin: string, serial: string): string => `supply:pack:${gtin}:${serial}`,
  lot: (gtin: string, lot: string): string => `supply:lot:${gtin}:${lot}`,
  recalls: (org: string): string => `supply:recalls:${org}`,
};

export const getProduct = (s: StateReader, gtin: string): ProductEntry | undefined =>
  s.get(skeys.product(gtin)) as ProductEntry | undefined;
export const getPack = (s: StateReader, gtin: string, serial: string): PackEntry | undefined =>
  s.get(skeys.pack(gtin, serial)) as PackEntry | undefined;
export const getLot = (s: StateReader, gtin: string, lot: string): LotEntry | undefined =>
  s.get(skeys.lot(gtin, lot)) as LotEntry | undefined;
export const getRecalls = (s: StateReader, org: string): RecallNotice[] =>
  (s.get(skeys.recalls(org)) as RecallNotice[] | undefined) ?? [];

/** The statement a regulator's approval signs. */
export function approvalStatement(p: {
  gtin: string;
  name: string;
  code: { system: string; code: string; display: string };
  unitsPerPack: number;
  controlled: boolean;
  manufacturer: string;
  number: string;
  issuedAt: number;
}): { [k: string]: JsonValue } {
  return {
    gtin: p.gtin,
    name: p.name,
    code: p.code,
    unitsPerPack: p.unitsPerPack,
    controlled: p.controlled,
    manufacturer: p.manufacturer,
    number: p.number,
    issuedAt: p.issuedAt,
  };
}
