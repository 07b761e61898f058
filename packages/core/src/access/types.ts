/**
 * Types of the read-access decision (survey property "fine-grained access control": the
 * patient decides who reads which of their records, for what purpose, until when). One pure
 * decision function, {@link decideRead}, serves the contracts and the off-chain EHR store.
 */

/** Why a record is read (a subset of the HIPAA / GDPR Art. 9 purposes of processing). */
export type Purpose = 'treatment' | 'payment' | 'research' | 'emergency';

/** Every {@link Purpose}, in a fixed order. */
export const PURPOSES: readonly Purpose[] = ['treatment', 'payment', 'research', 'emergency'];

/** Who a grant is for: one member; every member of an org holding a role; or an org's staff. */
export type Grantee =
  | { kind: 'member'; memberId: string }
  | { kind: 'role'; org: string; role: string }
  | { kind: 'org'; org: string };

/**
 * Which records a grant covers. Semantics: every PRESENT dimension must match (AND across
 * dimensions), and a dimension matches when the record's value is one of its values (OR
 * within a dimension). A scope with no dimension present, or with a present but empty
 * dimension, matches nothing (default deny). So `{ categories: ['lab'], resourceTypes:
 * ['Observation'] }` is "lab Observations", and adding a dimension only ever narrows a grant.
 */
export interface Scope {
  categories?: string[];
  resourceTypes?: string[];
  recordIds?: string[];
}

/** A patient's consent, as stored in ledger state. Times are block times in ms since the epoch. */
export interface Grant {
  grantId: string;
  patientId: string;
  grantee: Grantee;
  scope: Scope;
  purposes: Purpose[];
  /** First block time at which the grant is valid (inclusive). */
  notBefore: number;
  /** Block time from which the grant is no longer valid (exclusive). */
  notAfter: number;
  /** Height of the block that carried the grant; the grant does not exist in states below it. */
  grantedAtHeight: number;
  /** Height of the block that carried the revocation; revoked in that state and every later one. */
  revokedAtHeight?: number;
  /** For research reads: the researcher may receive linkable ids (see pseudonym.ts in crypto). */
  linkage?: boolean;
  /** Pre-authorised emergency access: required (with 'emergency' in purposes) for purpose 'emergency'. */
  emergency?: boolean;
}

/** What the decision needs to know about a record (never its contents). */
export interface RecordMeta {
  recordId: string;
  patientId: string;
  /** 'clinical' | 'lab' | 'billing' | 'mental-health' | 'genetic' | ... */
  category: string;
  /** FHIR resource type, e.g. 'Observation'. */
  resourceType: string;
  /** The CDO that holds the record. */
  org: string;
  /** Member ids of the responsible doctors. */
  authors: string[];
}

/** The member asking to read, as established by their certificate. */
export interface Requester {
  memberId: string;
  org: string;
  role: string;
}

/** One read request, decided against the state at `height` and the block time `at`. */
export interface ReadRequest {
  requester: Requester;
  record: RecordMeta;
  purpose: Purpose;
  /** Block time, ms since the epoch. */
  at: number;
  /** Height of the state the decision is made against. */
  height: number;
}

/** Why a read was denied, from least to most specific (see {@link DENY_CODES}). */
export type DenyCode =
  | 'NO_GRANT'
  | 'WRONG_PATIENT'
  | 'PURPOSE_NOT_GRANTED'
  | 'OUT_OF_SCOPE'
  | 'GRANT_REVOKED'
  | 'GRANT_NOT_YET_VALID'
  | 'GRANT_EXPIRED';

/**
 * Every {@link DenyCode}, least specific first. When no grant allows a read, the reported
 * denial is that of the grant that got furthest through the checks, in this order.
 */
export const DENY_CODES: readonly DenyCode[] = [
  'NO_GRANT',
  'WRONG_PATIENT',
  'PURPOSE_NOT_GRANTED',
  'OUT_OF_SCOPE',
  'GRANT_REVOKED',
  'GRANT_NOT_YET_VALID',
  'GRANT_EXPIRED',
];

/** Why a read was allowed. */
export type AllowBasis = 'patient' | 'author' | 'grant';

/**
 * The outcome of {@link decideRead}. `linkage` tells the data holder whether it may return
 * identifiable/linkable patient ids (true) or must pseudonymise them (false).
 */
export type Decision =
  | { allow: true; basis: AllowBasis; grantId?: string; linkage: boolean }
  | { allow: false; code: DenyCode; message: string; grantId?: string };

/** Codes of {@link validateGrant}. */
export type GrantValidationCode =
  | 'INVALID_ID'
  | 'INVALID_GRANTEE'
  | 'EMPTY_PURPOSES'
  | 'INVALID_PURPOSE'
  | 'EMPTY_SCOPE'
  | 'INVALID_SCOPE'
  | 'INVALID_WINDOW'
  | 'INVALID_HEIGHT'
  | 'INVALID_FLAG'
  | 'EMERGENCY_MISMATCH'
  | 'INSURER_SCOPE'
  | 'INSURER_PURPOSE';

/** The outcome of {@link validateGrant}. */
export type GrantValidation = { ok: true } | { ok: false; code: GrantValidationCode; message: string };
