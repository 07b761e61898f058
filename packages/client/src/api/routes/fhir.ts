/**
 * The FHIR R4 facade under `/fhir/R4` (node/src/api/routes/fhir.ts). Documented here; the
 * facade validates resources against the R4 definitions itself and answers every error as an
 * OperationOutcome, so the server does not validate these routes from the table.
 */
import { route } from '../route.js';
import { Obj, Params, Text, Type } from '../schema.js';

const fhir = <const T extends Parameters<typeof route>[0]>(r: T): T =>
  route({ ...r, validate: false, produces: 'application/fhir+json' } as T);

export const fhirR4 = {
  metadata: fhir({
    method: 'GET',
    path: '/fhir/R4/metadata',
    auth: 'public',
    summary: 'the CapabilityStatement',
    response: { 200: Obj },
  }),
  smartConfiguration: fhir({
    method: 'GET',
    path: '/fhir/R4/.well-known/smart-configuration',
    auth: 'public',
    summary: 'SMART Backend Services discovery',
    response: { 200: Obj },
  }),
  token: fhir({
    method: 'POST',
    path: '/fhir/R4/auth/token',
    auth: 'public',
    summary: 'client_credentials grant with a private_key_jwt assertion (ES256/ES384) → access token',
    consumes: 'application/x-www-form-urlencoded',
    body: Type.Object({
      grant_type: Type.String(),
      scope: Type.String(),
      client_assertion_type: Type.String(),
      client_assertion: Type.String(),
    }),
    response: { 200: Obj },
  }),
  registerClient: fhir({
    method: 'POST',
    path: '/fhir/R4/auth/clients',
    auth: 'member',
    summary: "register a JWKS bound to the member's certificate → {client_id}",
    body: Obj,
    response: { 200: Obj, 201: Obj },
  }),
  everything: fhir({
    method: 'GET',
    path: '/fhir/R4/Patient/:id/$everything',
    auth: 'smart',
    summary: "the patient's records the requester may read (a Bundle)",
    params: Params({ id: Text }),
    response: { 200: Obj },
  }),
  read: fhir({
    method: 'GET',
    path: '/fhir/R4/:type/:id',
    auth: 'smart',
    summary: 'read a resource (records, Consent, Provenance)',
    params: Params({ type: Text, id: Text }),
    response: { 200: Obj },
  }),
  search: fhir({
    method: 'GET',
    path: '/fhir/R4/:type',
    auth: 'smart',
    summary: 'search (patient, category, code, date, _lastUpdated, _count; paging through Bundle links)',
    params: Params({ type: Text }),
    query: Type.Record(Type.String(), Type.String()),
    response: { 200: Obj },
  }),
  create: fhir({
    method: 'POST',
    path: '/fhir/R4/:type',
    auth: 'smart',
    summary: 'create a record (DSS, SPV or STT by meta.tag; SPV by default) or a Consent',
    params: Params({ type: Text }),
    consumes: 'application/fhir+json',
    body: Obj,
    response: { 201: Obj },
  }),
  deleteConsent: fhir({
    method: 'DELETE',
    path: '/fhir/R4/Consent/:id',
    auth: 'smart',
    summary: 'revoke a Consent (`consent.revoke`)',
    params: Params({ id: Text }),
    response: { 200: Obj, 204: Type.Null() },
  }),
  bundle: fhir({
    method: 'POST',
    path: '/fhir/R4',
    auth: 'smart',
    summary: 'a Bundle of type batch or transaction',
    consumes: 'application/fhir+json',
    body: Obj,
    response: { 200: Obj },
  }),
} as const;
