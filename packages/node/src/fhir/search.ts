/**
 * Search over records (R4 §3.1.1.4 "search"): `patient` (required: the patient's member id or
 * an episode pseudonym, as `Patient/<id>` or `<id>`), `category` (a medledger category such as
 * `lab`, or a code of the resource's `category`), `code` (`[system|]code` of the resource's
 * `code`), `date` (the clinically relevant time) and `_lastUpdated` (the block time), both with
 * the prefixes eq, ne, lt, le, gt, ge, sa, eb on an ISO date or dateTime; `_count` (default 20,
 * at most 100); paging through `_offset` in the Bundle's `next`/`previous` links.
 *
 * A search for research (X-Purpose-Of-Use HRESCH) is refused: the ids it would return link to
 * the patient through the ledger's record entries, which de-identification cannot hide.
 * Each candidate record goes through the read rule (readRecord.ts: denials are logged); only
 * the records of the page served are read and logged as reads, one `access.log` entry each.
 */
import type { JsonValue } from '@medledger/crypto';
import { getMember, getRecord, type RecordEntry } from '@medledger/core';
import type { FhirContext, FhirRequester } from './context.js';
import { fhirError } from './outcome.js';
import { contentOf, mayRead, readRecord } from './readRecord.js';
import { requireScope } from './scopes.js';
import { effectiveTimeOf } from './time.js';

type Obj = { [k: string]: JsonValue };

/** Search parameters the record search supports (the CapabilityStatement lists them). */
export const RECORD_SEARCH_PARAMS = [
  { name: 'patient', type: 'reference' },
  { name: 'category', type: 'token' },
  { name: 'code', type: 'token' },
  { name: 'date', type: 'date' },
  { name: '_lastUpdated', type: 'date' },
  { name: '_count', type: 'number' },
] as const;

const KNOWN = new Set([...RECORD_SEARCH_PARAMS.map((p) => p.name), '_offset', '_format']);

/** A page of a search. */
export interface SearchPage {
  total: number;
  offset: number;
  count: number;
  resources: Obj[];
}

type Query = Record<string, string | string[] | undefined>;

function one(q: Query, name: string): string | undefined {
  const v = q[name];
  if (Array.isArray(v)) throw fhirError('MALFORMED_REQUEST', `${name} may be given once`);
  return v;
}

function int(q: Query, name: string, dflt: number, max: number): number {
  const v = one(q, name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0)
    throw fhirError('MALFORMED_REQUEST', `${name} must be a non-negative integer`);
  return Math.min(n, max);
}

/** The patient's id from `Patient/<id>` or `<id>`. */
export function patientParam(v: string | undefined): string {
  if (v === undefined) throw fhirError('MALFORMED_REQUEST', 'the patient search parameter is required');
  const id = v.startsWith('Patient/') ? v.slice('Patient/'.length) : v;
  if (!/^[A-Za-z0-9\-.]{1,64}$/.test(id))
    throw fhirError('MALFORMED_REQUEST', 'patient must be Patient/<id>');
  return id;
}

/** The records of a patient (member id) or of an episode pseudonym, as ledger entries. */
export function recordsOfPatient(ctx: FhirContext, id: string): RecordEntry[] {
  const s = ctx.records.node.store;
  const m = /^[0-9a-f]{64}$/.test(id) ? getMember(s, id) : undefined;
  const rows = m?.role === 'patient' ? ctx.records.index.byPatient(id) : ctx.records.index.bySubject(id);
  return rows.map((x) => getRecord(s, x.recordId)).filter((r): r is RecordEntry => r !== undefined);
}

interface DateTest {
  prefix: string;
  lo: number;
  hi: number;
}

function dateTest(v: string, name: string): DateTest {
  const m = /^(eq|ne|lt|le|gt|ge|sa|eb)?(\d{4}(-\d{2}(-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:\d{2})?)?)?)?)$/.exec(v);
  if (!m) throw fhirError('MALFORMED_REQUEST', `${name} must be [prefix]YYYY[-MM[-DD[Thh:mm:ss[Z]]]]`);
  const text = m[2]!;
  const lo = Date.parse(text.length === 4 ? `${text}-01-01` : text.length === 7 ? `${text}-01` : text);
  if (Number.isNaN(lo)) throw fhirError('MALFORMED_REQUEST', `${name} is not a valid date`);
  const d = new Date(lo);
  const hi =
    text.length === 4
      ? Date.UTC(d.getUTCFullYear() + 1, 0, 1)
      : text.length === 7
        ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)
        : text.length === 10
          ? lo + 86_400_000
          : lo + 1;
  return { prefix: m[1] ?? 'eq', lo, hi };
}

function dateMatches(t: DateTest, at: number | undefined): boolean {
  if (at === undefined) return false;
  switch (t.prefix) {
    case 'eq':
      return at >= t.lo && at < t.hi;
    case 'ne':
      return at < t.lo || at >= t.hi;
    case 'lt':
    case 'eb':
      return at < t.lo;
    case 'le':
      return at < t.hi;
    case 'gt':
    case 'sa':
      return at >= t.hi;
    default:
      return at >= t.lo;
  }
}

function dates(q: Query, name: string): DateTest[] {
  const v = q[name];
  return (v === undefined ? [] : [v].flat()).map((x) => dateTest(x, name));
}

function codings(v: JsonValue | undefined): { system?: string; code?: string }[] {
  const list = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return list.flatMap((c) => {
    const cc = (c as Obj | null)?.['coding'];
    return Array.isArray(cc) ? (cc as { system?: string; code?: string }[]) : [];
  });
}

function tokenMatches(token: string, cs: { system?: string; code?: string }[]): boolean {
  return token.split(',').some((t) => {
    const bar = t.indexOf('|');
    const [system, code] = bar < 0 ? [undefined, t] : [t.slice(0, bar), t.slice(bar + 1)];
    return cs.some((c) => c.code === code && (system === undefined || system === '' || c.system === system));
  });
}

/**
 * Searches records of `types` (one type, or every type for Patient/$everything).
 * @throws MALFORMED_REQUEST (unknown or bad parameter), SCOPE_INSUFFICIENT
 */
export async function searchRecords(
  ctx: FhirContext,
  who: FhirRequester,
  types: readonly string[],
  q: Query,
  patient: string,
): Promise<SearchPage> {
  if (who.purpose === 'research')
    throw fhirError(
      'FHIR_NOT_SUPPORTED',
      'a research search is refused: its results would name record ids, which link to the patient on the ledger; read de-identified records by id',
    );
  for (const k of Object.keys(q))
    if (!KNOWN.has(k))
      throw fhirError('MALFORMED_REQUEST', `search parameter ${k.slice(0, 64)} is not supported`);
  const count = int(q, '_count', 20, 100);
  const offset = int(q, '_offset', 0, Number.MAX_SAFE_INTEGER);
  const category = one(q, 'category');
  const code = one(q, 'code');
  const date = dates(q, 'date');
  const updated = dates(q, '_lastUpdated');
  const candidates = recordsOfPatient(ctx, patient).filter((r) => types.includes(r.resourceType));
  for (const t of new Set(candidates.map((r) => r.resourceType)))
    requireScope(who.scopes, t, 's', who.member.id, candidates[0]?.patientId);
  if (candidates.length === 0)
    for (const t of types) requireScope(who.scopes, t, 's', who.member.id, undefined);
  const hits: RecordEntry[] = [];
  for (const r of candidates) {
    if (!updated.every((t) => dateMatches(t, r.time))) continue;
    if (!mayRead(ctx, who, r)) continue;
    if (category !== undefined || code !== undefined || date.length > 0) {
      const c = await contentOf(ctx, r);
      if (!c) continue;
      if (
        category !== undefined &&
        !category.split(',').includes(r.category) &&
        !tokenMatches(category, codings(c['category']))
      )
        continue;
      if (code !== undefined && !tokenMatches(code, codings(c['code']))) continue;
      if (!date.every((t) => dateMatches(t, effectiveTimeOf(c)))) continue;
    }
    hits.push(r);
  }
  const page = hits.slice(offset, offset + count);
  const resources: Obj[] = [];
  for (const r of page) resources.push((await readRecord(ctx, who, r)).resource);
  return { total: hits.length, offset, count, resources };
}
