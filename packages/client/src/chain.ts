/**
 * A patient's DSS chain (survey §6.1): every `record.dss` transaction names the patient's
 * previous one, so the records form a chronological chain whose head the ledger state keeps
 * (`chain:dss:<patient>`). `readDssChain` walks it from the head back to the first record,
 * checks every transaction as a light client (block signed by a genesis node, Merkle proof)
 * and every link, and returns the records oldest first.
 */
import { checkTxWithProof } from './lightClient.js';
import { MedledgerHttpError, type MedledgerClient } from './http.js';
import type { Genesis } from '@medledger/core';
import { isTxOf } from '@medledger/core';

export interface DssChainEntry {
  recordId: string;
  txId: string;
  height: number;
  prev: string | null;
  resourceType: string;
  category: string;
}

export type DssChainResult = { ok: true; records: DssChainEntry[] } | { ok: false; reason: string };

/** Reads and checks a patient's DSS chain; `client` must sign as a member (the routes are member-only). */
export async function readDssChain(
  client: MedledgerClient,
  genesis: Genesis,
  patient: string,
): Promise<DssChainResult> {
  let head: { head: string; count: number };
  try {
    head = (await client.getState<{ head: string; count: number }>(`chain:dss:${patient}`)).value;
  } catch (e) {
    if (e instanceof MedledgerHttpError && e.status === 404) return { ok: true, records: [] };
    throw e;
  }
  const out: DssChainEntry[] = [];
  const seen = new Set<string>();
  let cur: string | null = head.head;
  while (cur !== null) {
    if (seen.has(cur)) return { ok: false, reason: `the chain loops at ${cur}` };
    seen.add(cur);
    const t = await client.getTx(cur, { finalWaitMs: 10_000 });
    const check = checkTxWithProof(t, genesis);
    if (!check.ok) return { ok: false, reason: `transaction ${cur} does not verify: ${check.reason}` };
    const p = t.tx.body.payload as {
      recordId?: unknown;
      patient?: unknown;
      prev?: unknown;
      resourceType?: unknown;
      category?: unknown;
    };
    if (!isTxOf(t.tx.body, 'record.dss') || p.patient !== patient)
      return { ok: false, reason: `transaction ${cur} is not a DSS record of this patient` };
    const prev = p.prev === null ? null : String(p.prev);
    const next = out[out.length - 1];
    if (next && next.height < t.receipt.height)
      return { ok: false, reason: `record ${String(p.recordId)} is newer than its successor` };
    out.push({
      recordId: String(p.recordId),
      txId: cur,
      height: t.receipt.height,
      prev,
      resourceType: String(p.resourceType),
      category: String(p.category),
    });
    cur = prev;
  }
  if (out.length !== head.count)
    return { ok: false, reason: `the chain has ${out.length} records, the ledger counts ${head.count}` };
  return { ok: true, records: out.reverse() };
}
