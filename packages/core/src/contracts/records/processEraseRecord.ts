/**
 * `record.erase` — the patient's right to erasure (GDPR Art. 17). For SPV and STT records the
 * holding organization's node deletes the off-chain record or release key when this commits
 * (crypto-shredding); the on-chain commitment or ciphertext remains and reveals nothing
 * without them. The erasure itself is this logged transaction. DSS records are plaintext on
 * every node's ledger and cannot be erased: the contract refuses with an explanation.
 */
import { OK, fail, type Contract } from '../../contract.js';
import { asJson, getRecord, keys } from '../../records/state.js';
import { ID, obj, onlyKeys, str } from '../../validate.js';

export interface EraseRecordPayload {
  recordId: string;
  reason: string;
}

const C = 'INVALID_PAYLOAD';

export const DSS_ERASURE_REFUSAL =
  'DSS records are stored in plaintext in every node’s copy of the ledger; no node can erase them without breaking the hash chain. Record sensitive data as SPV or STT, whose off-chain copy or key can be erased.';

export const processEraseRecord: Contract<EraseRecordPayload> = {
  type: 'record.erase',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['recordId', 'reason'], 'payload', C);
    return {
      recordId: str(p.recordId, 'payload.recordId', C, 128, ID),
      reason: str(p.reason, 'payload.reason', C, 256),
    };
  },
  execute(ctx, p) {
    const r = getRecord(ctx.state, p.recordId);
    if (!r) return fail('UNKNOWN_RECORD', `no record ${p.recordId}`);
    if (ctx.signers.length !== 1 || ctx.signers[0]!.id !== r.patientId)
      return fail('UNAUTHORIZED', 'the patient requests erasure of their records');
    if (r.mode === 'dss') return fail('ERASURE_NOT_POSSIBLE', DSS_ERASURE_REFUSAL);
    if (r.erasedAt !== undefined) return fail('ALREADY_ERASED', `record was erased at height ${r.erasedAt}`);
    ctx.state.put(keys.record(p.recordId), asJson({ ...r, erasedAt: ctx.height }));
    ctx.emit({
      type: 'record.erased',
      recordId: p.recordId,
      patient: r.patientId,
      mode: r.mode,
      holder: r.holder ?? r.org,
    });
    return OK;
  },
};
