/**
 * Reads a record with a stated purpose, whatever its architecture: DSS from the ledger, SPV
 * opened in this page and checked against its commitment, STT decrypted in this page. The
 * decision is made on the ledger and logged for the patient.
 */
import type { RecordsClient } from '@medledger/client';
import type { Purpose } from '@medledger/core';

type Obj = Record<string, unknown>;

/** What a read shows: the resource and a note on how it was obtained. */
export interface ReadOutcome {
  resource: Obj;
  note: string;
}

/**
 * @throws the ledger's or the node's refusal (see reasons.ts), or Error('NOT_FOUND …')
 */
export async function readRecord(
  records: RecordsClient,
  recordId: string,
  purpose: Purpose,
): Promise<ReadOutcome> {
  const meta = await records.state<{ mode?: string }>(`record:${recordId}`);
  if (!meta) throw Object.assign(new Error('There is no record with this id.'), { code: 'NOT_FOUND' });
  if (meta.mode === 'dss') {
    const r = await records.readDss(recordId, purpose);
    return { resource: r.resource, note: 'Read from the ledger (DSS); this read is logged.' };
  }
  if (meta.mode === 'spv') {
    const r = await records.readSpv(recordId, purpose);
    return {
      resource: r.resource,
      note: r.verified
        ? 'Opened here and checked against its commitment on the ledger; this read is logged.'
        : 'Opened here, de-identified; this read is logged.',
    };
  }
  const r = await records.openStt(recordId, purpose);
  return { resource: r, note: 'Decrypted here (STT); this read is logged.' };
}
