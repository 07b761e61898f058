/**
 * State of payments that agree for provider, payer and patient (survey §7.2). Keys:
 *   pay:coverage:<coverageId>   CoverageEntry (a payer covers a patient: co-signed by both)
 *   pay:claim:<claimId>         ClaimEntry (items, adjudication, balances, payments, disputes)
 *   pay:payment:<paymentId>     PaymentEntry (a payer's PaymentReconciliation or a patient's payment)
 *   pay:dispute:<disputeId>     DisputeEntry
 *   pay:service:<recordId>      claim id that claimed this recorded service (a service is billed once)
 * Item amounts are never on the ledger: each item is an encrypted expense (he.expense, under
 * the patient's Paillier key); the payer obtains only the claim's total (he.claim / he.total)
 * and reveals it with its Paillier randomness when it adjudicates, so the contract checks it.
 * Amounts are integer cents.
 */
import type { JsonValue } from '@medledger/crypto';
import type { StateReader } from '../../state.js';

/** Currency of every amount (one consortium, one currency). */
export const CURRENCY = 'EUR';

export interface CoverageEntry {
  [k: string]: JsonValue;
  coverageId: string;
  patient: string;
  payer: string;
  /** Validity by block time: [start, end). */
  start: number;
  end: number;
  /** Fixed amount the patient pays per claim before the payer's share, cents. */
  copayCents: number;
  /** Percent of the rest the patient pays. */
  coinsurancePct: number;
  registeredBy: string;
  txId: string;
  height: number;
  time: number;
}

export interface ClaimItem {
  [k: string]: JsonValue;
  sequence: number;
  /** The service as the provider recorded it on the ledger (`record:<recordId>`). */
  recordId: string;
  resourceType: string;
  /** The item's amount: an encrypted expense (`he:expense:<expenseId>`). */
  expenseId: string;
}

export interface Adjudication {
  [k: string]: JsonValue;
  /** The `he.claim` whose released total this adjudication reveals. */
  heClaimId: string;
  total: number;
  /** What the payer accepts of the total (eligible amount). */
  approved: number;
  payerAmount: number;
  patientShare: number;
  adjudicator: string;
  txId: string;
  height: number;
  time: number;
}

export interface ClaimEntry {
  [k: string]: JsonValue;
  claimId: string;
  patient: string;
  provider: string;
  submitter: string;
  coverageId: string;
  payer: string;
  items: ClaimItem[];
  status: 'submitted' | 'adjudicated';
  adjudication: Adjudication | null;
  payerPaid: number;
  patientPaid: number;
  payments: string[];
  disputes: string[];
  openDispute: string | null;
  txId: string;
  height: number;
  time: number;
}

export interface PaymentEntry {
  [k: string]: JsonValue;
  paymentId: string;
  claimId: string;
  by: 'payer' | 'patient';
  org: string;
  member: string;
  amount: number;
  txId: string;
  height: number;
  time: number;
}

export interface DisputeEntry {
  [k: string]: JsonValue;
  disputeId: string;
  claimId: string;
  openedBy: string;
  party: 'patient' | 'provider';
  reason: string;
  status: 'open' | 'upheld' | 'rejected';
  resolution: {
    by: string;
    approved: number;
    note: string;
    txId: string;
    height: number;
    time: number;
  } | null;
  txId: string;
  height: number;
  time: number;
}

export const pkeys = {
  coverage: (id: string): string => `pay:coverage:${id}`,
  claim: (id: string): string => `pay:claim:${id}`,
  payment: (id: string): string => `pay:payment:${id}`,
  dispute: (id: string): string => `pay:dispute:${id}`,
  service: (recordId: string): string => `pay:service:${recordId}`,
};

const get =
  <T>(key: (id: string) => string) =>
  (s: StateReader, id: string): T | undefined =>
    s.get(key(id)) as T | undefined;

export const getCoverage = get<CoverageEntry>(pkeys.coverage);
export const getClaim = get<ClaimEntry>(pkeys.claim);
export const getPayment = get<PaymentEntry>(pkeys.payment);
export const getDispute = get<DisputeEntry>(pkeys.dispute);

/**
 * The split of an adjudicated total: the payer pays `(approved − copay) × (100 − coinsurance)%`
 * (rounded down, never below 0); the patient owes the rest of the total.
 */
export function splitTotal(
  total: number,
  approved: number,
  c: { copayCents: number; coinsurancePct: number },
): { payerAmount: number; patientShare: number } {
  const payerAmount = Math.floor((Math.max(0, approved - c.copayCents) * (100 - c.coinsurancePct)) / 100);
  return { payerAmount, patientShare: total - payerAmount };
}

/** What the payer and the patient still owe on a claim (negative: a credit to the patient). */
export function balances(c: ClaimEntry): { payer: number; patient: number } {
  const a = c.adjudication;
  return a === null
    ? { payer: 0, patient: 0 }
    : { payer: a.payerAmount - c.payerPaid, patient: a.patientShare - c.patientPaid };
}
