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
  CERT_NOT_VALID: 403,
  NOT_FOUND: 404,
  UNAUTHENTICATED: 401,
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
