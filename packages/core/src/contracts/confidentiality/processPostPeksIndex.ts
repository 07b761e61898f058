/**
 * `peks.index` — a record's writer posts encrypted keyword indexes for it (BSPP's secure
 * search: Boneh, Di Crescenzo, Ostrovsky, Persiano, EUROCRYPT 2004), e.g. one per ICD-10
 * code, under the patient's published PEKS key. A doctor holding a trapdoor the patient gave
 * him finds the records carrying that keyword by testing these indexes on his side; the ledger
 * and the node learn neither the keywords nor which records matched. Visible to all: the
 * number of indexes per record (pad with dummy keywords to hide it). Checked here: the signer
 * wrote the record (or is in the patient's care team), the framing of each index; once per
 * record.
 */
import { G2_BYTES } from '@medledger/crypto/pairing';
import { OK, fail, type Contract } from '../../contract.js';
import { getCareTeam, getRecord } from '../../records/state.js';
import { ID, arr, obj, onlyKeys, str } from '../../validate.js';
import { C, b64, ckeys, framed, getList, getPeksIndex, getPreRecord, getPublishedKeys } from './state.js';

export interface PostPeksIndexPayload {
  recordId: string;
  /** `peksIndex(patientPk, keyword).toBytes()`, base64url, one per keyword. */
  indexes: string[];
}

export const PEKS_MAX_INDEXES = 32;

export const processPostPeksIndex: Contract<PostPeksIndexPayload> = {
  type: 'peks.index',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['recordId', 'indexes'], 'payload', C);
    const indexes = arr(p.indexes, 'payload.indexes', C, 1, PEKS_MAX_INDEXES).map((x, i) => {
      const path = `payload.indexes[${i}]`;
      framed(b64(x, path, 256), 'ml-peks-ix/1', [G2_BYTES, 32], path);
      return x as string;
    });
    return { recordId: str(p.recordId, 'payload.recordId', C, 128, ID), indexes };
  },
  execute(ctx, p) {
    const s = ctx.signers[0];
    if (ctx.signers.length !== 1 || s?.kind !== 'member')
      return fail('UNAUTHORIZED', 'indexes are posted by one writer of the record');
    const rec = getRecord(ctx.state, p.recordId);
    const pre = getPreRecord(ctx.state, p.recordId);
    const patient = rec?.patientId ?? pre?.patient;
    const authors = rec?.authors ?? (pre ? [pre.author] : []);
    if (patient === undefined) return fail('UNKNOWN_RECORD', `no record ${p.recordId}`);
    if (!authors.includes(s.id) && !getCareTeam(ctx.state, patient).includes(s.id))
      return fail('NOT_RESPONSIBLE', 'indexes are posted by the record’s author or the patient’s care team');
    if (getPublishedKeys(ctx.state, patient)?.peks === undefined)
      return fail('NO_PEKS_KEY', 'the patient has not published a PEKS key (keys.publish)');
    if (getPeksIndex(ctx.state, p.recordId)) return fail('INDEX_EXISTS', `record ${p.recordId} is indexed`);
    ctx.state.put(ckeys.peksIndex(p.recordId), {
      recordId: p.recordId,
      patient,
      author: s.id,
      indexes: p.indexes,
      txId: ctx.txId,
      height: ctx.height,
    });
    ctx.state.put(ckeys.peksRecords(patient), [
      ...getList(ctx.state, ckeys.peksRecords(patient)),
      p.recordId,
    ]);
    ctx.emit({ type: 'peks.indexed', patient, recordId: p.recordId, count: p.indexes.length });
    return OK;
  },
};
