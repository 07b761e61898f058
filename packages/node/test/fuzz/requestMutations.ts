/**
 * The request fuzzer's catalogue: a request to one route of the server (its path parameters,
 * query string, auth header and body each plausible or mutated). An auth header is either
 * absent, correctly signed for this very request, or mutated so that it is invalid by
 * construction (a flipped bit, the high-S twin, a non-canonical encoding, another path, method,
 * body, node or chain, an expired or future time, an unknown or revoked signer, another
 * patient, a replay). A route that refuses a request without a header must refuse every
 * request whose header is invalid.
 */
import fc from 'fast-check';
import { fromB64u, negateP256S, toB64u, utf8, type JsonValue } from '@medledger/crypto';
import { AUTH_HEADER, signRequest, type RequestAudience } from '@medledger/client';
import { BODY_LIMITS } from '../../src/index.js';
import type { FuzzKey } from './txMutations.js';

/** What the catalogue needs to know about the server under test. */
export interface RouteWorld {
  routes: readonly { method: string; url: string }[];
  audience: RequestAudience;
  /** A doctor, a patient (whose id fills patient routes' ids), another patient, a peer node. */
  member: FuzzKey;
  patient: FuzzKey;
  otherPatient: FuzzKey;
  peer: FuzzKey;
  revoked: FuzzKey;
  stranger: FuzzKey;
  /** Plausible values of each path parameter (real ids of the ledger among them). */
  params: Record<string, string[]>;
}

const AUTH = {
  none: false,
  valid: true,
  garbage: false,
  'bit-flip': false,
  'high-s': false,
  'non-canonical': false,
  expired: false,
  future: false,
  'ts-text': false,
  'other-path': false,
  'other-method': false,
  'other-body': false,
  'other-node': false,
  'other-chain': false,
  'unknown-signer': false,
  'revoked-signer': false,
  'other-patient': false,
  'extra-part': false,
  replayed: false,
} as const satisfies Record<string, boolean>;
export type AuthMutation = keyof typeof AUTH;
const AUTH_NAMES = Object.keys(AUTH) as AuthMutation[];

const BODIES = [
  'none',
  'empty-object',
  'random-json',
  'invalid-utf8',
  'deep',
  'huge',
  'not-json',
  'proto',
  'junk-text',
] as const;
export type BodyMutation = (typeof BODIES)[number];

export interface RouteRecipe {
  route: number;
  param: number;
  paramText: string;
  query: number;
  queryPairs: [string, string][];
  auth: AuthMutation;
  body: BodyMutation;
  contentType: number;
  n: number;
  junk: JsonValue;
}

export const routeRecipe: fc.Arbitrary<RouteRecipe> = fc.record({
  route: fc.nat(),
  param: fc.nat(),
  paramText: fc.string({ unit: 'grapheme', maxLength: 40 }),
  query: fc.nat(),
  queryPairs: fc.array(
    fc.tuple(fc.string({ maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 24 })),
    {
      maxLength: 4,
    },
  ),
  auth: fc.constantFrom(...AUTH_NAMES),
  body: fc.constantFrom(...BODIES),
  contentType: fc.nat(),
  n: fc.nat(),
  junk: fc.jsonValue({ maxDepth: 4 }) as fc.Arbitrary<JsonValue>,
});

/** One request and what it claims about itself. */
export interface RequestCase {
  route: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: Buffer;
  auth: AuthMutation;
  /** The auth header is invalid by construction (absent headers are not "invalid"). */
  authInvalid: boolean;
  /** Send this header once before (the case is then its replay). */
  primeWith?: { url: string; headers: Record<string, string>; payload?: Buffer };
}

const pick = <T>(xs: readonly T[], n: number): T => xs[n % xs.length]!;

const RAW_PARAMS = [
  '..',
  '%2e%2e',
  '%00',
  '%ff',
  '%',
  '%e2%82',
  '-1',
  '0',
  '1e309',
  '9'.repeat(40),
  'NaN',
  '0x10',
  '%20',
  'a'.repeat(3000),
  '__proto__',
  'constructor',
  '%F0%9F%98%80',
  'ab'.repeat(32).toUpperCase(),
];
const CONTENT_TYPES = [
  'application/json',
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/octet-stream',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=utf-16',
  '',
];
// Small waits only: a signed request may wait a minute, and the fuzzer's time is bounded.
const QUERY_VALUES = [
  '0',
  '1',
  '25',
  '-1',
  'abc',
  '1.5',
  '',
  '1e3',
  '99999999999999999999999',
  '%ff',
  'true',
];

/** Builds the request a recipe describes. */
export function buildRequestCase(w: RouteWorld, r: RouteRecipe): RequestCase {
  const route = pick(w.routes, r.route);
  const key = `${route.method} ${route.url}`;
  const method = route.method;
  const patientRoute = /^\/v1\/patients\/:(id|patientId)/.test(route.url);
  const stream = key === 'GET /v1/patients/:patientId/events';
  const path = route.url.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    const mode = (r.param >> (name.length % 5)) % 8;
    if (mode < 5) {
      if (patientRoute && (name === 'id' || name === 'patientId')) return w.patient.id;
      return encodeURIComponent(pick(w.params[name] ?? ['x'], r.param));
    }
    if (mode < 7) return encodeURIComponent(r.paramText);
    return pick(RAW_PARAMS, r.param);
  });
  let query = '';
  switch (r.query % 6) {
    case 1:
      query = `?wait=${pick(QUERY_VALUES.slice(0, 7), r.n)}`;
      break;
    case 2:
      query = `?from=${pick(QUERY_VALUES, r.n)}&to=${pick(QUERY_VALUES, r.n >> 4)}`;
      break;
    case 3:
      query = `?${r.queryPairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}`;
      break;
    case 4:
      query = `?subject=${encodeURIComponent(r.paramText)}&since=${pick(QUERY_VALUES, r.n)}&after=${pick(QUERY_VALUES, r.n >> 3)}`;
      break;
    case 5:
      query = `?${pick(['auth=x', 'ticket=' + 'A'.repeat(43), 'purpose=treatment', 'lastEventId=1', 'wait=%ff', 'a=%', 'final=0'], r.n)}`;
      break;
  }
  const url = path + query;
  const limit =
    key === 'POST /v1/txs/batch'
      ? BODY_LIMITS.batch
      : key === 'POST /v1/spv/records'
        ? BODY_LIMITS.record
        : key === 'POST /v1/txs'
          ? BODY_LIMITS.tx
          : BODY_LIMITS.default;
  const payload =
    method === 'GET' || method === 'DELETE'
      ? r.body === 'random-json' && r.n % 5 === 0
        ? bodyOf(r, limit)
        : undefined
      : bodyOf(r, limit);
  const headers: Record<string, string> = {};
  if (payload !== undefined) {
    const ct = pick(CONTENT_TYPES, r.contentType);
    if (ct) headers['content-type'] = ct;
  }
  const signer = route.url.startsWith('/v1/sync/')
    ? w.peer
    : patientRoute
      ? w.patient
      : r.n % 2
        ? w.member
        : w.patient;
  const sign = (
    o: {
      as?: FuzzKey;
      path?: string;
      method?: string;
      ts?: number;
      body?: Uint8Array | undefined;
      audience?: RequestAudience;
    } = {},
  ): string =>
    signRequest({
      signerId: (o.as ?? signer).id,
      privateKey: (o.as ?? signer).privateKey,
      method: o.method ?? method,
      path: o.path ?? url,
      ts: o.ts ?? Date.now(),
      audience: o.audience ?? w.audience,
      ...('body' in o ? { body: o.body } : payload ? { body: payload } : {}),
    });
  // An event stream signed correctly would stay open: the fuzzer sends it only invalid headers.
  const auth: AuthMutation =
    stream && (r.auth === 'valid' || r.auth === 'other-patient' || r.auth === 'replayed')
      ? 'garbage'
      : r.auth;
  let primeWith: RequestCase['primeWith'];
  const withSig = (h: string, f: (sig: Uint8Array) => Uint8Array | string): string => {
    const [id, ts, sig] = splitHeader(h);
    const out = f(fromB64u(sig));
    return `${id}.${ts}.${typeof out === 'string' ? out : toB64u(out)}`;
  };
  switch (auth) {
    case 'none':
      break;
    case 'valid':
      headers[AUTH_HEADER] = sign();
      break;
    case 'garbage':
      headers[AUTH_HEADER] = pick(
        [r.paramText, `${signer.id}.${Date.now()}.`, 'x.y.z', '...', `${signer.id}`],
        r.n,
      );
      break;
    case 'bit-flip':
      headers[AUTH_HEADER] = withSig(sign(), (s) => ((s[r.n % 64]! ^= 1 << (r.n % 8)), s));
      break;
    case 'high-s':
      headers[AUTH_HEADER] = withSig(sign(), negateP256S);
      break;
    case 'non-canonical':
      headers[AUTH_HEADER] = withSig(
        sign(),
        (s) => toB64u(s).slice(0, -1) + pick(['B', 'C', 'R', 'h', 'x', '='], r.n),
      );
      break;
    case 'expired':
      headers[AUTH_HEADER] = sign({ ts: Date.now() - 5 * 60_000 - 1000 - (r.n % 1e9) });
      break;
    case 'future':
      headers[AUTH_HEADER] = sign({ ts: Date.now() + 5 * 60_000 + 1000 + (r.n % 1e9) });
      break;
    case 'ts-text': {
      const [id, , sig] = splitHeader(sign());
      headers[AUTH_HEADER] = `${id}.${pick(['', '-1', '1e12', 'NaN', '9'.repeat(30), ' 1'], r.n)}.${sig}`;
      break;
    }
    case 'other-path':
      headers[AUTH_HEADER] = sign({
        // Paths that differ after the server's normalization (pathname + URLSearchParams).
        path: pick(['/v1/status', `${path}x`, `${path}?fuzz-other=1`], r.n),
      });
      break;
    case 'other-method':
      headers[AUTH_HEADER] = sign({ method: method === 'GET' ? 'POST' : 'GET' });
      break;
    case 'other-body':
      headers[AUTH_HEADER] = sign({ body: utf8(`{"other":${r.n}}`) });
      break;
    case 'other-node':
      headers[AUTH_HEADER] = sign({ audience: { ...w.audience, node: 'hospitalB' } });
      break;
    case 'other-chain':
      headers[AUTH_HEADER] = sign({ audience: { ...w.audience, chainId: 'ab'.repeat(32) } });
      break;
    case 'unknown-signer':
      headers[AUTH_HEADER] = sign({ as: w.stranger });
      break;
    case 'revoked-signer':
      headers[AUTH_HEADER] = sign({ as: w.revoked });
      break;
    case 'other-patient':
      // Valid for member routes (a patient is a member); invalid where the path names a patient.
      headers[AUTH_HEADER] = sign({ as: w.otherPatient });
      break;
    case 'extra-part':
      headers[AUTH_HEADER] = `${sign()}.${pick(['', 'x', 'AAAA'], r.n)}`;
      break;
    case 'replayed': {
      headers[AUTH_HEADER] = sign();
      primeWith = { url, headers: { ...headers }, ...(payload ? { payload } : {}) };
      break;
    }
  }
  const authInvalid = auth === 'other-patient' ? patientRoute : auth !== 'none' && !AUTH[auth];
  return {
    route: key,
    method,
    url,
    headers,
    ...(payload ? { payload } : {}),
    auth,
    authInvalid,
    ...(primeWith ? { primeWith } : {}),
  };
}

function splitHeader(h: string): [string, string, string] {
  const sig = h.slice(h.lastIndexOf('.') + 1);
  const rest = h.slice(0, h.lastIndexOf('.'));
  return [rest.slice(0, rest.lastIndexOf('.')), rest.slice(rest.lastIndexOf('.') + 1), sig];
}

function bodyOf(r: RouteRecipe, limit: number): Buffer | undefined {
  switch (r.body) {
    case 'none':
      return undefined;
    case 'empty-object':
      return Buffer.from('{}');
    case 'random-json':
      return Buffer.from(JSON.stringify(r.junk));
    case 'invalid-utf8': {
      const text = Buffer.from(JSON.stringify({ a: `x${r.paramText}`, b: r.junk }));
      const bad = Buffer.from(pick([[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82]], r.n));
      return Buffer.concat([text.subarray(0, 6), bad, text.subarray(6)]);
    }
    case 'deep': {
      const d = pick([100, 1000, 20_000, 200_000], r.n);
      return Buffer.from(
        r.n % 2 ? `${'['.repeat(d)}${']'.repeat(d)}` : `${'{"a":'.repeat(d)}1${'}'.repeat(d)}`,
      );
    }
    case 'huge':
      // Just over the route's body limit (api/body.ts).
      return Buffer.alloc(limit + 1 + (r.n % 1000), 0x61);
    case 'not-json':
      return Buffer.from(
        pick(['{', 'nul', '{"a":1,}', "{'a':1}", '\ufeff{}', '1', '"x"', 'null', '[]'], r.n),
      );
    case 'proto':
      return Buffer.from(
        pick(
          ['{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"x":1}}}', '{"a":{"__proto__":1}}'],
          r.n,
        ),
      );
    case 'junk-text':
      return Buffer.from(r.paramText);
  }
}
