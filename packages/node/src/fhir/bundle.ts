/**
 * Bundle `batch` and `transaction` (R4 §3.1.0.11 "batch/transaction").
 * - batch: every entry on its own, in order; each gets its status and resource or
 *   OperationOutcome.
 * - transaction: every write entry is checked first (resource valid, transaction matching,
 *   scopes); if one fails, nothing is submitted and the answer is that entry's
 *   OperationOutcome, its element paths prefixed with `Bundle.entry[i]`. Then deletes, creates
 *   and reads run in that order (R4 §3.1.0.11.2). The ledger applies each write's transaction
 *   on its own: should one be refused once submitted (e.g. a grant id another member took in
 *   between), those before it stay committed — a ledger cannot roll back — and the answer
 *   says which entry failed.
 * A write entry carries its signed transaction (and SPV salt) as extensions of
 * `entry.request` ({@link TX_EXTENSION}, {@link SALT_EXTENSION}), in place of the headers.
 */
import { LedgerError } from '@medledger/core';
import type { JsonValue } from '@medledger/crypto';
import type { FhirRequester } from './context.js';
import type { FhirFacade, PreparedWrite } from './facade.js';
import { fhirError, type OperationOutcome, type PathIssue } from './outcome.js';
import type { SearchPage } from './search.js';

type Obj = { [k: string]: JsonValue };
type Query = Record<string, string | string[] | undefined>;

/** `entry.request` extension: base64url of the signed transaction (as `X-Medledger-Tx`). */
export const TX_EXTENSION = 'https://medledger.dev/fhir/StructureDefinition/signed-transaction';
/** `entry.request` extension: the SPV salt (as `X-Medledger-Salt`). */
export const SALT_EXTENSION = 'https://medledger.dev/fhir/StructureDefinition/commitment-salt';

/** How the route renders what the bundle needs: a search page, an error. */
export interface BundleRendering {
  searchset(type: string, q: Query, page: SearchPage): Obj;
  error(e: unknown): { status: number; outcome: OperationOutcome };
}

interface Parsed {
  method: string;
  type: string;
  id?: string;
  op?: string;
  query: Query;
  resource?: Obj;
  headers: { tx?: string; salt?: string };
}

function parseEntry(e: unknown, i: number, base: string): Parsed {
  const at = `Bundle.entry[${i}]`;
  const entry = (typeof e === 'object' && e !== null ? e : {}) as Obj;
  const req = entry['request'] as Obj | undefined;
  const method = req?.['method'];
  const url = req?.['url'];
  if (typeof method !== 'string' || typeof url !== 'string')
    throw fhirError('INVALID_RESOURCE', 'an entry has no request', [
      { path: `${at}.request`, message: 'method and url are required' },
    ]);
  const u = new URL(url.startsWith(base) ? url.slice(base.length).replace(/^\//, '') : url, 'http://x/');
  const parts = u.pathname
    .split('/')
    .filter((s) => s.length > 0)
    .map(decodeURIComponent);
  const query: Query = {};
  for (const [k, v] of u.searchParams) {
    const prev = query[k];
    query[k] = prev === undefined ? v : [prev].flat().concat(v);
  }
  const ext = (Array.isArray(req?.['extension']) ? req['extension'] : []) as {
    url?: string;
    valueString?: string;
  }[];
  const headers: { tx?: string; salt?: string } = {};
  const tx = ext.find((x) => x.url === TX_EXTENSION)?.valueString;
  const salt = ext.find((x) => x.url === SALT_EXTENSION)?.valueString;
  if (tx !== undefined) headers.tx = tx;
  if (salt !== undefined) headers.salt = salt;
  const p: Parsed = { method, type: parts[0] ?? '', query, headers };
  if (parts[1] !== undefined) p.id = parts[1];
  if (parts[2] !== undefined) p.op = parts[2];
  const resource = entry['resource'];
  if (typeof resource === 'object' && resource !== null && !Array.isArray(resource)) p.resource = resource;
  return p;
}

function withEntryPath(e: unknown, i: number): unknown {
  if (!(e instanceof LedgerError)) return e;
  const own = (e.meta as { issues?: PathIssue[] }).issues ?? [];
  const issues =
    own.length === 0
      ? [{ path: `Bundle.entry[${i}]`, message: e.message }]
      : own.map((x) => ({
          ...x,
          path: `Bundle.entry[${i}].resource.${x.path.replace(/^[A-Z][A-Za-z]+\.?/, '')}`.replace(/\.$/, ''),
        }));
  return new LedgerError({ ...e.meta, issues }, `Bundle.entry[${i}]: ${e.message}`);
}

/** One entry's result. */
type Result = Obj;

/** Runs a `batch` or `transaction` Bundle. */
export async function processBundle(
  facade: FhirFacade,
  who: FhirRequester,
  bundle: Obj,
  base: string,
  render: BundleRendering,
): Promise<Obj> {
  const type = bundle['type'];
  if (type !== 'batch' && type !== 'transaction')
    throw fhirError('INVALID_RESOURCE', 'only batch and transaction Bundles are processed', [
      { path: 'Bundle.type', message: 'must be batch or transaction' },
    ]);
  const entries = Array.isArray(bundle['entry']) ? bundle['entry'] : [];
  if (entries.length > 100) throw fhirError('MALFORMED_REQUEST', 'at most 100 entries per Bundle');

  const ok = (status: number, resource?: Obj, location?: string): Result => ({
    ...(resource ? { resource } : {}),
    response: { status: String(status), ...(location ? { location } : {}) },
  });
  const fail = (e: unknown): Result => {
    const { status, outcome } = render.error(e);
    return { response: { status: String(status), outcome: outcome as unknown as Obj } };
  };

  const prepare = (p: Parsed): (() => Promise<Result>) => {
    if (p.method === 'POST' && p.id === undefined) {
      const w: PreparedWrite = facade.prepareCreate(who, p.type, p.resource, p.headers);
      return async () => {
        const r = await w();
        return ok(r.status, r.resource, r.location);
      };
    }
    if (p.method === 'DELETE' && p.type === 'Consent' && p.id !== undefined) {
      const w = facade.prepareDeleteConsent(who, p.id, p.headers);
      return async () => ok(200, (await w()) as unknown as Obj);
    }
    if (p.method === 'GET') {
      if (p.id !== undefined && p.op === '$everything' && p.type === 'Patient')
        return async () =>
          ok(200, render.searchset('Patient', p.query, await facade.everything(who, p.id!, p.query)));
      if (p.id !== undefined && p.op === undefined)
        return async () => ok(200, await facade.read(who, p.type, p.id!));
      if (p.id === undefined)
        return async () =>
          ok(200, render.searchset(p.type, p.query, await facade.search(who, p.type, p.query)));
    }
    throw fhirError(
      'FHIR_NOT_SUPPORTED',
      `${p.method} ${p.type}${p.id ? '/…' : ''} is not supported in a Bundle`,
    );
  };

  const results: Result[] = [];
  if (type === 'batch') {
    for (const [i, e] of entries.entries()) {
      try {
        results.push(await prepare(parseEntry(e, i, base))());
      } catch (err) {
        results.push(fail(err));
      }
    }
  } else {
    const parsed = entries.map((e, i) => parseEntry(e, i, base));
    const order = (m: string): number => (m === 'DELETE' ? 0 : m === 'POST' ? 1 : 2);
    const runs: { i: number; m: string; run: () => Promise<Result> }[] = [];
    parsed.forEach((p, i) => {
      try {
        runs.push({ i, m: p.method, run: prepare(p) });
      } catch (err) {
        throw withEntryPath(err, i);
      }
    });
    runs.sort((a, b) => order(a.m) - order(b.m) || a.i - b.i);
    const out = new Array<Result>(entries.length);
    for (const r of runs) {
      try {
        out[r.i] = await r.run();
      } catch (err) {
        throw withEntryPath(err, r.i);
      }
    }
    results.push(...out);
  }
  return {
    resourceType: 'Bundle',
    type: `${type}-response`,
    entry: results,
  };
}
