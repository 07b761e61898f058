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
