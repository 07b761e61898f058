/**
 * `anon.ring.key` — a member registers its ring public key (ristretto255, 32 bytes; ring.ts of
 * @medledger/crypto) under its ledger identity. Signed by the member alone. One key per member
 * and one member per key, and no rotation: a member with two keys could give two answers in
 * a linkable scope (one key image per key), so a member who loses the key is re-enrolled.
 */
import { fromB64u, toHex } from '@medledger/crypto';
import { isRingPublicKey } from '@medledger/crypto/ring';
import { OK, fail, type Contract } from '../../contract.js';
import { obj, onlyKeys } from '../../validate.js';
import { C } from './common.js';
import { bytesField } from './processRegisterIssuer.js';
import { anonKeys, asJson, getRingKey, type RingKeyEntry } from './state.js';

export interface RegisterRingKeyPayload {
  publicKey: string;
}

export const processRegisterRingKey: Contract<RegisterRingKeyPayload> = {
  type: 'anon.ring.key',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['publicKey'], 'payload', C);
    return { publicKey: bytesField(p.publicKey, 'payload.publicKey', 32) };
  },
  execute(ctx, p) {
    const m = ctx.signers[0];
    if (ctx.signers.length !== 1 || m?.kind !== 'member')
      return fail('UNAUTHORIZED', 'a ring key is registered by the member alone');
    const key = fromB64u(p.publicKey);
    if (!isRingPublicKey(key)) return fail('BAD_RING_KEY', 'payload.publicKey is not a ristretto255 point');
    if (getRingKey(ctx.state, m.id)) return fail('RING_KEY_EXISTS', 'this member already has a ring key');
    const owner = anonKeys.ringKeyOwner(toHex(key));
    if (ctx.state.get(owner) !== undefined)
      return fail('RING_KEY_TAKEN', 'this ring key belongs to a member');
    const entry: RingKeyEntry = {
      memberId: m.id,
      org: m.org,
      role: m.role,
      publicKey: p.publicKey,
      registeredAt: ctx.height,
    };
    ctx.state.put(anonKeys.ringKey(m.id), asJson(entry));
    ctx.state.put(owner, m.id);
    ctx.emit({ type: 'anon.ring.key-registered', memberId: m.id, org: m.org });
    return OK;
  },
};
