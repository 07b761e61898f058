/**
 * The client's errors. Every error the client throws about an answer of a node is a
 * {@link MedledgerError} with the node's code (`{ code, message }` on the wire).
 */

/** The base of the client's errors: a code that says what went wrong, and a message. */
export class MedledgerError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'MedledgerError';
  }
}

/** A node answered with an error (`status` is the HTTP status, `code` the node's code). */
export class MedledgerHttpError extends MedledgerError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
  ) {
    super(code, message);
    this.name = 'MedledgerHttpError';
  }
}
