/**
 * `patient.record-quorum` — the patient sets their own minimum quorum of DSS records: how many
 * of the responsible doctors must sign each one. It can only raise the consortium's minimum
 * (records/quorumPolicy.ts: the larger one holds). Signed by the patient alone.
 */
import { OK, fail, type Contract } from '../../contract.js';
import { MAX_QUORUM, quorumKeys } from '../../records/quorumPolicy.js';
import { int, obj, onlyKeys } from '../../validate.js';

export interface SetRecordQuorumPayload {
  min: number;
}

const C = 'INVALID_PAYLOAD';

export const processSetRecordQuorum: Contract<SetRecordQuorumPayload> = {
  type: 'patient.record-quorum',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['min'], 'payload', C);
    return { min: int(p.min, 'payload.min', C, 1, MAX_QUORUM) };
  },
  execute(ctx, p) {
    const patient = ctx.signers[0];
    if (ctx.signers.length !== 1 || patient?.kind !== 'member' || patient.role !== 'patient')
      return fail('UNAUTHORIZED', 'the patient alone sets their record quorum');
    ctx.state.put(quorumKeys.patient(patient.id), { min: p.min });
    ctx.emit({ type: 'patient.record-quorum', patient: patient.id, min: p.min });
    return OK;
  },
};
