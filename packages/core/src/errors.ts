/**
 * Errors with a code. Every failure a caller can act on carries a stable `code` from one of
 * the domain unions below and typed metadata, so the HTTP layer chooses a status once
 * (`node/src/api/errors.ts`, a `Record<LedgerErrorCode, number>` the compiler checks) and
 * clients can branch on `code`. Messages never contain secret keys or record contents.
 *
 * A new code goes in its domain's union; the build then fails until the API table gives it
 * a status.
 */

/** Malformed input: a transaction, block, request, file or payload that does not parse. */
export type InputErrorCode =
  | 'MALFORMED_TX'
  | 'MALFORMED_BLOCK'
  | 'MALFORMED_CHECKPOINT'
  | 'MALFORMED_GENESIS'
  | 'MALFORMED_REQUEST'
  | 'MALFORMED_CARD'
  | 'MALFORMED_PROPOSAL'
  | 'INVALID_PAYLOAD'
  | 'INVALID_UTF8'
  | 'BAD_INPUT'
  | 'TX_TOO_LARGE'
  | 'BAD_KEY';

/** Admission of a transaction and the state of the node (mempool, pipeline, ordering). */
export type LedgerStateErrorCode =
  | 'WRONG_CHAIN'
  | 'TX_EXPIRED'
  | 'TX_FROM_FUTURE'
  | 'UNKNOWN_TYPE'
  | 'UNKNOWN_SIGNER'
  | 'BAD_SIGNATURE'
  | 'NOT_A_SIGNER'
  | 'SIGNER_REVOKED'
  | 'ORG_REMOVED'
  | 'CERT_NOT_VALID'
  | 'MEMPOOL_FULL'
  | 'NODE_HALTED'
  | 'BAD_BLOCK'
  | 'TX_NOT_COMMITTED'
  | 'TX_REJECTED'
  | 'TIMEOUT'
  | 'GENESIS_UNSIGNED'
  | 'GENESIS_MISMATCH'
  | 'CHECKPOINT_MISMATCH'
  | 'EVENTS_BACKFILL_FAILED'
  | 'SERVICE_STATE_CORRUPT';

/** Signed requests and transport (node `api/auth.ts`, the client's TLS pinning). */
export type AuthErrorCode =
  | 'UNAUTHENTICATED'
  | 'AUTH_MALFORMED'
  | 'AUTH_ENCODING'
  | 'AUTH_UNKNOWN_SIGNER'
  | 'AUTH_REVOKED'
  | 'AUTH_EXPIRED'
  | 'AUTH_BAD_SIGNATURE'
  | 'AUTH_REPLAY'
  | 'AUTH_TICKET'
  | 'TLS_CERT_REFUSED'
  | 'TLS_REQUIRED'
  | 'TLS_NOT_READY'
  | 'TLS_KEY_EXISTS';

/** Codes any domain uses for a missing thing, a refused caller or a clash. */
export type CommonErrorCode =
  | 'NOT_FOUND'
  | 'FORBIDDEN'
  | 'CONFLICT'
  /** An answer of the node that does not match its route's schema (never sent). */
  | 'RESPONSE_INVALID';

/** Consortium changes the client assembles (organization cards, signed proposals). */
export type ConsortiumErrorCode = 'WRONG_KEY' | 'BAD_PROOF' | 'PROPOSAL_INCOMPLETE';

/** Record sharing (node `records/`, `ehr/`, `notify/`). */
export type RecordErrorCode =
  | 'ACCESS_DENIED'
  | 'NOT_RESPONSIBLE'
  | 'DECISION_EXPIRED'
  | 'UNKNOWN_PATIENT'
  | 'NOT_HOLDER'
  | 'WRONG_MODE'
  | 'RECORD_EXISTS'
  | 'DUPLICATE_RECORD'
  | 'NO_ENCRYPTION_KEY'
  | 'RECORD_ERASED'
  | 'ERASED'
  | 'CORRUPT'
  | 'INVALID_RECORD'
  | 'ERASURE_NOT_POSSIBLE'
  | 'TOO_MANY_WEBHOOKS'
  | 'TOO_MANY_STREAMS';

/** Anonymity flows (node `anonymity/`; some are also contract codes carried by receipts). */
export type AnonymityErrorCode =
  | 'CHALLENGE_UNKNOWN'
  | 'PRESENTATION_INVALID'
  | 'CHALLENGE_STALE'
  | 'NOT_GROUP_MANAGER'
  | 'UNKNOWN_GROUP'
  | 'UNKNOWN_TRIAL'
  | 'BAD_GROUP_SIGNATURE'
  | 'BAD_RING_SIGNATURE'
  | 'GROUP_EPOCH_STALE'
  | 'UNKNOWN_RING_KEY'
  | 'RING_MEMBER_REVOKED'
  | 'RING_ROLE_MISMATCH'
  | 'KEY_IMAGE_USED'
  | 'ANON_REPLAY'
  | 'ANON_EXPIRED'
  | 'ANON_FROM_FUTURE'
  | 'ALREADY_ENROLLED'
  | 'ACCUMULATOR_STALE'
  | 'PREDICATE_MISMATCH'
  | 'PROOF_INVALID'
  | 'PRESENTATION_MISMATCH'
  | 'ACCUMULATOR_MISMATCH'
  | 'UNKNOWN_ISSUER'
  | 'ISSUER_NOT_ACCEPTED';

/** An organization's services (node `orgServices/`, `confidentiality/heCustody.ts`). */
export type OrgServiceErrorCode =
  'GROUP_MEMBER_REVOKED' | 'CREDENTIAL_REVOKED' | 'NOT_HE_HOLDER' | 'HE_KEY_MISMATCH' | 'SERVICE_NOT_RUN';

/** Pharmacy, supply chain and payments (node `pharmacy/`, `supply/`, `payments/`). */
export type CareErrorCode = 'NOT_THIS_PHARMACY' | 'RESOURCE_MISMATCH' | 'FHIR_INVALID';

/** Federated learning (node `fl/`; the contracts' own codes travel in receipts). */
export type FlErrorCode =
  'FL_BAD_DATA' | 'FL_NO_MODEL' | 'FL_UNMASK_FAILED' | 'FL_NOT_ENOUGH_SHARES' | 'FL_TRANSCRIPT';

/** The FHIR facade and SMART Backend Services (node `fhir/`). */
export type FhirErrorCode =
  | 'INVALID_RESOURCE'
  | 'FHIR_NOT_SUPPORTED'
  | 'CONSENT_INEXPRESSIBLE'
  | 'SCOPE_INSUFFICIENT'
  | 'SMART_TOKEN_INVALID'
  | 'SMART_TOKEN_EXPIRED'
  | 'SMART_INVALID_CLIENT'
  | 'SMART_INVALID_REQUEST'
  | 'SMART_INVALID_SCOPE'
  | 'SMART_UNSUPPORTED_GRANT';

/** Certification through a request to the organization (node `enrollment/`). */
export type EnrollmentErrorCode = 'CSR_INVALID' | 'WRONG_ORG' | 'CERT_MISMATCH' | 'TOO_MANY_REQUESTS';
/** Co-signing proposals of DSS records (node `cosign/`). */
export type CosignErrorCode =
  'NOT_A_COSIGNER' | 'COSIGNATURE_INVALID' | 'PROPOSAL_EXPIRED' | 'PROPOSAL_CLOSED';

/** Every code a {@link LedgerError} may carry, besides a contract's {@link RejectionCode}. */
export type LedgerErrorCode =
  | InputErrorCode
  | LedgerStateErrorCode
  | AuthErrorCode
  | CommonErrorCode
  | ConsortiumErrorCode
  | RecordErrorCode
  | AnonymityErrorCode
  | OrgServiceErrorCode
  | CareErrorCode
  | FlErrorCode
  | FhirErrorCode
  | EnrollmentErrorCode
  | CosignErrorCode;

declare const rejection: unique symbol;

/**
 * A contract's rejection code, as a receipt carries it (`fail(CODE, message)` in
 * `core/src/contracts`), rethrown by the node or the client. Made only by
 * {@link rejectionCode}, so that a code from the closed {@link LedgerErrorCode} list cannot be
 * misspelled as a free string. The API answers it with the status the table gives the code,
 * or 500.
 */
export type RejectionCode = string & { readonly [rejection]: true };

/** Marks a receipt's code as a {@link RejectionCode} (the one cast of a free string). */
export function rejectionCode(code: string): RejectionCode {
  return code as RejectionCode;
}

/** A code a {@link LedgerError} carries. */
export type AnyErrorCode = LedgerErrorCode | RejectionCode;

/**
 * A failure with a code and typed metadata, thrown by core and by the node's and client's
 * domain code. Only the node's `api/` turns it into an HTTP status.
 *
 * @example
 * throw new LedgerError({ code: 'UNKNOWN_PATIENT', patientId }, 'body.patient is not enrolled');
 */
export class LedgerError<T extends { code: AnyErrorCode } = { code: AnyErrorCode }> extends Error {
  readonly code: T['code'];
  readonly meta: T;
  constructor(meta: T, message: string) {
    super(message);
    this.name = 'LedgerError';
    this.code = meta.code;
    this.meta = meta;
  }
}

/** Type guard for {@link LedgerError}, optionally of one code. */
export function isLedgerError(e: unknown, code?: AnyErrorCode): e is LedgerError {
  return e instanceof LedgerError && (code === undefined || e.code === code);
}

/** Shorthand: throws a malformed-input error naming the offending path. */
export function malformed(code: InputErrorCode, path: string, what: string): never {
  throw new LedgerError({ code, path }, `${path}: ${what}`);
}
