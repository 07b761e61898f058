/**
 * `record.dss` — a record in plaintext on the ledger (survey §6.1, data storage & sharing).
 * The transaction holds the FHIR resource, the patient's key, the responsible doctors' keys
 * and the hash of the patient's previous DSS record transaction: a per-patient chronological
 * chain. It is signed by k of the n responsible doctors (a consultation group's plan needs
 * its quorum), and k is at least the minimum that policy on the ledger sets for the record's
 * category, resource type and patient (records/quorumPolicy.ts: QUORUM_BELOW_POLICY): the
 * writer can raise it, never lower it. Every authenticated member can read it: DSS gives
 * integrity and traceability, not confidentiality.
 */
import type { JsonValue } from '@medledger/crypto';
import { OK, type Contract } from '../../contract.js';
import { asJson, keys } from '../../records/state.js';
import { minimumDssQuorum } from '../../records/quorumPolicy.js';
import { obj, onlyKeys } from '../../validate.js';
import {
  C,
  checkChain,
  checkWriters,
  fail,
  parseRecordMeta,
  recordEntry,
  type RecordMetaPayload,
  RECORD_META_KEYS,
} from './common.js';

export interface WriteDssPayload extends RecordMetaPayload {
  resource: { [k: string]: JsonValue };
}

export const processWriteDss: Contract<WriteDssPayload> = {
  type: 'record.dss',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, [...RECORD_META_KEYS, 'resource'], 'payload', C);
    const resource = obj(p.resource, 'payload.resource', C) as { [k: string]: JsonValue };
    return { ...parseRecordMeta(p), resource };
  },
  execute(ctx, p) {
    if (p.resource.resourceType !== p.resourceType)
      return fail('INVALID_PAYLOAD', 'payload.resource.resourceType differs from payload.resourceType');
    const subject = (p.resource.subject as { reference?: unknown } | undefined)?.reference;
    if (p.resourceType !== 'Bundle' && subject !== `Patient/${p.subject}`) {
      return fail(
        'INVALID_PAYLOAD',
        'payload.resource.subject must reference the record subject (Patient/<pseudonym>)',
      );
    }
    const min = minimumDssQuorum(ctx.state, p.patient, p.category, p.resourceType);
    if (p.k < min.k)
      return fail(
        'QUORUM_BELOW_POLICY',
        `payload.k is ${p.k}; the ${min.by}'s policy requires ${min.k} of the responsible doctors for a ${p.category} ${p.resourceType}`,
      );
    const bad = checkWriters(ctx, p) ?? checkChain(ctx, 'dss', p);
    if (bad) return bad;
    ctx.state.put(keys.record(p.recordId), asJson(recordEntry(ctx, 'dss', p)));
    ctx.emit({
      type: 'record.written',
      mode: 'dss',
      recordId: p.recordId,
      patient: p.patient,
      subject: p.subject,
      category: p.category,
    });
    return OK;
  },
};
