/**
 * Bundle `batch` and `transaction` (R4 §3.1.0.11 "batch/transaction").
 * - batch: every entry on its own, in order; each gets its status and resource or
 *   OperationOutcome.
 * - transaction: every entry is checked first (resource valid, transaction matching, scopes),
 *   then every write's transaction is tried together on the ledger's state without keeping
 *   anything (`commitWrites`); if one fails, nothing is staged or submitted and the answer is
 *   that entry's OperationOutcome, its element paths prefixed with `Bundle.entry[i]`. Then the
 *   writes (deletes before creates, R4 §3.1.0.11.2) are submitted as one batch, and the reads
 *   run after them. Only a transaction another member commits in the moment between the trial
 *   and the commit can still make one write fail on the ledger, which applies each on its own
 *   and cannot roll back; the answer then names the entry, and the writes before it stay.
 * A write entry carries its signed transaction (and SPV salt, STT release key) as extensions of
 * `entry.request` ({@link TX_EXTENSION}, {@link SALT_EXTENSION}, {@link RELEASE_KEY_EXTENSION}),
 * in place of the headers.
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

/** `entry.request` extension: the STT release key (as `X-Medledger-Release-Key`). */
export const RELEASE_KEY_EXTENSION = 'https://medledger.dev/fhir/StructureDefinition/release-key';

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
  headers: { tx?: string; salt?: string; releaseKey?: string };
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
  const headers: Parsed['headers'] = {};
  const tx = ext.find((x) => x.url === TX_EXTENSION)?.valueString;
  const salt = ext.find((x) => x.url === SALT_EXTENSION)?.valueString;
  const releaseKey = ext.find((x) => x.url === RELEASE_KEY_EXTENSION)?.valueString;
  if (tx !== undefined) headers.tx = tx;
  if (salt !== undefined) headers.salt = salt;
  if (releaseKey !== undefined) headers.releaseKey = releaseKey;
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

  type Step = { write: PreparedWrite<Result> } | { read: () => Promise<Result> };
  const prepare = (p: Parsed): Step => {
    if (p.method === 'POST' && p.id === undefined) {
      const w = facade.prepareCreate(who, p.type, p.resource, p.headers);
      return { write: { ...w, done: (r) => created(w.done(r)) } };
    }
    if (p.method === 'DELETE' && p.type === 'Consent' && p.id !== undefined) {
      const w = facade.prepareDeleteConsent(who, p.id, p.headers);
      return { write: { ...w, done: (r) => ok(200, w.done(r) as unknown as Obj) } };
    }
    if (p.method === 'GET') {
      if (p.id !== undefined && p.op === '$everything' && p.type === 'Patient')
        return {
          read: async () =>
            ok(200, render.searchset('Patient', p.query, await facade.everything(who, p.id!, p.query))),
        };
      if (p.id !== undefined && p.op === undefined)
        return { read: async () => ok(200, await facade.read(who, p.type, p.id!)) };
      if (p.id === undefined)
        return {
          read: async () =>
            ok(200, render.searchset(p.type, p.query, await facade.search(who, p.type, p.query))),
        };
    }
    throw fhirError(
      'FHIR_NOT_SUPPORTED',
      `${p.method} ${p.type}${p.id ? '/…' : ''} is not supported in a Bundle`,
    );
  };
  const created = (r: { status: number; resource: Obj; location?: string }): Result =>
    ok(r.status, r.resource, r.location);
  const run = async (s: Step): Promise<Result> =>
    'write' in s ? (await facade.commit([s.write]))[0]! : s.read();

  const results: Result[] = [];
  if (type === 'batch') {
    for (const [i, e] of entries.entries()) {
      try {
        results.push(await run(prepare(parseEntry(e, i, base))));
      } catch (err) {
        results.push(fail(err));
      }
    }
  } else {
    // Every entry is checked first; the writes are then committed together (deletes before
    // creates, R4 §3.1.0.11.2), and the reads run after them.
    const steps = entries.map((e, i) => {
      try {
        const p = parseEntry(e, i, base);
        return { i, m: p.method, step: prepare(p) };
      } catch (err) {
        throw withEntryPath(err, i);
      }
    });
    const order = (m: string): number => (m === 'DELETE' ? 0 : m === 'POST' ? 1 : 2);
    steps.sort((a, b) => order(a.m) - order(b.m) || a.i - b.i);
    const writes = steps.filter((s) => 'write' in s.step);
    const out = new Array<Result>(entries.length);
    try {
      const done = await facade.commit(writes.map((s) => (s.step as { write: PreparedWrite<Result> }).write));
      done.forEach((r, k) => (out[writes[k]!.i] = r));
    } catch (err) {
      const k = err instanceof LedgerError ? (err.meta as { write?: number }).write : undefined;
      throw k === undefined ? err : withEntryPath(err, writes[k]!.i);
    }
    for (const s of steps) {
      if (!('read' in s.step)) continue;
      try {
        out[s.i] = await s.step.read();
      } catch (err) {
        throw withEntryPath(err, s.i);
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
