/** The one place an error code becomes an HTTP status. */
const STATUS: Record<string, number> = {
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
  ISSUER_NOT_ACCEPTED: 403,
  // pharmacy, supply, payments (node/src/{pharmacy,supply,payments}, api/routes/{pharmacy,supply,payments}.ts)
  NOT_THIS_PHARMACY: 403,
  RESOURCE_MISMATCH: 422,
  TX_NOT_COMMITTED: 504,
  FHIR_INVALID: 500,
  // federated learning (node/src/fl; the contracts' own codes travel in receipts)
  FL_BAD_DATA: 422,
  FL_NO_MODEL: 409,
  FL_UNMASK_FAILED: 409,
  FL_NOT_ENOUGH_SHARES: 409,
  FL_TRANSCRIPT: 409,
};

export function statusOf(code: string): number {
  return STATUS[code] ?? 500;
}

export class HttpError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
