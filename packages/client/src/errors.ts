/**
 * The client's one error family. Every error the client throws on purpose is a
 * {@link MedledgerError}: a stable `code` to branch on, a message that says what is wrong, and
 * the HTTP `status` when a node answered with the error (the node's `{ code, message }` body).
 * The subclasses only name where the error came from; callers may test
 * `e instanceof MedledgerError && e.code === 'ACCESS_DENIED'` without knowing which.
 *
 * Codes are the node's `LedgerErrorCode` (core/src/errors.ts) when a node sent them, a
 * contract's rejection code when a receipt carried it, or one of the client's own codes below.
 * Messages never contain keys or record contents.
 */
export class MedledgerError extends Error {
  /** Stable machine-readable code, e.g. `ACCESS_DENIED`, `TLS_UNTRUSTED`. */
  readonly code: string;
  /** The HTTP status the node answered with; undefined for an error raised by the client. */
  readonly status: number | undefined;

  /**
   * @param code stable code
   * @param message what is wrong (no secret material)
   * @param status HTTP status, if a node answered with this error
   */
  constructor(code: string, message: string, status?: number) {
    super(message);
    this.name = 'MedledgerError';
    this.code = code;
    this.status = status;
  }
}

/** Type guard for {@link MedledgerError}, optionally of one code. */
export function isMedledgerError(e: unknown, code?: string): e is MedledgerError {
  return e instanceof MedledgerError && (code === undefined || e.code === code);
}

/** A node answered with an error (`status` is the HTTP status, `code` the node's code). */
export class MedledgerHttpError extends MedledgerError {
  declare readonly status: number;
  constructor(status: number, code: string, message: string) {
    super(code, message, status);
    this.name = 'MedledgerHttpError';
  }
}
