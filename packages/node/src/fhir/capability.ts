/**
 * The CapabilityStatement (`GET /fhir/R4/metadata`): what the facade does, no more. Record
 * types: read, search-type (patient, category, code, date, _lastUpdated, _count) and create
 * (SPV, DSS or STT). Consent: read, search-type (patient), create, delete.
 * AuditEvent: search-type (patient). Provenance: read, search-type (target, patient).
 * Patient: only `$everything`. System: batch and transaction. Security: SMART Backend
 * Services (client_credentials, private_key_jwt) or a signed medledger request.
 */
import type { JsonValue } from '@medledger/crypto';
import { RECORD_TYPES } from './facade.js';
import { RECORD_SEARCH_PARAMS } from './search.js';

type Obj = { [k: string]: JsonValue };

const interactions = (...codes: string[]): Obj[] => codes.map((code) => ({ code }));
const params = (list: readonly { name: string; type: string }[]): Obj[] =>
  list.map((p) => ({ name: p.name, type: p.type }));

/** The CapabilityStatement of a facade served at `base` (`https://host/fhir/R4`). */
export function capabilityStatement(base: string, software: { version: string; time: number }): Obj {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date(software.time).toISOString(),
    kind: 'instance',
    software: { name: 'medledger', version: software.version },
    implementation: {
      description: 'medledger FHIR R4 facade over a permissioned healthcare ledger',
      url: base,
    },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json'],
    rest: [
      {
        mode: 'server',
        documentation:
          'Writes carry the member-signed ledger transaction in X-Medledger-Tx (the node never signs for a member). Reads go through the ledger’s read decision and are logged on the ledger. Purpose of use: X-Purpose-Of-Use (v3 ActReason).',
        security: {
          service: [
            {
              coding: [
                {
                  system: 'http://terminology.hl7.org/CodeSystem/restful-security-service',
                  code: 'SMART-on-FHIR',
                },
              ],
            },
          ],
          description:
            'SMART Backend Services: client_credentials with a private_key_jwt assertion (ES256/ES384) to the token endpoint; see .well-known/smart-configuration. A signed medledger request (x-medledger-auth) is accepted too.',
          extension: [
            {
              url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
              extension: [{ url: 'token', valueUri: `${base}/auth/token` }],
            },
          ],
        },
        resource: [
          ...RECORD_TYPES.map((type) => ({
            type,
            interaction: interactions('read', 'search-type', 'create'),
            versioning: 'no-version',
            readHistory: false,
            updateCreate: false,
            searchParam: params(RECORD_SEARCH_PARAMS),
          })),
          {
            type: 'Consent',
            interaction: interactions('read', 'search-type', 'create', 'delete'),
            searchParam: params([
              { name: 'patient', type: 'reference' },
              { name: '_count', type: 'number' },
            ]),
          },
          {
            type: 'AuditEvent',
            interaction: interactions('search-type'),
            searchParam: params([
              { name: 'patient', type: 'reference' },
              { name: '_count', type: 'number' },
            ]),
          },
          {
            type: 'Provenance',
            interaction: interactions('read', 'search-type'),
            searchParam: params([
              { name: 'target', type: 'reference' },
              { name: 'patient', type: 'reference' },
              { name: '_count', type: 'number' },
            ]),
          },
          {
            type: 'Patient',
            operation: [
              {
                name: 'everything',
                definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything',
              },
            ],
          },
        ],
        interaction: interactions('batch', 'transaction'),
      },
    ],
  };
}
