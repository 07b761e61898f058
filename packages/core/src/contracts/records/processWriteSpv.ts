/**
 * `record.spv` — only a salted commitment on the ledger (survey §6.3, storage & permission
 * verification). The record itself goes to the holding organization's EHR store; a requester
 * checks what it is served against this commitment. Salted, so nobody can confirm a
 * guessable record by hashing candidates. Per-patient chain of commitments; written by k of
 * the responsible doctors, all of the holding organization.
 */
import { OK, type Contract } from '../../contract.js';
import { asJson, keys } from '../../records/state.js';
import { HEX32, ID, obj, onlyKeys, str } from '../../validate.js';
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

export interface WriteSpvPayload extends RecordMetaPayload {
  commitment: string;
  holder: string;
}

export const processWriteSpv: Contract<WriteSpvPayload> = {
  type: 'record.spv',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, [...RECORD_META_KEYS, 'commitment', 'holder'], 'payload', C);
    return {
      ...parseRecordMeta(p),
      commitment: str(p.commitment, 'payload.commitment', C, 64, HEX32),
      holder: str(p.holder, 'payload.holder', C, 64, ID),
    };
  },
  execute(ctx, p) {
    if (ctx.signers.some((s) => s.org !== p.holder))
      return fail('NOT_RESPONSIBLE', 'SPV records are written by doctors of the holding organization');
    const bad = checkWriters(ctx, p) ?? checkChain(ctx, 'spv', p);
    if (bad) return bad;
    ctx.state.put(
      keys.record(p.recordId),
      asJson(recordEntry(ctx, 'spv', p, { commitment: p.commitment, holder: p.holder })),
    );
    ctx.emit({
      type: 'record.written',
      mode: 'spv',
      recordId: p.recordId,
      patient: p.patient,
      subject: p.subject,
      category: p.category,
      holder: p.holder,
    });
    return OK;
  },
};
