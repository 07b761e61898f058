/**
 * What a route of the node's HTTP API is: its method, path, who may call it, and the JSON
 * Schemas of its path parameters, query, body and answers. The node registers and validates
 * every `/v1` route from these definitions (node/src/api/contract.ts), the client builds its
 * calls from them (call.ts), and the OpenAPI document is derived from them (openapi.ts): the
 * shape of an endpoint is written once, here.
 */
import type { Static, TSchema } from '@sinclair/typebox';

/**
 * Who may call a route:
 * - `public`: anyone;
 * - `member`: a signed request (`x-medledger-auth`, auth.ts) of an enrolled, unrevoked member;
 * - `patient`: a signed request of the patient the path names;
 * - `peer`: a request signed by a consortium node's key (`node:<org>`);
 * - `org`: a request signed by the root key of the organization the path names (`org:<org>`),
 *   which its administrators hold (never the node);
 * - `optional`: anyone; a signed request may wait longer (`?wait=`);
 * - `tx`: the body carries a signed transaction, which authenticates itself;
 * - `anonymous`: a presentation or an anonymous signature in the body authenticates;
 * - `smart`: a SMART Backend Services access token or a signed request (the FHIR facade).
 */
export type RouteAuth =
  'public' | 'member' | 'patient' | 'peer' | 'org' | 'optional' | 'tx' | 'anonymous' | 'smart';

/** The auth kinds whose requests the client signs (when it has a signer). */
export const SIGNED_AUTH: ReadonlySet<RouteAuth> = new Set([
  'member',
  'patient',
  'peer',
  'org',
  'optional',
  'smart',
]);

/** The body size classes a node knows (node/src/api/body.ts `BODY_LIMITS`). */
export type BodyLimit = 'small' | 'default' | 'tx' | 'batch' | 'record';

/** A route of the API. */
export interface RouteSpec {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path with `:name` parameters, as fastify writes it. */
  path: string;
  auth: RouteAuth;
  /** One line for the docs page. */
  summary: string;
  /** Object schema of the path parameters (every value is a string). */
  params?: TSchema;
  /** Object schema of the query (every value is a string: nothing is coerced). */
  query?: TSchema;
  /** `patient` routes: the request may instead carry a single-use `?ticket=` (EventSource). */
  ticket?: true;
  /** Schema of the JSON body. */
  body?: TSchema;
  /**
   * `false`: the body's schema documents it, but the domain code checks it and answers with
   * its own codes (a signed transaction: core `parseTx`, 400 MALFORMED_TX naming the field).
   */
  validateBody?: false;
  /** The signature of a signed request covers these exact body bytes (api/body.ts keeps them). */
  signedBody?: true;
  /** Body size class (default `default`). */
  bodyLimit?: BodyLimit;
  /** Media type of the success answers (default `application/json`). */
  produces?:
    | 'application/json'
    | 'text/event-stream'
    | 'text/html'
    | 'application/fhir+json'
    | 'application/octet-stream';
  /** Media type of the body (default `application/json`). */
  consumes?: 'application/json' | 'application/fhir+json' | 'application/x-www-form-urlencoded';
  /** Schemas of the answers by status (2xx; errors are `{ code, message }`, `ErrorBody`). */
  response: Record<number, TSchema>;
  /**
   * `false`: the table documents the route but the server does not validate it from the
   * table (the FHIR facade, which checks resources against the R4 definitions itself and
   * answers every error as an OperationOutcome).
   */
  validate?: false;
}

/** A route of the table with its domain and name (`ledger.getTx`). */
export interface NamedRoute {
  domain: string;
  name: string;
  route: RouteSpec;
}

/** Declares a route, keeping its literal types. */
export function route<const T extends RouteSpec>(spec: T): T {
  return spec;
}

type StaticOr<S, D> = S extends TSchema ? Static<S> : D;

/** The path parameters of a route. */
export type ParamsOf<R extends RouteSpec> = StaticOr<R['params'], undefined>;
/** The query of a route. */
export type QueryOf<R extends RouteSpec> = StaticOr<R['query'], undefined>;
/** The body of a route. */
export type BodyOf<R extends RouteSpec> = StaticOr<R['body'], undefined>;
/** What a route answers on success (the union over its 2xx statuses). */
export type ResponseOf<R extends RouteSpec> = {
  [K in keyof R['response']]: K extends 200 | 201 | 202 | 204 ? StaticOr<R['response'][K], never> : never;
}[keyof R['response']];

type Opt<K extends string, T> = undefined extends T
  ? { [P in K]?: T }
  : object extends T
    ? { [P in K]?: T | undefined }
    : { [P in K]: T };

/** The arguments of a call of route `R`: only the parts it has, required where they are. */
export type ArgsOf<R extends RouteSpec> = Opt<'params', ParamsOf<R>> &
  Opt<'query', QueryOf<R>> &
  Opt<'body', BodyOf<R>>;

/** `/v1/txs/:id` → `/v1/txs/{id}` (OpenAPI's form). */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_$]+)/g, '{$1}');
}

/**
 * The path of a call: parameters substituted, each URI-encoded, and the query appended
 * (undefined values left out, in the order given).
 * @throws Error if a parameter of the path is missing
 */
export function pathOf(r: Pick<RouteSpec, 'path'>, params?: object, query?: object): string {
  const p = (params ?? {}) as Record<string, unknown>;
  const path = r.path.replace(/:([A-Za-z0-9_$]+)/g, (_, name: string) => {
    const v = p[name];
    if (v === undefined || v === null) throw new Error(`${r.path}: missing path parameter ${name}`);
    return encodeURIComponent(String(v));
  });
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries((query ?? {}) as Record<string, unknown>))
    if (v !== undefined) q.append(k, String(v));
  return q.size > 0 ? `${path}?${q.toString()}` : path;
}
