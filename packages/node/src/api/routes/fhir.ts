/**
 * The FHIR R4 facade (`application/fhir+json`), everything under /fhir/R4:
 *   GET    /metadata                          public: the CapabilityStatement
 *   GET    /.well-known/smart-configuration   public: SMART Backend Services discovery
 *   POST   /auth/token                        public (the assertion authenticates): client_credentials
 *   POST   /auth/clients                      member (signed request): register a JWKS → {client_id}
 *   GET    /:type/:id                         read (records, Consent, Provenance)
 *   GET    /:type                             search (records, Consent, AuditEvent, Provenance)
 *   GET    /Patient/:id/$everything           the patient's records the requester may read
 *   POST   /:type                             create (records: DSS or SPV; Consent)
 *   DELETE /Consent/:id                       revoke
 *   POST   /                                  Bundle batch or transaction
 * Authentication: `Authorization: Bearer <SMART access token>` or a signed medledger request
 * (`x-medledger-auth`, all scopes). Every error is an OperationOutcome (the token endpoint's
 * are OAuth errors, RFC 6749 §5.2), its status chosen by `statusOf`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isLedgerError } from '@medledger/core';
import { ALL_SCOPES } from '../../fhir/scopes.js';
import { purposeOf, type FhirRequester } from '../../fhir/context.js';
import { capabilityStatement } from '../../fhir/capability.js';
import { processBundle } from '../../fhir/bundle.js';
import type { FhirFacade } from '../../fhir/facade.js';
import { outcomeOf, type PathIssue } from '../../fhir/outcome.js';
import type { SearchPage } from '../../fhir/search.js';
import { ASSERTION_ALGS, type SmartAuthority, type TokenRequest } from '../../fhir/smart.js';
import { RequestAuthenticator } from '../auth.js';
import { BODY_LIMITS, type RequestWithRawBody } from '../body.js';
import { HttpError, statusOf } from '../errors.js';
import type { ServerPlugin } from '../server.js';

/** Options of {@link fhirRoutes}. */
export interface FhirRoutesOptions {
  facade: FhirFacade;
  smart: SmartAuthority;
  auth: RequestAuthenticator;
  /** The URL clients reach the node at (e.g. `https://node.example`); default from the request. */
  publicUrl?: string;
  version?: string;
}

const FHIR_JSON = 'application/fhir+json; charset=utf-8';
const PREFIX = '/fhir/R4';
type Obj = Record<string, unknown>;
type Query = Record<string, string | string[] | undefined>;

function errorParts(e: unknown): { status: number; code: string; message: string; issues: PathIssue[] } {
  if (e instanceof HttpError || isLedgerError(e)) {
    const code = e.code;
    const issues = isLedgerError(e) ? ((e.meta as { issues?: PathIssue[] }).issues ?? []) : [];
    return { status: statusOf(code), code, message: e.message, issues };
  }
  const err = e as { statusCode?: number; message?: string };
  if (err.statusCode && err.statusCode < 500)
    return {
      status: err.statusCode,
      code: 'MALFORMED_REQUEST',
      message: err.message ?? 'bad request',
      issues: [],
    };
  return { status: 500, code: 'INTERNAL', message: 'internal error', issues: [] };
}

const OAUTH_ERROR: Record<string, string> = {
  SMART_INVALID_CLIENT: 'invalid_client',
  SMART_INVALID_SCOPE: 'invalid_scope',
  SMART_UNSUPPORTED_GRANT: 'unsupported_grant_type',
};

/**
 * The FHIR facade's routes as a server plugin.
 * @example buildServer(node, { plugins: [fhirRoutes({ facade, smart, auth })] })
 */
export function fhirRoutes(o: FhirRoutesOptions): ServerPlugin {
  const { facade, smart, auth } = o;
  return (root) => {
    void root.register(
      async (app) => {
        // As api/body.ts does for application/json: exact bytes kept (signed requests cover
        // them), strict UTF-8, fastify's own JSON parser (no __proto__ / constructor.prototype).
        const parseJson = app.getDefaultJsonParser('error', 'error');
        app.addContentTypeParser('application/fhir+json', { parseAs: 'buffer' }, (req, body, done) => {
          (req as RequestWithRawBody).rawBody = body as Buffer;
          let text: string;
          try {
            text = new TextDecoder('utf-8', { fatal: true }).decode(body as Buffer);
          } catch {
            return done(new HttpError('INVALID_UTF8', 'body is not valid UTF-8'), undefined);
          }
          if (text.length === 0) return done(null, undefined);
          parseJson(req, text, (err, value) =>
            err
              ? done(new HttpError('MALFORMED_REQUEST', `body is not valid JSON: ${err.message}`), undefined)
              : done(null, value),
          );
        });
        app.addContentTypeParser(
          'application/x-www-form-urlencoded',
          { parseAs: 'string' },
          (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
        );
        const send = (reply: FastifyReply, status: number, body: unknown): FastifyReply =>
          reply.status(status).type(FHIR_JSON).send(JSON.stringify(body));
        app.setErrorHandler((e, _req, reply) => {
          const { status, code, message, issues } = errorParts(e);
          return send(reply, status, outcomeOf(code, message, issues));
        });
        app.setNotFoundHandler((req, reply) =>
          send(
            reply,
            404,
            outcomeOf(
              'NOT_FOUND',
              `no FHIR interaction ${req.method} ${new URL(req.url, 'http://x').pathname}`,
            ),
          ),
        );

        const base = (req: FastifyRequest): string =>
          `${o.publicUrl ?? `${req.protocol}://${req.host}`}${PREFIX}`;
        const who = (req: FastifyRequest): FhirRequester => {
          const p = req.headers['x-purpose-of-use'];
          const purpose = purposeOf(typeof p === 'string' ? p : undefined);
          const authz = req.headers.authorization;
          if (typeof authz === 'string' && /^Bearer\s+/i.test(authz)) {
            const g = smart.authenticate(authz.replace(/^Bearer\s+/i, '').trim());
            return { member: g.member, scopes: g.scopes, purpose };
          }
          if (RequestAuthenticator.hasCredential(req))
            return { member: auth.authenticate(req), scopes: ALL_SCOPES, purpose };
          throw new HttpError(
            'UNAUTHENTICATED',
            'the FHIR facade needs a SMART access token (Authorization: Bearer) or a signed request (x-medledger-auth)',
          );
        };
        const header = (req: FastifyRequest, name: string): string | undefined => {
          const v = req.headers[name];
          return typeof v === 'string' ? v : undefined;
        };
        const writeHeaders = (req: FastifyRequest) => ({
          tx: header(req, 'x-medledger-tx'),
          salt: header(req, 'x-medledger-salt'),
          releaseKey: header(req, 'x-medledger-release-key'),
          architecture: header(req, 'x-medledger-architecture'),
        });
        const searchset = (req: FastifyRequest, path: string, q: Query, page: SearchPage): Obj => {
          const url = (offset: number): string => {
            const s = new URLSearchParams();
            for (const [k, v] of Object.entries(q))
              if (k !== '_offset' && v !== undefined) for (const x of [v].flat()) s.append(k, x);
            s.set('_count', String(page.count));
            s.set('_offset', String(offset));
            return `${base(req)}/${path}?${s.toString()}`;
          };
          const link = [{ relation: 'self', url: url(page.offset) }];
          if (page.offset + page.count < page.total)
            link.push({ relation: 'next', url: url(page.offset + page.count) });
          if (page.offset > 0)
            link.push({ relation: 'previous', url: url(Math.max(0, page.offset - page.count)) });
          return {
            resourceType: 'Bundle',
            type: 'searchset',
            total: page.total,
            link,
            entry: page.resources.map((r) => ({
              fullUrl: `${base(req)}/${String(r['resourceType'])}/${String(r['id'])}`,
              resource: r,
              search: { mode: 'match' },
            })),
          };
        };

        app.get('/metadata', async (req, reply) =>
          send(
            reply,
            200,
            capabilityStatement(base(req), { version: o.version ?? '0.1.0', time: facade.ctx.now() }),
          ),
        );
        app.get('/.well-known/smart-configuration', async (req, reply) =>
          reply.type('application/json').send({
            token_endpoint: `${base(req)}/auth/token`,
            registration_endpoint: `${base(req)}/auth/clients`,
            token_endpoint_auth_methods_supported: ['private_key_jwt'],
            token_endpoint_auth_signing_alg_values_supported: [...ASSERTION_ALGS],
            grant_types_supported: ['client_credentials'],
            scopes_supported: [
              'system/*.read',
              'system/*.rs',
              'system/*.cruds',
              'user/*.read',
              'patient/*.read',
              'patient/*.rs',
            ],
            capabilities: ['client-confidential-asymmetric', 'permission-v1', 'permission-v2'],
          }),
        );
        app.post('/auth/token', async (req, reply) => {
          try {
            const r = await smart.token((req.body ?? {}) as TokenRequest, `${base(req)}/auth/token`);
            return await reply.header('cache-control', 'no-store').type('application/json').send(r);
          } catch (e) {
            const { code, message, status } = errorParts(e);
            return reply
              .status(status === 401 ? 401 : status >= 500 ? 500 : 400)
              .header('cache-control', 'no-store')
              .type('application/json')
              .send({ error: OAUTH_ERROR[code] ?? 'invalid_request', error_description: message });
          }
        });
        app.post('/auth/clients', async (req, reply) =>
          reply
            .status(201)
            .type('application/json')
            .send(await smart.register(auth.authenticate(req), req.body)),
        );

        app.get('/Patient/:id/$everything', async (req, reply) => {
          const w = who(req);
          const { id } = req.params as { id: string };
          const q = req.query as Query;
          return send(
            reply,
            200,
            searchset(
              req,
              `Patient/${encodeURIComponent(id)}/$everything`,
              q,
              await facade.everything(w, id, q),
            ),
          );
        });
        app.get('/:type/:id', async (req, reply) => {
          const w = who(req);
          const { type, id } = req.params as { type: string; id: string };
          return send(reply, 200, await facade.read(w, type, id));
        });
        app.get('/:type', async (req, reply) => {
          const w = who(req);
          const { type } = req.params as { type: string };
          const q = req.query as Query;
          return send(reply, 200, searchset(req, type, q, await facade.search(w, type, q)));
        });
        app.post('/:type', { bodyLimit: BODY_LIMITS.record }, async (req, reply) => {
          const w = who(req);
          const { type } = req.params as { type: string };
          const r = await facade.create(w, type, req.body, writeHeaders(req));
          return send(reply.header('location', `${base(req)}/${r.location ?? ''}`), r.status, r.resource);
        });
        app.delete('/Consent/:id', async (req, reply) => {
          const w = who(req);
          const { id } = req.params as { id: string };
          return send(reply, 200, await facade.deleteConsent(w, id, writeHeaders(req)));
        });
        app.post('/', { bodyLimit: BODY_LIMITS.record }, async (req, reply) => {
          const w = who(req);
          const body = req.body as Obj | undefined;
          if (body?.['resourceType'] !== 'Bundle')
            throw new HttpError('MALFORMED_REQUEST', 'POST to the base takes a batch or transaction Bundle');
          const out = await processBundle(facade, w, body as never, base(req), {
            searchset: (type, q, page) => searchset(req, type, q, page) as never,
            error: (e) => {
              const { status, code, message, issues } = errorParts(e);
              return { status, outcome: outcomeOf(code, message, issues) };
            },
          });
          return send(reply, 200, out);
        });
      },
      { prefix: PREFIX },
    );
  };
}
