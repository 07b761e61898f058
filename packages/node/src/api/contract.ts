/**
 * The server's side of the API table (client/src/api): every route a server registers must be
 * in the table, and gets from it
 * - its body limit (body.ts `BODY_LIMITS`);
 * - authentication before anything else is looked at (`member`, `patient`, `peer` routes): an
 *   unauthenticated caller learns nothing of a route's shapes, and a `patient` route refuses
 *   (403) a signer who is not the patient of its path;
 * - validation of its path parameters, query and JSON body (fastify's ajv, nothing coerced,
 *   nothing removed): a refusal is 400 MALFORMED_REQUEST whose message names the field;
 * - validation of its answers against the table's schemas: an answer that does not match is a
 *   bug of the node, refused as 500 RESPONSE_INVALID rather than sent.
 * Routes the table marks `validate: false` (the FHIR facade) are only checked to be in it.
 */
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  RouteHandlerMethod,
  RouteOptions,
  onRequestHookHandler,
} from 'fastify';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { TSchema } from '@sinclair/typebox';
import {
  findRoute,
  schemas,
  type ParamsOf,
  type QueryOf,
  type BodyOf,
  type RouteSpec,
} from '@medledger/client';
import type { RequestAuthenticator } from './auth.js';
import { BODY_LIMITS } from './body.js';
import { HttpError } from './errors.js';

/** Options of {@link installContract}. */
export interface ContractOptions {
  auth: RequestAuthenticator;
  /** Check every answer against the table (default true). */
  validateResponses?: boolean;
}

const checks = new WeakMap<TSchema, TypeCheck<TSchema>>();
function checkOf(s: TSchema): TypeCheck<TSchema> {
  let c = checks.get(s);
  if (!c) checks.set(s, (c = TypeCompiler.Compile(s)));
  return c;
}

type Hook = onRequestHookHandler;
const hooks = (h: RouteOptions['preValidation']): Hook[] => [h ?? []].flat() as Hook[];

/** The authentication a route's auth kind asks for, run before validation. */
function authenticateFirst(route: RouteSpec, auth: RequestAuthenticator): Hook | undefined {
  if (route.auth === 'peer')
    return async (req) => {
      auth.authenticatePeer(req);
    };
  if (route.auth === 'org')
    return async (req) => {
      const org = auth.authenticateOrg(req);
      const named = (req.params as { org?: string }).org;
      if (named !== undefined && named !== org)
        throw new HttpError('FORBIDDEN', 'only the organization the path names may call this route');
    };
  // A route that also takes a ticket (the event stream: no body) authenticates in its handler.
  if ((route.auth !== 'member' && route.auth !== 'patient') || route.ticket) return undefined;
  return async (req: FastifyRequest) => {
    const member = auth.authenticate(req);
    if (route.auth !== 'patient') return;
    const p = req.params as { id?: string; patientId?: string };
    const patient = p.patientId ?? p.id;
    if (patient !== undefined && member.id !== patient)
      throw new HttpError('FORBIDDEN', 'only the patient the path names may call this route');
  };
}

/**
 * Makes `app` take every route's shape from the table. Call before registering routes.
 * @throws Error at registration of a route that is not in the table
 */
export function installContract(app: FastifyInstance, o: ContractOptions): void {
  const validateResponses = o.validateResponses ?? true;
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) {
      if (method === 'HEAD') continue;
      const named = findRoute(method, r.url);
      if (!named)
        throw new Error(
          `${method} ${r.url} is not in the API table: add it to packages/client/src/api/routes/`,
        );
      const route = named.route;
      if (route.validate === false) continue;
      r.bodyLimit ??= BODY_LIMITS[route.bodyLimit ?? 'default'];
      r.schema = {
        ...(route.params ? { params: route.params } : {}),
        ...(route.query ? { querystring: route.query } : {}),
        ...(route.body && route.validateBody !== false ? { body: route.body } : {}),
        ...r.schema,
      };
      const first = authenticateFirst(route, o.auth);
      if (first) r.preValidation = [first, ...hooks(r.preValidation)];
      if (validateResponses)
        r.preSerialization = [
          ...[r.preSerialization ?? []].flat(),
          async (_req, reply, payload) => {
            const status = reply.statusCode;
            const schema = status >= 400 ? schemas.ErrorBody : route.response[status];
            const where = `${route.method} ${route.path}`;
            if (!schema)
              throw new HttpError('RESPONSE_INVALID', `${where} answered ${status}, not in the API table`);
            const c = checkOf(schema);
            if (!c.Check(payload)) {
              const e = c.Errors(payload).First();
              throw new HttpError(
                'RESPONSE_INVALID',
                `the answer of ${where} (${status}) does not match the API table: ${e?.path || '/'} ${e?.message ?? ''}`,
              );
            }
            return payload;
          },
        ];
    }
  });
}

/** A request as a handler of route `R` sees it: params, query and body typed by the table. */
export type RequestOf<R extends RouteSpec> = FastifyRequest<{
  Params: ParamsOf<R>;
  Querystring: QueryOf<R>;
  Body: BodyOf<R>;
}>;

/**
 * Registers the handler of a route of the table: method and path come from the table, and
 * the handler's params, query and body are typed by it (the contract hook has validated them).
 * @example serve(app, API.ledger.status, async () => node.status())
 */
export function serve<R extends RouteSpec>(
  app: FastifyInstance,
  route: R,
  handler: (req: RequestOf<R>, reply: FastifyReply) => Promise<unknown>,
): void {
  app.route({ method: route.method, url: route.path, handler: handler as RouteHandlerMethod });
}
