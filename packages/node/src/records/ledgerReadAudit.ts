/**
 * The DSS records a raw ledger read served (issue 3 §7: "every read — ... a DSS record read
 * through the API ... — produces an access-log entry on the ledger"). `GET /v1/blocks/:height`
 * and `GET /v1/txs/:id` hand every block or transaction they serve to a `ReadAudit`
 * (api/server.ts); {@link ledgerReadEntries} turns that into one `access.log` entry per
 * `record.dss` transaction, which `RecordServices.auditRead` queues on the batched log.
 *
 * Labels: channel `ledger` (the raw ledger routes, as opposed to `dss` for
 * `GET /v1/dss/records/:id`), purpose `unspecified` — a ledger read states no purpose of use,
 * and logging one (e.g. `treatment`) would put a claim the member never made on the patient's
 * log.
 *
 * Threat model: the node is trusted to log what it serves (see accessLogBatcher.ts). A
 * `record.dss` transaction that did not commit OK made no record and cannot be logged (the
 * `access.log` contract accepts entries for known records only): the server never serves its
 * payload (api/redact.ts), so there is nothing to log. A valid one whose record entry names
 * another transaction would be counted in `unlogged` for the caller to report (ids only).
 */
import {
  getRecord,
  txIdOf,
  type AccessLogEntry,
  type MemberEntry,
  type SignedTx,
  type StateReader,
  isTxOf,
} from '@medledger/core';

/**
 * What a ledger read served: the transactions (of a block, or one) with their validity codes,
 * invalid `record.dss` payloads already redacted (api/redact.ts). Defined here, in the domain,
 * so that the audit does not import the API; api/server.ts hands it over.
 */
export interface ServedTxs {
  route: 'block' | 'tx';
  txs: SignedTx[];
  /** Validity code of each transaction, same order. */
  codes: string[];
}

/** Channel of the entries for raw ledger reads. */
export const LEDGER_READ_CHANNEL = 'ledger';
/** Purpose of the entries for raw ledger reads: the member stated none. */
export const LEDGER_READ_PURPOSE = 'unspecified';

/** What {@link ledgerReadEntries} found in a served read. */
export interface LedgerReadEntries {
  entries: AccessLogEntry[];
  /** Ids of served `record.dss` transactions with no record entry (invalid): not loggable. */
  unlogged: string[];
}

/**
 * The access-log entries for the DSS records in a served block or transaction.
 * @param state the world state (the node's store)
 * @param reader the authenticated member who is served
 * @param served what the route serves
 * @param at the read time (ms since the epoch)
 * @example
 * const { entries } = ledgerReadEntries(node.store, member, { route: 'block', txs, codes }, Date.now());
 * for (const e of entries) accessLog.add(e);
 */
export function ledgerReadEntries(
  state: StateReader,
  reader: MemberEntry,
  served: ServedTxs,
  at: number,
): LedgerReadEntries {
  const entries: AccessLogEntry[] = [];
  const unlogged: string[] = [];
  for (const [i, tx] of served.txs.entries()) {
    // An invalid record.dss made no record; the server serves its payload redacted.
    if (!isTxOf(tx.body, 'record.dss') || served.codes[i] !== 'OK') continue;
    const txId = txIdOf(tx.body);
    const recordId = (tx.body.payload as { recordId?: unknown } | null)?.recordId;
    const r = typeof recordId === 'string' ? getRecord(state, recordId) : undefined;
    if (!r || r.mode !== 'dss' || r.txId !== txId) {
      unlogged.push(txId);
      continue;
    }
    entries.push({
      recordId: r.recordId,
      requester: reader.id,
      purpose: LEDGER_READ_PURPOSE,
      channel: LEDGER_READ_CHANNEL,
      outcome: 'allowed',
      at,
    });
  }
  return { entries, unlogged };
}
