/**
 * The server's read log (`ReadLog`, api/server.ts) over an access-log batcher: one
 * `access.log` entry (purpose 'unspecified': these routes state none) for each read of patient
 * data served outside the record routes — state values, the episode index, the
 * confidentiality routes — written to the batcher's durable outbox (group commit: the returned
 * promise resolves once they are on disk) before the answer. An
 * entry the contract would refuse (an unknown record, an id that is not an enrolled patient)
 * is left out so that it cannot invalidate its batch: nothing of such an id was served.
 */
import { getMember, getRecord, type MemberEntry, type StateReader } from '@medledger/core';
import type { PatientDataRead } from './stateReads.js';
import type { AccessLogBatcher } from './accessLogBatcher.js';
import { LEDGER_READ_PURPOSE } from './ledgerReadAudit.js';

/**
 * A read log that writes to `batcher`.
 * @example buildServer(node, { readLog: accessLogReadLog(batcher, node.store) })
 */
export function accessLogReadLog(
  batcher: AccessLogBatcher,
  state: StateReader,
  now: () => number = Date.now,
): (reader: MemberEntry, reads: readonly PatientDataRead[]) => Promise<void> {
  return async (reader, reads) => {
    const at = now();
    const written: Promise<void>[] = [];
    for (const r of reads) {
      const known =
        'recordId' in r
          ? getRecord(state, r.recordId) !== undefined
          : getMember(state, r.patient)?.role === 'patient';
      if (!known) continue;
      written.push(
        batcher.addGrouped({
          ...r,
          requester: reader.id,
          purpose: LEDGER_READ_PURPOSE,
          outcome: 'allowed',
          at,
        }),
      );
    }
    await Promise.all(written);
  };
}
