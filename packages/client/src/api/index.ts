/**
 * The node's HTTP API as one table (lodestar's `api/src/beacon/routes` is the model): the node
 * registers and validates every route from it, the client calls through it (`ApiClient.call`),
 * and `GET /v1/openapi.json` is derived from it.
 * @example
 * const api = new ApiClient(url, signer);
 * const { key, value } = await api.call(API.ledger.getState, { params: { key: 'member:…' } });
 */
import { anonymity } from './routes/anonymity.js';
import { confidentiality } from './routes/confidentiality.js';
import { enrollment } from './routes/enrollment.js';
import { cosign } from './routes/cosign.js';
import { fhirR4 } from './routes/fhir.js';
import { fl } from './routes/fl.js';
import { ledger } from './routes/ledger.js';
import { meta } from './routes/meta.js';
import { notifications } from './routes/notifications.js';
import { orgServices } from './routes/orgServices.js';
import { patients } from './routes/patients.js';
import { payments } from './routes/payments.js';
import { portal } from './routes/portal.js';
import { pharmacy } from './routes/pharmacy.js';
import { records } from './routes/records.js';
import { supply } from './routes/supply.js';
import type { NamedRoute, RouteSpec } from './route.js';

/** The version of the API the table describes (its paths start `/v1`). */
export const API_VERSION = '1';

/** Every route of the API, by domain. */
export const API = {
  ledger,
  records,
  patients,
  cosign,
  notifications,
  anonymity,
  confidentiality,
  fl,
  pharmacy,
  supply,
  payments,
  orgServices,
  enrollment,
  meta,
  fhir: fhirR4,
  portal,
} as const;

/** The domains of {@link API}. */
export type ApiDomain = keyof typeof API;

/** Every route of {@link API}, in table order. */
export const ROUTES: readonly NamedRoute[] = Object.entries(API).flatMap(([domain, routes]) =>
  Object.entries(routes as Record<string, RouteSpec>).map(([name, route]) => ({ domain, name, route })),
);

/** `METHOD path` → route: how the server finds a registered route's definition. */
export function routeKey(method: string, path: string): string {
  return `${method.toUpperCase()} ${path}`;
}

const BY_KEY = new Map(ROUTES.map((r) => [routeKey(r.route.method, r.route.path), r]));

/** The table's definition of `METHOD path` (fastify's path form), if it has one. */
export function findRoute(method: string, path: string): NamedRoute | undefined {
  return BY_KEY.get(routeKey(method, path));
}

export * from './route.js';
export * from './call.js';
export { openApiDocument, type OpenApiInfo } from './openapi.js';
export * as schemas from './schema.js';
