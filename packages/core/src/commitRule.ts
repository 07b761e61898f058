/**
 * Which outcome uses up a transaction. A transaction whose signatures verify under its
 * signers' current certificates commits once, whatever its validity code: it is in the
 * transaction index from then on, and a later copy is a duplicate (DUPLICATE_TX at apply, a
 * duplicate answer at admission, dropped at ordering). So a refused transaction (a grant to a
 * grantee not yet enrolled, say) cannot be revived when the state would later let it through.
 *
 * A copy refused before its signatures were checked, or because they do not verify, does not
 * count: the transaction id covers the body only, so otherwise anyone could block a
 * transaction by racing a badly signed copy of it into a block first.
 */

/** Validity codes given before a transaction's signatures are known good (apply.ts order). */
export const UNAUTHENTICATED_CODES = [
  'WRONG_CHAIN',
  'TX_EXPIRED',
  'TX_FROM_FUTURE',
  'DUPLICATE_TX',
  'UNKNOWN_SIGNER',
  'ORG_REMOVED',
  'SIGNER_REVOKED',
  'CERT_NOT_VALID',
  'BAD_SIGNATURE',
] as const;

const UNAUTHENTICATED: ReadonlySet<string> = new Set(UNAUTHENTICATED_CODES);

/**
 * True if a transaction with this validity code has committed for good (see above).
 * @example countsAsCommitted('UNKNOWN_GRANTEE') // true: the signed transaction is used up
 */
export function countsAsCommitted(code: string): boolean {
  return !UNAUTHENTICATED.has(code);
}
