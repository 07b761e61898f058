/**
 * `anon.group.revoke` — the manager revokes a group member (BBS04 §7 key update): the payload
 * is the published revocation (A*, x*, g2'); the contract derives the next epoch's group key
 * with `nextGroupPublicKey`, which checks e(A*, g2) = e(g1, g2'), and from this block on only
 * signatures under the new key are accepted. The revocation stays in the state so remaining
 * members update their keys (`updateGroupMemberKey`); the revoked member cannot. Signed by the
 * manager organization's root key or its node key.
 */
import { fromB64u, toB64u } from '@medledger/crypto';
import {
  groupPublicKeyToBytes,
  groupRevocationFromBytes,
  nextGroupPublicKey,
  type GroupRevocation,
} from '@medledger/crypto/groupsig';
import { OK, fail, type Contract } from '../../contract.js';
import { ID, obj, onlyKeys, str } from '../../validate.js';
import { C } from './common.js';
import { parseGroupKey } from './groupKeys.js';
import { bytesField } from './processRegisterIssuer.js';
import { anonKeys, asJson, getGroup } from './state.js';

export interface RevokeGroupMemberPayload {
  groupId: string;
  revocation: string;
}

export const processRevokeGroupMember: Contract<RevokeGroupMemberPayload> = {
  type: 'anon.group.revoke',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['groupId', 'revocation'], 'payload', C);
    return {
      groupId: str(p.groupId, 'payload.groupId', C, 64, ID),
      revocation: bytesField(p.revocation, 'payload.revocation', 180),
    };
  },
  execute(ctx, p) {
    const s = ctx.signers[0];
    if (ctx.signers.length !== 1 || (s?.kind !== 'org' && s?.kind !== 'node'))
      return fail('UNAUTHORIZED', 'a group revocation is signed by the manager org or its node');
    const group = getGroup(ctx.state, p.groupId);
    if (!group) return fail('UNKNOWN_GROUP', `no group ${p.groupId}`);
    if (group.manager !== s.org) return fail('UNAUTHORIZED', 'only the group manager revokes members');
    const gpk = parseGroupKey(group.publicKey);
    let r: GroupRevocation;
    try {
      r = groupRevocationFromBytes(fromB64u(p.revocation));
    } catch {
      return fail('BAD_REVOCATION', 'payload.revocation is malformed');
    }
    if (!gpk || r.epoch !== group.epoch)
      return fail('BAD_REVOCATION', `revocation is not for the current epoch ${group.epoch}`);
    const next = nextGroupPublicKey(gpk, r);
    if (!next) return fail('BAD_REVOCATION', 'revocation is not consistent with the group key');
    ctx.state.put(anonKeys.groupRevocation(p.groupId, group.epoch), p.revocation);
    ctx.state.put(
      anonKeys.group(p.groupId),
      asJson({
        ...group,
        epoch: next.epoch,
        publicKey: toB64u(groupPublicKeyToBytes(next)),
        updatedAt: ctx.height,
      }),
    );
    ctx.emit({ type: 'anon.group.revoked', groupId: p.groupId, epoch: next.epoch });
    return OK;
  },
};
