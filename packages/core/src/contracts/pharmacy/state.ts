/**
 * State of electronic prescriptions (survey §7.2). Keys:
 *   rx:<rxId>                 PrescriptionEntry: what remains, who may dispense, the commitment
 *   rx:dispense:<dispenseId>  DispenseEntry
 *   rx:alert:<alertId>        AlertEntry (a doctor-shopping alert, sealed to the regulator)
 * A prescription never names its patient: the content (a FHIR MedicationRequest) is sealed to
 * the receivers 'patient' and 'pharmacy', the patient acts through a fresh per-prescription
 * P-256 key (`patientKey`), and a controlled prescription carries the patient id sealed to the
 * regulator alone (crypto/rxlink.ts). Threat model: crypto/docs/prescriptions.md.
 */
import type { JsonValue } from '@medledger/crypto';
import type { StateReader } from '../../state.js';

export type EnvelopeJsonValue = { [k: string]: JsonValue };

export interface PrescriptionEntry {
  [k: string]: JsonValue;
  rxId: string;
  prescriber: string;
  prescriberOrg: string;
  /** Organization (role pharmacy) the patient chose: the only one that may dispense. */
  pharmacy: string;
  /** The patient's per-prescription P-256 key (SPKI, base64url): signs pharmacy choices. */
  patientKey: string;
  /** Number of the patient's last pharmacy choice (0: the one made at prescribing). */
  consentSeq: number;
  /** Salted commitment (hex) of the canonical MedicationRequest (crypto/commitment.ts). */
  commitment: string;
  /** The MedicationRequest and its salt, sealed to 'patient' and 'pharmacy' (envelope JSON). */
  envelope: EnvelopeJsonValue;
  /** Units per fill, and fills after the first. */
  quantity: number;
  refills: number;
  /** Block time from which nothing may be dispensed. */
  expiresAt: number;
  controlled: boolean;
  /** Controlled: the regulator organization and the sealed link request. */
  regulator: string | null;
  link: EnvelopeJsonValue | null;
  status: 'active' | 'cancelled' | 'completed';
  /** Units dispensed so far, and number of dispenses. */
  dispensed: number;
  fills: number;
  dispenses: string[];
  cancelledAt: number | null;
  txId: string;
  height: number;
  time: number;
}

export interface DispenseEntry {
  [k: string]: JsonValue;
  dispenseId: string;
  rxId: string;
  pharmacy: string;
  pharmacist: string;
  quantity: number;
  packs: { gtin: string; serial: string }[];
  txId: string;
  height: number;
  time: number;
}

export interface AlertEntry {
  [k: string]: JsonValue;
  alertId: string;
  regulator: string;
  /** Number of prescriptions the alert links. */
  count: number;
  /** Who is involved, sealed to the regulator's receivers (envelope JSON). */
  sealed: EnvelopeJsonValue;
  txId: string;
  height: number;
  time: number;
}

/** Hash tag of the patient's pharmacy choice, signed with the per-prescription key. */
export const PHARMACY_CHOICE_TAG = 'medledger/rx-pharmacy-choice/v1';
/** Envelope receiver labels of a prescription. */
export const RX_RECEIVERS = ['patient', 'pharmacy'] as const;
/** Longest validity of a prescription, from its block. */
export const RX_MAX_VALIDITY_MS = 366 * 86_400_000;
/** Most refills. */
export const RX_MAX_REFILLS = 12;
/** Most dispenses against one prescription (partial fills included): bounds its state entry. */
export const RX_MAX_DISPENSES = 100;

/** Total units a prescription authorizes: every fill at full quantity. */
export const authorizedUnits = (rx: { quantity: number; refills: number }): number =>
  rx.quantity * (1 + rx.refills);

export const rxkeys = {
  rx: (id: string): string => `rx:${id}`,
  dispense: (id: string): string => `rx:dispense:${id}`,
  alert: (id: string): string => `rx:alert:${id}`,
};

export const getPrescription = (s: StateReader, id: string): PrescriptionEntry | undefined =>
  s.get(rxkeys.rx(id)) as PrescriptionEntry | undefined;
export const getDispense = (s: StateReader, id: string): DispenseEntry | undefined =>
  s.get(rxkeys.dispense(id)) as DispenseEntry | undefined;
export const getAlert = (s: StateReader, id: string): AlertEntry | undefined =>
  s.get(rxkeys.alert(id)) as AlertEntry | undefined;

/**
 * The statement the patient signs to choose a pharmacy: the prescription, the pharmacy, the
 * choice's number (so an old choice cannot be replayed) and, for a change, the hash of the
 * new pharmacy's key wrap (so the relayer cannot swap it).
 */
export function pharmacyChoice(p: { rxId: string; pharmacy: string; seq: number; wrap: string | null }): {
  [k: string]: JsonValue;
} {
  return { rxId: p.rxId, pharmacy: p.pharmacy, seq: p.seq, wrap: p.wrap };
}
