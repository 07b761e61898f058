/**
 * `anon.group.submit` — a statement signed by "a member of group G" with a BBS04 group
 * signature, relayed by a node (`node:<org>` signs the outer transaction). See common.ts for
 * what the group signature covers. The contract verifies the group signature synchronously
 * under the group's current-epoch key (about 40 ms in pure JS), so a signature made with a
 * revoked member's old key, or by a non-member, is refused; it records only the group, the
 * epoch and the relay. The group manager can open the signature off the ledger and, in a
 * dispute, publish the opening (`anon.group.opening`).
 */
import { fromB64u } from '@medledger/crypto';
import { groupSignatureFromBytes, groupVerify, type GroupSignature } from '@medledger/crypto/groupsig';
import { OK, fail, type Contract } from '../../contract.js';
import { ID, int, obj, onlyKeys, str } from '../../validate.js';
import {
  C,
  anonymousMessage,
  checkRelayed,
  parseEnvelope,
  unsignedPayload,
  type AnonymousEnvelope,
  type JsonObject,
} from './common.js';
import { parseGroupKey } from './groupKeys.js';
import { anonKeys, asJson, getGroup, type AnonTxEntry } from './state.js';

export interface GroupSignedPayload extends AnonymousEnvelope {
  groupId: string;
  epoch: number;
}

export const GROUP_SUBMIT = 'anon.group.submit';

export const processGroupSigned: Contract<GroupSignedPayload> = {
  type: GROUP_SUBMIT,
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['groupId', 'epoch', 'createdAt', 'nonce', 'statement', 'signature'], 'payload', C);
    return {
      groupId: str(p.groupId, 'payload.groupId', C, 64, ID),
      epoch: int(p.epoch, 'payload.epoch', C, 0, 0xffff_ffff),
      ...parseEnvelope(p, 448),
    };
  },
  execute(ctx, p) {
    const group = getGroup(ctx.state, p.groupId);
    if (!group) return fail('UNKNOWN_GROUP', `no group ${p.groupId}`);
    const msg = anonymousMessage(
      ctx.tx.body.chainId,
      GROUP_SUBMIT,
      unsignedPayload(ctx.tx.body.payload as JsonObject),
    );
    const relay = checkRelayed(ctx, p.createdAt, msg);
    if (!relay.ok) return relay.result;
    if (p.epoch !== group.epoch)
      return fail('GROUP_EPOCH_STALE', `signed for epoch ${p.epoch}; the group is at epoch ${group.epoch}`);
    const gpk = parseGroupKey(group.publicKey);
    let sig: GroupSignature;
    try {
      sig = groupSignatureFromBytes(fromB64u(p.signature));
    } catch {
      return fail('BAD_GROUP_SIGNATURE', 'payload.signature is malformed');
    }
    if (!gpk || !groupVerify(gpk, msg, sig))
      return fail(
        'BAD_GROUP_SIGNATURE',
        `not a signature by a member of ${p.groupId} (epoch ${group.epoch})`,
      );
    ctx.state.put(relay.replayKey, ctx.txId);
    const entry: AnonTxEntry = {
      kind: 'group',
      subject: p.groupId,
      relay: relay.relay,
      height: ctx.height,
      time: ctx.time,
    };
    ctx.state.put(anonKeys.anonTx(ctx.txId), asJson(entry));
    ctx.emit({ type: 'anon.group.signed', groupId: p.groupId, epoch: p.epoch, relay: relay.relay });
    return OK;
  },
};
