/**
 * What the raw ledger routes (`GET /v1/blocks/:height`, `GET /v1/txs/:id`) serve of an
 * invalid `record.dss` transaction: a redaction marker instead of its payload. Such a
 * transaction stays in its block (a validity code per transaction, as in Fabric), but it made
 * no record: its plaintext is not a DSS record members may read, and the `access.log` contract
 * cannot log a read of a record that does not exist (records/ledgerReadAudit.ts). So the node
 * does not serve it at all.
 *
 * The marker keeps what a light client needs to check the block: the transaction id (the
 * Merkle leaf) and the SHA-256 of the canonical payload, so a party that holds the payload can
 * show it is the one that was redacted. The body's other fields (type, signers, nonce, time)
 * and the signatures are served as they are.
 */
import { canonicalBytes, sha256, toHex, type JsonValue } from '@medledger/crypto';
import { txIdOf, type SignedTx } from '@medledger/core';

/** The payload served in place of an invalid `record.dss` transaction's payload. */
export interface RedactedPayload {
  [k: string]: JsonValue;
  redacted: true;
  /** Why: the validity code the transaction committed with. */
  code: string;
  /** The transaction id (the Merkle leaf of the block), which the redacted body no longer hashes to. */
  txId: string;
  /** SHA-256 of the canonical JSON (RFC 8785) of the payload, hex. */
  payloadHash: string;
}

/** True if a served transaction with this validity code must have its payload redacted. */
export function mustRedact(tx: SignedTx, code: string): boolean {
  return tx.body.type === 'record.dss' && code !== 'OK';
}

/**
 * The transactions as the ledger routes serve them: every invalid `record.dss` transaction's
 * payload replaced by a {@link RedactedPayload}; the others untouched (same objects).
 * @example const served = redactInvalid(block.txs, codes);
 */
export function redactInvalid(txs: readonly SignedTx[], codes: readonly string[]): SignedTx[] {
  return txs.map((tx, i) => {
    const code = codes[i] ?? '';
    if (!mustRedact(tx, code)) return tx;
    const payload: RedactedPayload = {
      redacted: true,
      code,
      txId: txIdOf(tx.body),
      payloadHash: toHex(sha256(canonicalBytes(tx.body.payload))),
    };
    return { ...tx, body: { ...tx.body, payload } };
  });
}
