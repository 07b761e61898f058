/**
 * The FHIR R4 facade's services: what each interaction does, in the ledger's terms. The route
 * (api/routes/fhir.ts) authenticates, parses and answers; this class decides nothing by
 * itself: reads go through readRecord.ts (the ledger's read rule and access log), writes
 * through the member's signed transactions (write.ts), Consents through consent.ts.
 */
import { canonicalBytes, type JsonValue } from '@medledger/crypto';
import { getGrant, getGrants, getRecord, granteeMatches, type Grant } from '@medledger/core';
import { SUPPORTED_RESOURCE_TYPES, validateFhirRecord, validateFhirResource } from '../records/fhir.js';
import type { RecordServices } from '../records/services.js';
import { auditEventOf, isReadEntry } from './audit.js';
import { consentToTerms, grantToConsent } from './consent.js';
import type { FhirContext, FhirRequester } from './context.js';
import { fhirError, informationOutcome, type OperationOutcome } from './outcome.js';
import { provenanceOf } from './provenance.js';
import { readRecord, recordOf, recordResource } from './readRecord.js';
import { requireAnyScope, requireScope } from './scopes.js';
import { patientParam, recordsOfPatient, searchRecords, type SearchPage } from './search.js';
import {
  architectureOf,
  checkSpvTx,
  checkSttTx,
  commitWrites,
  releaseKeyOf,
  txOf,
  type PreparedWrite,
  type WriteHeaders,
} from './write.js';

export type { PreparedWrite } from './write.js';

type Obj = { [k: string]: JsonValue };
type Query = Record<string, string | string[] | undefined>;

/** Record resource types the facade reads, searches and creates. */
export const RECORD_TYPES: readonly string[] = SUPPORTED_RESOURCE_TYPES.filter((t) => t !== 'Bundle');

/** Options of {@link FhirFacade}. */
export interface FhirFacadeOptions {
  records: RecordServices;
  now?: () => number;
  /** How long a write waits for its transaction (default 10 s). */
  commitWaitMs?: number;
}

function one(q: Query, name: string): string | undefined {
  const v = q[name];
  if (Array.isArray(v)) throw fhirError('MALFORMED_REQUEST', `${name} may be given once`);
  return v;
}

function page(q: Query, items: Obj[]): SearchPage {
  const count = Math.min(Number(one(q, '_count') ?? 20), 100);
  const offset = Number(one(q, '_offset') ?? 0);
  if (!Number.isSafeInteger(count) || count < 0 || !Number.isSafeInteger(offset) || offset < 0)
    throw fhirError('MALFORMED_REQUEST', '_count and _offset must be non-negative integers');
  return { total: items.length, offset, count, resources: items.slice(offset, offset + count) };
}

function only(q: Query, allowed: string[]): void {
  for (const k of Object.keys(q))
    if (![...allowed, '_count', '_offset', '_format'].includes(k))
      throw fhirError('MALFORMED_REQUEST', `search parameter ${k.slice(0, 64)} is not supported here`);
}

/** The FHIR facade of one node. */
export class FhirFacade {
  readonly ctx: FhirContext;

  constructor(o: FhirFacadeOptions) {
    this.ctx = { records: o.records, now: o.now ?? Date.now, commitWaitMs: o.commitWaitMs ?? 10_000 };
  }

  get #state() {
    return this.ctx.records.node.store;
  }

  /** `GET [type]/[id]`. */
  async read(who: FhirRequester, type: string, id: string): Promise<Obj> {
    if (type === 'Consent') return this.readConsent(who, id);
    if (type === 'Provenance') {
      const r = getRecord(this.#state, id);
      if (!r) throw fhirError('NOT_FOUND', 'no Provenance with this id');
      requireScope(who.scopes, 'Provenance', 'r', who.member.id, r.patientId);
      return provenanceOf(this.ctx.records.node, r);
    }
    if (!RECORD_TYPES.includes(type))
      throw fhirError('FHIR_NOT_SUPPORTED', `read of ${type} is not supported`);
    const r = recordOf(this.ctx, type, id);
    requireScope(who.scopes, type, 'r', who.member.id, r.patientId);
    await this.ctx.records.sync();
    return (await readRecord(this.ctx, who, r)).resource;
  }

  /** `GET [type]?...`. */
  async search(who: FhirRequester, type: string, q: Query): Promise<SearchPage> {
    requireAnyScope(who.scopes, type, 's');
    await this.ctx.records.sync();
    if (type === 'Consent') return this.#searchConsent(who, q);
    if (type === 'AuditEvent') return this.#searchAudit(who, q);
    if (type === 'Provenance') return this.#searchProvenance(who, q);
    if (!RECORD_TYPES.includes(type))
      throw fhirError('FHIR_NOT_SUPPORTED', `search of ${type} is not supported`);
    return searchRecords(this.ctx, who, [type], q, patientParam(one(q, 'patient')));
  }

  /** `GET Patient/[id]/$everything`: every record of the patient the requester may read. */
  async everything(who: FhirRequester, patient: string, q: Query): Promise<SearchPage> {
    await this.ctx.records.sync();
    only(q, []);
    return searchRecords(this.ctx, who, RECORD_TYPES, q, patientParam(patient));
  }

  /** `POST [type]`: checks, then commits ({@link commitWrites}). */
  async create(
    who: FhirRequester,
    type: string,
    body: unknown,
    h: WriteHeaders,
  ): Promise<{ status: number; resource: Obj; location?: string }> {
    return (await this.commit([this.prepareCreate(who, type, body, h)]))[0]!;
  }

  /** `DELETE Consent/[id]`: checks, then commits. */
  async deleteConsent(who: FhirRequester, id: string, h: WriteHeaders): Promise<OperationOutcome> {
    return (await this.commit([this.prepareDeleteConsent(who, id, h)]))[0]!;
  }

  /** Commits prepared writes together ({@link commitWrites}). */
  commit<R>(writes: readonly PreparedWrite<R>[]): Promise<R[]> {
    return commitWrites(this.ctx, writes);
  }

  /** `POST [type]`: checks everything, returns the write to run. */
  prepareCreate(who: FhirRequester, type: string, body: unknown, h: WriteHeaders): PreparedWrite {
    requireAnyScope(who.scopes, type, 'c');
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw fhirError('INVALID_RESOURCE', 'the body must be a FHIR resource', [
        { path: '(root)', message: 'must be a JSON object' },
      ]);
    const resource = body as Obj;
    if (resource['resourceType'] !== type)
      throw fhirError('INVALID_RESOURCE', `the body must be a ${type}`, [
        { path: 'resourceType', message: `must be ${type}` },
      ]);
    if (type === 'Consent') return this.#prepareConsent(who, resource, h);
    if (!RECORD_TYPES.includes(type))
      throw fhirError('FHIR_NOT_SUPPORTED', `create of ${type} is not supported`);
    const v = validateFhirRecord(resource);
    if (!v.ok)
      throw fhirError('INVALID_RESOURCE', `the ${type} is not valid FHIR R4 for medledger`, v.issues);
    const arch = architectureOf(resource, h.architecture);
    const tx = txOf(h.tx, `record.${arch}`);
    const p = tx.body.payload;
    const recordId = p['recordId'];
    const patient = p['patient'];
    if (typeof recordId !== 'string' || typeof patient !== 'string')
      throw fhirError('MALFORMED_REQUEST', 'the transaction payload names no recordId or patient');
    requireScope(who.scopes, type, 'c', who.member.id, patient);
    if (!tx.body.signers.includes(who.member.id))
      throw fhirError('FORBIDDEN', 'the authenticated member does not sign this transaction');
    if (p['resourceType'] !== type)
      throw fhirError('MALFORMED_REQUEST', `the transaction's resourceType is not ${type}`);
    if (arch === 'dss') {
      if (p['resource'] === undefined) tx.body.payload = { ...p, resource };
      else if (Buffer.compare(canonicalBytes(p['resource']), canonicalBytes(resource)) !== 0)
        throw fhirError(
          'MALFORMED_REQUEST',
          'the record.dss transaction carries another resource than the request',
        );
      return { tx, done: () => this.#created(type, recordId, resource) };
    }
    if (arch === 'stt') {
      checkSttTx(tx, resource, this.ctx.records.org);
      const key = releaseKeyOf(h.releaseKey);
      return {
        tx,
        stage: () => void this.ctx.records.putReleaseKey(who.member, recordId, { key, patient }),
        done: () => this.#created(type, recordId, resource),
      };
    }
    const salt = checkSpvTx(tx, resource, h.salt);
    return {
      tx,
      stage: async () =>
        void (await this.ctx.records.uploadSpv(who.member, {
          recordId,
          patient,
          resource,
          salt: Buffer.from(salt).toString('base64url'),
        })),
      done: () => this.#created(type, recordId, resource),
    };
  }

  /** The created record as the client sent it, with its ledger id and meta (no read is logged). */
  #created(
    type: string,
    recordId: string,
    resource: Obj,
  ): { status: number; resource: Obj; location: string } {
    const r = getRecord(this.#state, recordId);
    if (!r) throw fhirError('TX_NOT_COMMITTED', 'the record is not in the state after its transaction');
    return { status: 201, resource: recordResource(r, resource), location: `${type}/${recordId}/_history/1` };
  }

  // ---- Consent ------------------------------------------------------------------------------

  #prepareConsent(who: FhirRequester, resource: Obj, h: WriteHeaders): PreparedWrite {
    const v = validateFhirResource(resource, 'Consent');
    if (!v.ok) throw fhirError('INVALID_RESOURCE', 'the Consent is not valid FHIR R4', v.issues);
    const { patient, terms } = consentToTerms(resource);
    requireScope(who.scopes, 'Consent', 'c', who.member.id, patient);
    if (patient !== who.member.id) throw fhirError('FORBIDDEN', 'a patient creates their own Consents');
    const tx = txOf(h.tx, 'consent.grant');
    const grantId = tx.body.payload['grantId'];
    if (typeof grantId !== 'string')
      throw fhirError('MALFORMED_REQUEST', 'the consent.grant names no grantId');
    const expected = { grantId, ...terms } as unknown as Obj;
    const got = tx.body.payload;
    const differ = [...new Set([...Object.keys(expected), ...Object.keys(got)])].filter(
      (k) =>
        got[k] === undefined ||
        expected[k] === undefined ||
        Buffer.compare(canonicalBytes(got[k]!), canonicalBytes(expected[k]!)) !== 0,
    );
    if (differ.length > 0)
      throw fhirError(
        'MALFORMED_REQUEST',
        `the consent.grant transaction does not say what the Consent says (payload ${differ.join(', ')} differ); sign ${JSON.stringify(expected)}`,
      );
    return {
      tx,
      done: () => {
        const g = getGrant(this.#state, grantId)!;
        return { status: 201, resource: this.#consent(g), location: `Consent/${grantId}/_history/1` };
      },
    };
  }

  #consent(g: Grant): Obj {
    return grantToConsent(
      g,
      g.revokedAtHeight !== undefined,
      (id) => getRecord(this.#state, id)?.resourceType,
    );
  }

  /** `GET Consent/[id]`: the patient and the grantee read it. */
  readConsent(who: FhirRequester, id: string): Obj {
    const g = getGrant(this.#state, id);
    if (!g) throw fhirError('NOT_FOUND', 'no Consent with this id');
    requireScope(who.scopes, 'Consent', 'r', who.member.id, g.patientId);
    const m = who.member;
    if (m.id !== g.patientId && !granteeMatches(g.grantee, { memberId: m.id, org: m.org, role: m.role }))
      throw fhirError('FORBIDDEN', 'only the patient and the grantee read a Consent');
    return this.#consent(g);
  }

  #searchConsent(who: FhirRequester, q: Query): SearchPage {
    only(q, ['patient']);
    const patient = patientParam(one(q, 'patient'));
    requireScope(who.scopes, 'Consent', 's', who.member.id, patient);
    if (patient !== who.member.id) throw fhirError('FORBIDDEN', 'only the patient searches their Consents');
    return page(
      q,
      getGrants(this.#state, patient).map((g) => this.#consent(g)),
    );
  }

  /** `DELETE Consent/[id]`: the patient's signed `consent.revoke`. */
  prepareDeleteConsent(who: FhirRequester, id: string, h: WriteHeaders): PreparedWrite<OperationOutcome> {
    const g = getGrant(this.#state, id);
    if (!g) throw fhirError('NOT_FOUND', 'no Consent with this id');
    requireScope(who.scopes, 'Consent', 'd', who.member.id, g.patientId);
    if (g.patientId !== who.member.id) throw fhirError('FORBIDDEN', 'a patient revokes their own Consents');
    const tx = txOf(h.tx, 'consent.revoke');
    if (tx.body.payload['grantId'] !== id)
      throw fhirError('MALFORMED_REQUEST', 'the consent.revoke names another grant');
    return {
      tx,
      done: (r) => informationOutcome(`Consent ${id} revoked by transaction ${r.txId} at height ${r.height}`),
    };
  }

  // ---- AuditEvent, Provenance -----------------------------------------------------------------

  async #searchAudit(who: FhirRequester, q: Query): Promise<SearchPage> {
    only(q, ['patient']);
    const patient = patientParam(one(q, 'patient'));
    requireScope(who.scopes, 'AuditEvent', 's', who.member.id, patient);
    const log = await this.ctx.records.patientLog(who.member, patient);
    return page(
      q,
      log.filter(isReadEntry).map((e) => auditEventOf(this.#state, patient, e)),
    );
  }

  #searchProvenance(who: FhirRequester, q: Query): SearchPage {
    only(q, ['target', 'patient']);
    const target = one(q, 'target');
    const patient = one(q, 'patient');
    const records =
      target !== undefined
        ? [getRecord(this.#state, target.split('/').pop() ?? '')].filter((r) => r !== undefined)
        : recordsOfPatient(this.ctx, patientParam(patient));
    for (const r of records) requireScope(who.scopes, 'Provenance', 's', who.member.id, r.patientId);
    return page(
      q,
      records.map((r) => provenanceOf(this.ctx.records.node, r)),
    );
  }
}
