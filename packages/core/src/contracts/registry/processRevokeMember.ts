/**
 * `registry.revoke`: an organization revokes one of its members. From the block that carries
 * the revocation on, the member's transactions are invalid (SIGNER_REVOKED); the ones
 * committed before stay valid.
 */
import { OK, fail, type Contract } from '../../contract.js';
import { getMember, memberKey } from '../../identity.js';
import { HEX32, obj, onlyKeys, str } from '../../validate.js';

export interface RevokeMemberPayload {
  memberId: string;
  reason: string;
}

const C = 'INVALID_PAYLOAD';

export const processRevokeMember: Contract<RevokeMemberPayload> = {
  type: 'registry.revoke',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['memberId', 'reason'], 'payload', C);
    return {
      memberId: str(p.memberId, 'payload.memberId', C, 64, HEX32),
      reason: str(p.reason, 'payload.reason', C, 256),
    };
  },
  execute(ctx, p) {
    const signer = ctx.signers[0];
    if (ctx.signers.length !== 1 || signer?.kind !== 'org')
      return fail('UNAUTHORIZED', 'a revocation is signed by one organization root key');
    const m = getMember(ctx.state, p.memberId);
    if (!m) return fail('UNKNOWN_MEMBER', 'no such member');
    if (m.org !== signer.org) return fail('UNAUTHORIZED', 'an organization revokes only its own members');
    if (m.revokedAt !== undefined)
      return fail('ALREADY_REVOKED', `member was revoked at height ${m.revokedAt}`);
    ctx.state.put(memberKey(p.memberId), { ...m, revokedAt: ctx.height, revokedReason: p.reason } as never);
    ctx.emit({ type: 'member.revoked', memberId: p.memberId, org: m.org });
    return OK;
  },
};
