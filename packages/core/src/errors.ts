/**
 * Errors with a code. Every failure a caller can act on carries a stable `code` and typed
 * metadata, so the HTTP layer chooses a status once and clients can branch on `code`.
 * Messages never contain secret keys or record contents.
 */
export class LedgerError<T extends { code: string } = { code: string }> extends Error {
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
export function isLedgerError(e: unknown, code?: string): e is LedgerError {
  return e instanceof LedgerError && (code === undefined || e.code === code);
}

/** Shorthand: throws a malformed-input error naming the offending path. */
export function malformed(code: string, path: string, what: string): never {
  throw new LedgerError({ code, path }, `${path}: ${what}`);
}
