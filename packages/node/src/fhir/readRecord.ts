/**
 * Reading a record through the facade, with the ledger's read rule and the ledger's access log
 * (survey property "tracking and auditing"):
 * - DSS: every member reads it (it is on the ledger in plaintext); `RecordServices.readDss`
 *   serves and logs it (and de-identifies research reads without linkage).
 * - SPV: the core decision `decideRead` (patient's grants, at the node's clock and head) allows
 *   or denies; the holder's node serves it from its EHR store. Allowed and denied reads are
 *   logged on the ledger (`access.log`, channel `fhir`), as `serve.ts` logs a served SPV
 *   record. Research reads through the facade are always de-identified.
 * - STT: encrypted end to end to its receivers; the node cannot read it, the facade does not
 *   serve it (FHIR_NOT_SUPPORTED).
 * - An erased record: RECORD_ERASED.
 * The read rule by mode is the ledger's (`contracts/access/processRequestAccess.ts`); when core
 * gets one function that decides by mode, this file should call it instead of the switch.
 */
import type { JsonValue } from '@medledger/crypto';
import { decideRead, getGrants, getRecord, type RecordEntry } from '@medledger/core';
import { deidentifyResource } from '../records/deidentify.js';
import type { FhirContext, FhirRequester } from './context.js';
import { fhirError } from './outcome.js';

type Obj = { [k: string]: JsonValue };

/** A record as the facade serves it: the resource with `id` = record id and `meta` from the ledger. */
export interface ServedRecord {
  record: RecordEntry;
  resource: Obj;
}

/**
 * The resource with `id` = the record id and `meta` version 1 (records are immutable) and
 * the block time. A de-identified resource gets the id the requester asked for and no time:
 * the block time would point at the record's ledger entry, and through it at the patient.
 */
export function recordResource(record: RecordEntry, resource: Obj, deidentified = false): Obj {
  if (deidentified) return { ...resource, id: record.recordId };
  const meta =
    typeof resource['meta'] === 'object' && resource['meta'] !== null ? (resource['meta'] as Obj) : {};
  return {
    ...resource,
    id: record.recordId,
    meta: { ...meta, versionId: '1', lastUpdated: new Date(record.time).toISOString() },
  };
}

/** Whether the facade can serve this record at all (not STT, not erased, held here if SPV). */
export function servable(ctx: FhirContext, r: RecordEntry): boolean {
  return r.erasedAt === undefined && (r.mode === 'dss' || (r.mode === 'spv' && r.holder === ctx.records.org));
}

/**
 * The decision for an SPV record (`decideRead`), logged on the ledger when denied.
 * @throws ACCESS_DENIED with the decision's code
 */
function decideSpv(ctx: FhirContext, who: FhirRequester, r: RecordEntry): void {
  const s = ctx.records.node;
  const d = decideRead(getGrants(s.store, r.patientId), {
    requester: { memberId: who.member.id, org: who.member.org, role: who.member.role },
    record: r,
    purpose: who.purpose,
    at: ctx.now(),
    height: s.head().height,
  });
  if (d.allow) return;
  ctx.records.accessLog.add({
    recordId: r.recordId,
    requester: who.member.id,
    purpose: who.purpose,
    channel: 'fhir',
    outcome: 'denied',
    code: d.code,
    at: ctx.now(),
  });
  throw fhirError('ACCESS_DENIED', `${d.code}: ${d.message}`);
}

/** The stored content of a record this node can serve, without deciding or logging. */
export async function contentOf(ctx: FhirContext, r: RecordEntry): Promise<Obj | undefined> {
  if (r.mode === 'dss') {
    const t = ctx.records.node.getTxWithProof(r.txId);
    return (t?.tx.body.payload as { resource?: Obj } | undefined)?.resource;
  }
  if (r.mode !== 'spv' || r.holder !== ctx.records.org) return undefined;
  const salt = ctx.records.vault.get(r.recordId, 'salt');
  const stored = await ctx.records.ehr.get(r.recordId);
  if (!salt?.confirmedAt || !stored) return undefined;
  return JSON.parse(Buffer.from(stored.body).toString('utf8')) as Obj;
}

/**
 * Decides, serves and logs one read of a record.
 * @throws NOT_FOUND, RECORD_ERASED, FHIR_NOT_SUPPORTED (STT), NOT_HOLDER, ACCESS_DENIED
 */
export async function readRecord(
  ctx: FhirContext,
  who: FhirRequester,
  r: RecordEntry,
): Promise<ServedRecord> {
  if (r.erasedAt !== undefined)
    throw fhirError('RECORD_ERASED', `the record was erased at height ${r.erasedAt}`);
  if (r.mode === 'stt')
    throw fhirError(
      'FHIR_NOT_SUPPORTED',
      'an STT record is encrypted to its receivers and the node cannot read it; open it with the SDK (RecordsClient.openStt)',
    );
  if (r.mode === 'dss') {
    const d = ctx.records.readDss(who.member, r.recordId, who.purpose);
    return { record: r, resource: recordResource(r, d.resource, d.deidentified) };
  }
  if (r.holder !== ctx.records.org)
    throw fhirError(
      'NOT_HOLDER',
      `the record is held by ${r.holder ?? 'another organization'}'s node; read it there`,
    );
  decideSpv(ctx, who, r);
  let resource = await contentOf(ctx, r);
  if (!resource) throw fhirError('NOT_FOUND', 'this node does not hold the record');
  if (who.purpose === 'research') resource = deidentifyResource(resource).resource;
  ctx.records.accessLog.add({
    recordId: r.recordId,
    requester: who.member.id,
    purpose: who.purpose,
    channel: 'fhir',
    outcome: 'allowed',
    at: ctx.now(),
  });
  return { record: r, resource: recordResource(r, resource, who.purpose === 'research') };
}

/** The record `type/id`, or NOT_FOUND (an unknown id and a record of another type alike). */
export function recordOf(ctx: FhirContext, type: string, id: string): RecordEntry {
  const r = getRecord(ctx.records.node.store, id);
  if (!r || r.resourceType !== type) throw fhirError('NOT_FOUND', `no ${type} with this id`);
  return r;
}

/**
 * Whether `who` may read `r` (DSS: any member; SPV: the core decision, a denial logged like
 * any denied read): the search uses it to choose candidates, then serves and logs the page
 * through {@link readRecord}.
 */
export function mayRead(ctx: FhirContext, who: FhirRequester, r: RecordEntry): boolean {
  if (!servable(ctx, r)) return false;
  if (r.mode === 'dss') return true;
  try {
    decideSpv(ctx, who, r);
    return true;
  } catch {
    return false;
  }
}
