/**
 * The patient's timeline, read through @medledger/client with the patient's signed requests:
 * the records the node indexed for them (`GET /v1/patients/:id/records`, the patient only),
 * each with its architecture from the ledger — the registry entry (`record:<id>`: the DSS
 * quorum and previous link, the SPV commitment and holder), a DSS record's transaction (who
 * signed it) and an STT record's transmission path (`stt:<id>`). Every one of these reads
 * names the patient's data, so the node logs it on the ledger as the patient's own read.
 */
import {
  API,
  MedledgerHttpError,
  readStateList,
  type MedledgerClient,
  type ResponseOf,
} from '@medledger/client';
import { keys, memberKey, type MemberEntry, type RecordEntry, type Transmission } from '@medledger/core';

/** A row of the patient's record index, as the route's answer schema types it. */
type IndexedRow = ResponseOf<typeof API.records.patientRecords>['records'][number];

/** A record of the patient's, newest first in the timeline: its index row and its architecture. */
export interface TimelineItem extends IndexedRow {
  /** The registry entry on the ledger (undefined if it could not be read). */
  entry?: RecordEntry;
  /** DSS: the members whose signatures the record transaction carries. */
  signers?: string[];
  /** STT: the transmissions of the record, oldest first. */
  path?: Transmission[];
}

async function stateOf<T>(client: MedledgerClient, key: string): Promise<T | undefined> {
  try {
    return (await client.getState<T>(key)).value;
  } catch (e) {
    if (e instanceof MedledgerHttpError && e.status === 404) return undefined;
    throw e;
  }
}

/**
 * What does not change once a record is written — its registry entry (but for `erasedAt`,
 * which the index row carries) and a DSS record's signers — kept by record transaction, so a
 * reload reads only what may have changed (an STT path grows) and the patient's access log
 * does not fill with the page's own re-reads.
 */
export type TimelineCache = Map<string, { entry?: RecordEntry; signers?: string[] }>;

/** One record's architecture from the ledger. */
async function detail(client: MedledgerClient, row: IndexedRow, cache: TimelineCache): Promise<TimelineItem> {
  const item: TimelineItem = { ...row };
  let known = cache.get(row.txId);
  if (!known) {
    const entry = await stateOf<RecordEntry>(client, keys.record(row.recordId));
    known = entry ? { entry } : {};
    if (row.mode === 'dss') known.signers = (await client.getTx(row.txId)).tx.signatures.map((s) => s.signer);
    if (entry) cache.set(row.txId, known);
  }
  if (known.entry) item.entry = known.entry;
  if (known.signers) item.signers = known.signers;
  if (row.mode === 'stt') {
    // The path is an append-only list in state (`stt:<id>` holds { n }, each hop under `#<i>`).
    item.path = (await readStateList<Transmission>((k) => stateOf(client, k), keys.stt(row.recordId))) ?? [];
  }
  return item;
}

/**
 * The patient's records with their architecture, newest first.
 * @param client signs as the patient (the route refuses anyone else: FORBIDDEN)
 * @param cache what earlier loads read (see {@link TimelineCache})
 */
export async function loadTimeline(
  client: MedledgerClient,
  patient: string,
  cache: TimelineCache = new Map(),
): Promise<TimelineItem[]> {
  const r = await client.api.call(API.records.patientRecords, { params: { id: patient } });
  const items = await Promise.all(r.records.map((row) => detail(client, row, cache)));
  return items.sort((a, b) => b.height - a.height || b.time - a.time || a.recordId.localeCompare(b.recordId));
}

/** How a member is shown: their certified name, role and organization. */
export interface MemberName {
  name: string;
  role: string;
  org: string;
}

/**
 * Names of members (their ledger entries; public, not the patient's data, so not logged).
 * A member the ledger does not know is shown by the start of its id. The patient is "you"
 * (reading their own entry would be logged as a read of their data).
 */
export async function memberNames(
  client: MedledgerClient,
  ids: Iterable<string>,
  self: string,
): Promise<Map<string, MemberName>> {
  const out = new Map<string, MemberName>([[self, { name: 'you', role: 'patient', org: '' }]]);
  await Promise.all(
    [...new Set(ids)]
      .filter((id) => id !== self)
      .map(async (id) => {
        const m = await stateOf<MemberEntry>(client, memberKey(id)).catch(() => undefined);
        out.set(
          id,
          m
            ? { name: m.commonName, role: m.role, org: m.org }
            : { name: `${id.slice(0, 10)}…`, role: '', org: '' },
        );
      }),
  );
  return out;
}
