/** Record sharing: SPV, STT, DSS, erasure, the patient's log (node/src/api/routes/records.ts). */
import { route } from '../route.js';
import { Hex64, Obj, Open, Params, Receipt, SignedTx, Text, Type } from '../schema.js';

/**
 * A record as the node's record index lists it to its patient: where and how it is held, never
 * its content (node records/recordIndex.ts `IndexedRecord`).
 */
export const IndexedRecord = Open({
  recordId: Type.String(),
  mode: Type.Union([Type.Literal('dss'), Type.Literal('spv'), Type.Literal('stt')]),
  subject: Type.String(),
  category: Type.String(),
  resourceType: Type.String(),
  /** The writing organization. */
  org: Type.String(),
  /** SPV and STT: the organization whose store holds the record. */
  holder: Type.Optional(Type.String()),
  txId: Hex64,
  height: Type.Integer({ minimum: 1 }),
  /** Block time, ms since the epoch. */
  time: Type.Integer({ minimum: 0 }),
  /** Height of the erasure, if erased. */
  erasedAt: Type.Optional(Type.Integer({ minimum: 1 })),
});

export const records = {
  uploadSpv: route({
    method: 'POST',
    path: '/v1/spv/records',
    auth: 'member',
    summary:
      'a doctor of this organization uploads an SPV record (FHIR resource and salt): its commitment for `record.spv`',
    body: Type.Object({
      recordId: Type.String(),
      patient: Type.String(),
      resource: Obj,
      salt: Type.String(),
    }),
    validateBody: false,
    signedBody: true,
    bodyLimit: 'record',
    response: { 201: Obj },
  }),
  spvRecord: route({
    method: 'GET',
    path: '/v1/access/:txId/record',
    auth: 'member',
    summary: 'the SPV record of an allowed `access.request`, to its requester',
    params: Params({ txId: Hex64 }),
    response: { 200: Obj },
  }),
  spvRecords: route({
    method: 'POST',
    path: '/v1/access/records',
    auth: 'member',
    summary:
      'the SPV records of up to 256 `access.request`s of the requester, one answer per request (a record, or the code that refused it); each served record logged',
    body: Type.Object(
      { txIds: Type.Array(Hex64, { minItems: 1, maxItems: 256 }) },
      { additionalProperties: false },
    ),
    signedBody: true,
    response: { 200: Type.Object({ results: Type.Array(Obj), envelope: Type.Optional(Obj) }) },
  }),
  putReleaseKey: route({
    method: 'PUT',
    path: '/v1/stt/release-keys/:recordId',
    auth: 'member',
    summary: "an STT sender in the patient's care team keeps a record's release key",
    params: Params({ recordId: Text }),
    body: Type.Object({ key: Type.String(), patient: Type.String() }),
    validateBody: false,
    signedBody: true,
    response: { 201: Open({ recordId: Type.String(), pendingUntil: Type.Unknown() }) },
  }),
  releaseKey: route({
    method: 'GET',
    path: '/v1/access/:txId/release',
    auth: 'member',
    summary: 'the STT release key of an allowed `access.request`, to its receiver',
    params: Params({ txId: Hex64 }),
    response: { 200: Obj },
  }),
  readDss: route({
    method: 'GET',
    path: '/v1/dss/records/:recordId',
    auth: 'member',
    summary: 'a DSS record, read by any member for a purpose (default treatment) and logged on the ledger',
    params: Params({ recordId: Text }),
    query: Type.Object({ purpose: Type.Optional(Text) }, { additionalProperties: true }),
    response: { 200: Obj },
  }),
  erase: route({
    method: 'POST',
    path: '/v1/records/:recordId/erase',
    auth: 'member',
    summary:
      'the patient erases a record with a signed `record.erase` (?wait=<ms>); DSS records cannot be erased (422)',
    params: Params({ recordId: Text }),
    query: Type.Object({ wait: Type.Optional(Text) }, { additionalProperties: true }),
    body: Type.Object({ tx: SignedTx }),
    validateBody: false,
    signedBody: true,
    response: { 200: Open({ txId: Type.String(), receipt: Type.Optional(Receipt) }) },
  }),
  accessLog: route({
    method: 'GET',
    path: '/v1/patients/:id/access-log',
    auth: 'patient',
    summary: "the patient's access log (?after=<seq>)",
    params: Params({ id: Text }),
    query: Type.Object({ after: Type.Optional(Text) }, { additionalProperties: true }),
    response: { 200: Type.Object({ entries: Type.Array(Obj) }) },
  }),
  patientRecords: route({
    method: 'GET',
    path: '/v1/patients/:id/records',
    auth: 'patient',
    summary: "the patient's records",
    params: Params({ id: Text }),
    response: { 200: Type.Object({ records: Type.Array(IndexedRecord) }) },
  }),
  patientConsents: route({
    method: 'GET',
    path: '/v1/patients/:id/consents',
    auth: 'patient',
    summary: "the patient's consent grants, oldest first (revoked ones too, with revokedAtHeight)",
    params: Params({ id: Text }),
    response: { 200: Type.Object({ grants: Type.Array(Obj) }) },
  }),
  putStudyKey: route({
    method: 'PUT',
    path: '/v1/patients/:id/study-keys/:grantId',
    auth: 'patient',
    summary: 'the patient releases the study key of a grant with linkage',
    params: Params({ id: Text, grantId: Text }),
    body: Type.Object({ studyKey: Type.String() }),
    validateBody: false,
    signedBody: true,
    response: { 201: Obj },
  }),
  bySubject: route({
    method: 'GET',
    path: '/v1/records',
    auth: 'member',
    summary: "an episode's records by pseudonym (?subject=), each listed logged as read",
    query: Type.Object({ subject: Text }, { additionalProperties: true }),
    response: { 200: Type.Object({ records: Type.Array(Obj) }) },
  }),
} as const;
