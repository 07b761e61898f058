/**
 * `record.anchor`: a member anchors the hash of a record under a record id. The minimal
 * record transaction that exercises the pipeline; record sharing (DSS, STT, SPV) builds on it.
 * A record id is written once: anchoring it again is RECORD_EXISTS.
 */
import { OK, fail, type Contract } from '../../contract.js';
import { HEX32, ID, obj, onlyKeys, str } from '../../validate.js';

export interface AnchorRecordPayload {
  recordId: string;
  hash: string;
}

const C = 'INVALID_PAYLOAD';
/**
 * Anchors live under `anchor:<id>`, apart from the `record:<id>` entries of shared records
 * (DSS, SPV, STT): an anchored hash is not a record anyone can request access to.
 */
export const anchorKey = (id: string): string => `anchor:${id}`;

export const processAnchorRecord: Contract<AnchorRecordPayload> = {
  type: 'record.anchor',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['recordId', 'hash'], 'payload', C);
    return {
      recordId: str(p.recordId, 'payload.recordId', C, 128, ID),
      hash: str(p.hash, 'payload.hash', C, 64, HEX32),
    };
  },
  execute(ctx, p) {
    if (ctx.signers.some((s) => s.kind !== 'member'))
      return fail('UNAUTHORIZED', 'records are anchored by members');
    const key = anchorKey(p.recordId);
    if (ctx.state.get(key) !== undefined)
      return fail('RECORD_EXISTS', `record ${p.recordId} is already anchored`);
    ctx.state.put(key, {
      recordId: p.recordId,
      hash: p.hash,
      by: ctx.signers.map((s) => s.id),
      height: ctx.height,
      txId: ctx.txId,
    });
    return OK;
  },
};
