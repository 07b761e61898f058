/**
 * What the ledger's codes mean, in words a patient understands. The ledger's own message is
 * shown as well where it explains more (an erasure refused names why).
 */

const MEANING: Record<string, string> = {
  ERASURE_NOT_POSSIBLE:
    'this record is written in the open on every hospital’s copy of the ledger (DSS), so nobody can erase it',
  ALREADY_ERASED: 'this record was erased already',
  UNKNOWN_RECORD: 'the ledger has no record with this name',
  NOT_FOUND: 'the ledger has no such record',
  FORBIDDEN: 'only you may do this for your own records, and only your own records are shown to you',
  UNAUTHORIZED: 'only you may ask to erase your records',
  INVALID_PAYLOAD: 'the request was not filled in correctly',
  NO_GRANT: 'you had not given them access',
  OUT_OF_SCOPE: 'your consent does not cover this kind of record',
  PURPOSE_NOT_ALLOWED: 'your consent does not cover this purpose',
  NOT_YET_VALID: 'your consent was not valid yet',
  EXPIRED: 'your consent had expired',
  GRANT_EXPIRED: 'your consent had expired',
  GRANT_REVOKED: 'you had withdrawn your consent',
  RECORD_ERASED: 'the record was erased at your request',
  NOT_A_RECEIVER: 'the record was not sent to them',
  EMERGENCY_NOT_ALLOWED: 'you have not allowed emergency access',
};

/** A failure as a code and a sentence for the patient. */
export interface InWords {
  code: string;
  text: string;
  /** The node's or ledger's own message, when it says more than the code. */
  detail?: string;
}

/** Puts an error (from the client or a receipt) in words. */
export function inWords(e: unknown): InWords {
  const err = e as { code?: unknown; message?: unknown; status?: unknown } | null;
  if (e instanceof TypeError)
    return {
      code: 'UNREACHABLE',
      text: 'the node could not be reached; check your connection and try again',
    };
  const code = typeof err?.code === 'string' ? err.code : 'ERROR';
  const message = typeof err?.message === 'string' ? err.message : String(e);
  const text = MEANING[code] ?? message;
  return text === message ? { code, text } : { code, text, detail: message };
}

/** The meaning of a denial code in an access log entry (or the code itself). */
export function reasonInWords(code: string): string {
  return MEANING[code] ?? code;
}
