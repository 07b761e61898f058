/**
 * The OpenAPI 3.1 document of the API, derived from the route table: one operation per route,
 * with its parameters, body and answers as the JSON Schemas the node validates with (OpenAPI
 * 3.1 schemas are JSON Schema 2020-12), its auth as a security requirement, and every error as
 * `{ code, message }`.
 */
import type { TSchema } from '@sinclair/typebox';
import { ErrorBody } from './schema.js';
import { openApiPath, type NamedRoute, type RouteAuth, type RouteSpec } from './route.js';

/** What the document says of itself. */
export interface OpenApiInfo {
  version: string;
  title?: string;
  description?: string;
  /** Where the API is reached (default: relative to the document). */
  servers?: { url: string }[];
}

type Json = Record<string, unknown>;

/** A schema as plain JSON (TypeBox's symbol keys dropped). */
function plain(s: TSchema): Json {
  return JSON.parse(JSON.stringify(s)) as Json;
}

const SECURITY: Record<RouteAuth, Json[]> = {
  public: [],
  tx: [],
  anonymous: [],
  member: [{ signedRequest: [] }],
  patient: [{ signedRequest: [] }],
  peer: [{ peerSignedRequest: [] }],
  org: [{ orgSignedRequest: [] }],
  optional: [{}, { signedRequest: [] }],
  smart: [{ smartToken: [] }, { signedRequest: [] }],
};

const AUTH_TEXT: Record<RouteAuth, string> = {
  public: 'public',
  tx: 'public: the signed transaction in the body authenticates itself',
  anonymous: 'anonymous: the presentation or anonymous signature in the body authenticates',
  member: 'a signed request of an enrolled, unrevoked member',
  patient: 'a signed request of the patient the path names',
  peer: "a request signed by a consortium node's key",
  org: 'a request signed by the root key of the organization the path names',
  optional: 'public; a signed request may wait longer',
  smart: 'a SMART access token or a signed request',
};

function parameters(r: RouteSpec): Json[] {
  const out: Json[] = [];
  for (const [where, schema] of [
    ['path', r.params],
    ['query', r.query],
  ] as const) {
    const s = schema ? plain(schema) : undefined;
    const props = (s?.properties ?? {}) as Record<string, Json>;
    const required = new Set((s?.required ?? []) as string[]);
    for (const [name, p] of Object.entries(props))
      out.push({ name, in: where, required: where === 'path' || required.has(name), schema: p });
  }
  return out;
}

function operation(n: NamedRoute): Json {
  const r = n.route;
  const responses: Json = {};
  for (const [status, schema] of Object.entries(r.response)) {
    const description = `${status === '204' ? 'no content' : 'success'}`;
    responses[status] =
      status === '204'
        ? { description }
        : { description, content: { [r.produces ?? 'application/json']: { schema: plain(schema) } } };
  }
  responses.default = {
    description: 'an error: `{ code, message }` (FHIR routes: an OperationOutcome)',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  };
  const params = parameters(r);
  return {
    operationId: `${n.domain}.${n.name}`,
    tags: [n.domain],
    summary: r.summary,
    description: `Auth: ${AUTH_TEXT[r.auth]}.${r.validateBody === false ? ' The body is checked by the domain code, which names the field it refuses.' : ''}`,
    'x-medledger-auth': r.auth,
    security: SECURITY[r.auth],
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(r.body
      ? {
          requestBody: {
            required: true,
            content: { [r.consumes ?? 'application/json']: { schema: plain(r.body) } },
          },
        }
      : {}),
    responses,
  };
}

/**
 * The OpenAPI 3.1 document of `routes`.
 * @example openApiDocument(ROUTES, { version: '0.1.0' })
 */
export function openApiDocument(routes: readonly NamedRoute[], info: OpenApiInfo): Json {
  const paths: Record<string, Json> = {};
  for (const n of routes) {
    const p = (paths[openApiPath(n.route.path)] ??= {});
    p[n.route.method.toLowerCase()] = operation(n);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: info.title ?? 'medledger node API',
      version: info.version,
      description:
        info.description ??
        'The HTTP API of a medledger node. Every error answer is `{ code, message }`. Signed requests: see the `x-medledger-auth` header.',
      license: { name: 'GPL-3.0-or-later', identifier: 'GPL-3.0-or-later' },
    },
    ...(info.servers ? { servers: info.servers } : {}),
    tags: [...new Set(routes.map((n) => n.domain))].map((name) => ({ name })),
    paths,
    components: {
      schemas: { Error: plain(ErrorBody) },
      securitySchemes: {
        signedRequest: {
          type: 'apiKey',
          in: 'header',
          name: 'x-medledger-auth',
          description:
            '`<memberId>.<ts>.<sig>`: a P-256 signature by the member over the method, path and query, exact body bytes, time, chain and node (client/src/auth.ts)',
        },
        peerSignedRequest: {
          type: 'apiKey',
          in: 'header',
          name: 'x-medledger-auth',
          description: "`node:<org>.<ts>.<sig>`: the same, signed by a consortium node's key",
        },
        orgSignedRequest: {
          type: 'apiKey',
          in: 'header',
          name: 'x-medledger-auth',
          description: "`org:<org>.<ts>.<sig>`: the same, signed by an organization's root key",
        },
        smartToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      },
    },
  };
}
