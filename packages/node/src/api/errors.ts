/**
 * The one place an error code becomes an HTTP status. Domain code throws `LedgerError` with a
 * code of `LedgerErrorCode` (core/src/errors.ts); this table is exhaustive, so a code added
 * there without a status here fails the build.
 */
import { LedgerError, type AnyErrorCode, type LedgerErrorCode } from '@medledger/core';

const STATUS: Record<LedgerErrorCode, number> = {
  MALFORMED_TX: 400,
  MALFORMED_REQUEST: 400,
  INVALID_PAYLOAD: 400,
  TX_TOO_LARGE: 413,
  WRONG_CHAIN: 400,
  TX_EXPIRED: 400,
  TX_FROM_FUTURE: 400,
  UNKNOWN_TYPE: 400,
  UNKNOWN_SIGNER: 401,
  BAD_SIGNATURE: 401,
  SIGNER_REVOKED: 403,
  ORG_REMOVED: 403,
  CERT_NOT_VALID: 403,
  NOT_FOUND: 404,
  UNAUTHENTICATED: 401,
  // signed requests (api/auth.ts)
  AUTH_MALFORMED: 401,
  AUTH_ENCODING: 401,
  AUTH_UNKNOWN_SIGNER: 401,
  AUTH_REVOKED: 401,
  AUTH_EXPIRED: 401,
  AUTH_BAD_SIGNATURE: 401,
  AUTH_REPLAY: 401,
  AUTH_TICKET: 401,
  INVALID_UTF8: 400,
  FORBIDDEN: 403,
  CONFLICT: 409,
  MEMPOOL_FULL: 503,
  NODE_HALTED: 503,
  // record sharing (records/services.ts, api/routes/records.ts)
  ACCESS_DENIED: 403,
  NOT_RESPONSIBLE: 403,
  DECISION_EXPIRED: 403,
  UNKNOWN_PATIENT: 404,
  NOT_HOLDER: 409,
  WRONG_MODE: 409,
  RECORD_EXISTS: 409,
  DUPLICATE_RECORD: 409,
  NO_ENCRYPTION_KEY: 409,
  RECORD_ERASED: 410,
  ERASED: 410,
  INVALID_RECORD: 422,
  ERASURE_NOT_POSSIBLE: 422,
  BAD_INPUT: 400,
  TOO_MANY_WEBHOOKS: 409,
  TOO_MANY_STREAMS: 429,
  // co-signing proposals (node/src/cosign)
  NOT_A_COSIGNER: 403,
  COSIGNATURE_INVALID: 422,
  PROPOSAL_EXPIRED: 410,
  PROPOSAL_CLOSED: 409,
  // anonymity (node/src/anonymity, api/routes/anonymity.ts)
  CHALLENGE_UNKNOWN: 401,
  PRESENTATION_INVALID: 401,
  CHALLENGE_STALE: 409,
  NOT_GROUP_MANAGER: 403,
  UNKNOWN_GROUP: 404,
  UNKNOWN_TRIAL: 404,
  BAD_GROUP_SIGNATURE: 401,
  BAD_RING_SIGNATURE: 401,
  GROUP_EPOCH_STALE: 409,
  UNKNOWN_RING_KEY: 403,
  RING_MEMBER_REVOKED: 403,
  RING_ROLE_MISMATCH: 403,
  KEY_IMAGE_USED: 409,
  ANON_REPLAY: 409,
  ANON_EXPIRED: 400,
  ANON_FROM_FUTURE: 400,
  ALREADY_ENROLLED: 409,
  ACCUMULATOR_STALE: 409,
  PREDICATE_MISMATCH: 400,
  PROOF_INVALID: 401,
  PRESENTATION_MISMATCH: 400,
  ACCUMULATOR_MISMATCH: 400,
  UNKNOWN_ISSUER: 404,
  ISSUER_NOT_ACCEPTED: 403,
  // an organization's services (node/src/orgServices, anonymity/, confidentiality/heCustody.ts)
  GROUP_MEMBER_REVOKED: 403,
  CREDENTIAL_REVOKED: 403,
  NOT_HE_HOLDER: 403,
  HE_KEY_MISMATCH: 409,
  SERVICE_NOT_RUN: 404,
  // pharmacy, supply, payments (node/src/{pharmacy,supply,payments}, api/routes/{pharmacy,supply,payments}.ts)
  NOT_THIS_PHARMACY: 403,
  RESOURCE_MISMATCH: 422,
  TX_NOT_COMMITTED: 504,
  RESPONSE_INVALID: 500,
  FHIR_INVALID: 500,
  // federated learning (node/src/fl; the contracts' own codes travel in receipts)
  FL_BAD_DATA: 422,
  FL_NO_MODEL: 409,
  FL_UNMASK_FAILED: 409,
  FL_NOT_ENOUGH_SHARES: 409,
  FL_TRANSCRIPT: 409,
  // FHIR facade and SMART Backend Services (node/src/fhir, api/routes/fhir.ts)
  INVALID_RESOURCE: 400,
  FHIR_NOT_SUPPORTED: 422,
  CONSENT_INEXPRESSIBLE: 422,
  SCOPE_INSUFFICIENT: 403,
  TX_REJECTED: 422,
  SMART_TOKEN_INVALID: 401,
  SMART_TOKEN_EXPIRED: 401,
  SMART_INVALID_CLIENT: 401,
  SMART_INVALID_REQUEST: 400,
  SMART_INVALID_SCOPE: 400,
  SMART_UNSUPPORTED_GRANT: 400,
  // certification through a request to the organization (node/src/enrollment, api/routes/enrollment.ts)
  CSR_INVALID: 400,
  WRONG_ORG: 404,
  CERT_MISMATCH: 422,
  TOO_MANY_REQUESTS: 429,
  // Codes of internal checks (a peer's block or checkpoint, the genesis file, a card or proposal
  // read by the cli, a pinned TLS certificate, a corrupt EHR row, a submit that timed out). A
  // request does not cause them; if one reaches a route it is the node's fault: 500.
  MALFORMED_BLOCK: 500,
  MALFORMED_CHECKPOINT: 500,
  MALFORMED_GENESIS: 500,
  MALFORMED_CARD: 500,
  MALFORMED_PROPOSAL: 500,
  NOT_A_SIGNER: 500,
  BAD_BLOCK: 500,
  TIMEOUT: 500,
  TLS_CERT_REFUSED: 500,
  CORRUPT: 500,
  GENESIS_UNSIGNED: 500,
  GENESIS_MISMATCH: 500,
  CHECKPOINT_MISMATCH: 500,
  EVENTS_BACKFILL_FAILED: 500,
  SERVICE_STATE_CORRUPT: 500,
  TLS_REQUIRED: 500,
  TLS_NOT_READY: 500,
  TLS_KEY_EXISTS: 500,
  WRONG_KEY: 500,
  BAD_PROOF: 500,
  PROPOSAL_INCOMPLETE: 500,
  BAD_KEY: 500,
};

/** The HTTP status of a code; 500 for a contract's rejection code the table does not list. */
export function statusOf(code: AnyErrorCode): number {
  return Object.hasOwn(STATUS, code) ? STATUS[code as LedgerErrorCode] : 500;
}

/**
 * Shorthand for the API's own checks (request shape, authentication):
 * `new HttpError(code, message)` is a {@link LedgerError} with no metadata. Domain code
 * throws `LedgerError` itself and never imports from `api/`.
 */
export class HttpError extends LedgerError<{ code: LedgerErrorCode }> {
  constructor(code: LedgerErrorCode, message: string) {
    super({ code }, message);
    this.name = 'HttpError';
  }
}
