/**
 * `anon.group.opening` — in a dispute, the group manager publishes whom a group-signed
 * transaction opened to. Signed by the manager organization's root key. BBS04 openings come
 * with no proof of correct opening, so the ledger records the manager's claim, accountable to
 * its signature; the signature, the group key and the member's later testimony are all on
 * the ledger for whoever arbitrates.
 */
import { OK, fail, type Contract } from '../../contract.js';
import { getMember } from '../../identity.js';
import { HEX32, obj, onlyKeys, str } from '../../validate.js';
import { C } from './common.js';
import { anonKeys, getAnonTx, getGroup } from './state.js';

export interface PublishOpeningPayload {
  txId: string;
  memberId: string;
  reason: string;
}

export const processPublishOpening: Contract<PublishOpeningPayload> = {
  type: 'anon.group.opening',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['txId', 'memberId', 'reason'], 'payload', C);
    return {
      txId: str(p.txId, 'payload.txId', C, 64, HEX32),
      memberId: str(p.memberId, 'payload.memberId', C, 64, HEX32),
      reason: str(p.reason, 'payload.reason', C, 256),
    };
  },
  execute(ctx, p) {
    const org = ctx.signers[0];
    if (ctx.signers.length !== 1 || org?.kind !== 'org')
      return fail('UNAUTHORIZED', 'an opening is published by the manager organization root key');
    const anon = getAnonTx(ctx.state, p.txId);
    if (anon?.kind !== 'group') return fail('UNKNOWN_TX', `${p.txId} is not a group-signed transaction`);
    const group = getGroup(ctx.state, anon.subject);
    if (group?.manager !== org.org) return fail('UNAUTHORIZED', 'only the group manager publishes openings');
    if (!getMember(ctx.state, p.memberId)) return fail('UNKNOWN_MEMBER', 'no such member');
    if (ctx.state.get(anonKeys.opening(p.txId)) !== undefined)
      return fail('ALREADY_OPENED', `${p.txId} was already opened`);
    ctx.state.put(anonKeys.opening(p.txId), { memberId: p.memberId, reason: p.reason, height: ctx.height });
    ctx.emit({ type: 'anon.group.opened', groupId: group.groupId, txId: p.txId, memberId: p.memberId });
    return OK;
  },
};
