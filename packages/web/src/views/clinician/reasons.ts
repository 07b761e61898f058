/**
 * Refusals in words a clinician understands: the code the ledger or the node answered, and
 * what it means for them. Unknown codes fall back to the node's own message.
 */

/** What a refusal code means, for a clinician. */
export const REASONS: Record<string, string> = {
  NO_GRANT: 'the patient has not given you (or your role or organization) access',
  OUT_OF_SCOPE: 'the patient’s consent does not cover this kind of record',
  PURPOSE_NOT_ALLOWED: 'the patient’s consent does not cover this purpose',
  NOT_YET_VALID: 'the patient’s consent is not valid yet',
  EXPIRED: 'the patient’s consent has expired',
  GRANT_REVOKED: 'the patient revoked the consent',
  RECORD_ERASED: 'the record was erased at the patient’s request',
  NOT_A_RECEIVER: 'the record was not sent to you',
  NOT_RESPONSIBLE: 'you are not in the patient’s care team, so you cannot write their records',
  QUORUM_BELOW_POLICY:
    'this kind of record must be signed by more of the patient’s doctors: ask colleagues to co-sign it',
  QUORUM_NOT_MET: 'not enough of the responsible doctors signed this record',
  NOT_A_COSIGNER: 'you are not one of the doctors asked to co-sign this record',
  COSIGNATURE_INVALID: 'the signature does not match this record, so it was not accepted',
  PROPOSAL_EXPIRED: 'this proposal is too old for the ledger: the proposer must propose it again',
  PROPOSAL_CLOSED: 'this record was already submitted',
  CHAIN_CONFLICT: 'another record of this patient was written meanwhile: propose this one again',
  BAD_RECEIVER: 'a receiver has no encryption key on the ledger, so the record cannot be sent to them',
  UNKNOWN_PATIENT: 'this is not the member id of an enrolled patient',
  RECORD_EXISTS: 'a record with this id exists already',
  NOT_EMERGENCY: 'the patient has no emergency arrangement that names you',
  NETWORK: 'the node did not answer; check the connection and try again',
};

/** The code and the words of a refusal. */
export function reasonOf(e: unknown): { code: string; text: string } {
  const err = e as { code?: string; message?: string };
  if (e instanceof TypeError && /fetch/i.test(String(err.message)))
    return { code: 'NETWORK', text: REASONS['NETWORK']! };
  const m = /\b([A-Z][A-Z_]{3,})\b/.exec(`${err.code ?? ''} ${err.message ?? ''}`);
  const code = m?.[1] ?? err.code ?? 'ERROR';
  return { code, text: REASONS[code] ?? err.message ?? String(e) };
}

/** A member id, shortened for reading (the whole id is in the title). */
export const shortId = (id: string): string => `${id.slice(0, 8)}…${id.slice(-4)}`;
