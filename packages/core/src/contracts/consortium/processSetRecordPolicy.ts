/**
 * `consortium.record-policy`: the founders set the consortium's minimum quorum of DSS records,
 * by default and per record category or resource type (records/quorumPolicy.ts). Signed by at
 * least `threshold` current founders' root keys (approval.ts). It replaces the previous policy
 * and holds from the next transaction on; records already written keep the quorum they had.
 */
import { OK, type Contract } from '../../contract.js';
import { asJson } from '../../records/state.js';
import { parseQuorumPolicy, quorumKeys, type RecordQuorumPolicy } from '../../records/quorumPolicy.js';
import { obj, onlyKeys } from '../../validate.js';
import { founderApproval } from './approval.js';
import { getGovernance } from './state.js';

export interface SetRecordPolicyPayload {
  dss: RecordQuorumPolicy;
}

const C = 'INVALID_PAYLOAD';

export const processSetRecordPolicy: Contract<SetRecordPolicyPayload> = {
  type: 'consortium.record-policy',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['dss'], 'payload', C);
    return { dss: parseQuorumPolicy(p.dss, 'payload.dss', C) };
  },
  execute(ctx, p) {
    const refused = founderApproval(ctx.signers, getGovernance(ctx.state), 'setting the record policy');
    if (refused) return refused;
    ctx.state.put(quorumKeys.consortium, asJson(p.dss));
    ctx.emit({ type: 'consortium.record-policy', dss: asJson(p.dss) });
    return OK;
  },
};
