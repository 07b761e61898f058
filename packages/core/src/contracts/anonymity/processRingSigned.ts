/**
 * `anon.ring.submit` — a statement signed with a ring signature (SAG; with `scope`, the
 * linkable bLSAG of ring.ts) by one of the members whose registered ring keys form `ring`,
 * relayed by a node (`node:<org>`; see common.ts for what the ring signature covers). The
 * contract checks that every key of the ring is registered to an enrolled member who is not
 * revoked and whose certificate is valid at the block time (and, if `role` is given, holds
 * that role: e.g. `patient` for a patient survey), then verifies the ring signature.
 * With a scope, the key image is stored under the scope and a second signature with the same
 * key image in that scope is refused (KEY_IMAGE_USED): one answer per member and scope, whatever
 * ring each answer used. Nobody, not even the relay, learns which ring member signed.
 */
import { fromB64u, toHex } from '@medledger/crypto';
import { ringSignatureFromBytes, ringVerify, type RingSignature } from '@medledger/crypto/ring';
import { OK, fail, type Contract } from '../../contract.js';
import { getMember } from '../../identity.js';
import { ID, arr, obj, onlyKeys, str } from '../../validate.js';
import {
  C,
  anonymousMessage,
  checkRelayed,
  parseEnvelope,
  unsignedPayload,
  type AnonymousEnvelope,
  type JsonObject,
} from './common.js';
import { bytesField } from './processRegisterIssuer.js';
import { anonKeys, asJson, type AnonTxEntry } from './state.js';

/** Largest ring the contract verifies (verification is linear: about 5 ms per linkable member). */
export const MAX_LEDGER_RING = 64;

export interface RingSignedPayload extends AnonymousEnvelope {
  /** Ring public keys, base64url, in signing order. */
  ring: string[];
  scope?: string;
  role?: string;
}

export const RING_SUBMIT = 'anon.ring.submit';

export const processRingSigned: Contract<RingSignedPayload> = {
  type: RING_SUBMIT,
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['ring', 'scope', 'role', 'createdAt', 'nonce', 'statement', 'signature'], 'payload', C);
    const ring = arr(p.ring, 'payload.ring', C, 2, MAX_LEDGER_RING).map((k, i) =>
      bytesField(k, `payload.ring[${i}]`, 32),
    );
    const out: RingSignedPayload = { ring, ...parseEnvelope(p, 2824) };
    if (p.scope !== undefined) out.scope = str(p.scope, 'payload.scope', C, 128, ID);
    if (p.role !== undefined) out.role = str(p.role, 'payload.role', C, 64, ID);
    return out;
  },
  execute(ctx, p) {
    const msg = anonymousMessage(
      ctx.tx.body.chainId,
      RING_SUBMIT,
      unsignedPayload(ctx.tx.body.payload as JsonObject),
    );
    const relay = checkRelayed(ctx, p.createdAt, msg);
    if (!relay.ok) return relay.result;
    const keys = p.ring.map((k) => fromB64u(k));
    for (const [i, k] of keys.entries()) {
      const owner = ctx.state.get(anonKeys.ringKeyOwner(toHex(k)));
      const m = typeof owner === 'string' ? getMember(ctx.state, owner) : undefined;
      if (!m) return fail('UNKNOWN_RING_KEY', `ring[${i}] is not a registered ring key`);
      if (m.revokedAt !== undefined)
        return fail('RING_MEMBER_REVOKED', `ring[${i}] belongs to a revoked member`);
      if (ctx.time < m.notBefore || ctx.time >= m.notAfter)
        return fail('RING_MEMBER_REVOKED', `ring[${i}] belongs to a member whose certificate is not valid`);
      if (p.role !== undefined && m.role !== p.role)
        return fail('RING_ROLE_MISMATCH', `ring[${i}] does not belong to a ${p.role}`);
    }
    let sig: RingSignature;
    try {
      sig = ringSignatureFromBytes(fromB64u(p.signature));
    } catch {
      return fail('BAD_RING_SIGNATURE', 'payload.signature is malformed');
    }
    const ok = ringVerify({
      message: msg,
      ring: keys,
      signature: sig,
      ...(p.scope === undefined ? {} : { scope: p.scope }),
    });
    if (!ok) return fail('BAD_RING_SIGNATURE', 'not a ring signature by a member of the ring');
    if (p.scope !== undefined) {
      const image = anonKeys.keyImage(p.scope, toHex(sig.keyImage!));
      if (ctx.state.get(image) !== undefined)
        return fail('KEY_IMAGE_USED', `a member of this ring already signed in scope ${p.scope}`);
      ctx.state.put(image, ctx.txId);
    }
    ctx.state.put(relay.replayKey, ctx.txId);
    const entry: AnonTxEntry = {
      kind: 'ring',
      subject: p.scope ?? `ring-of-${keys.length}`,
      relay: relay.relay,
      height: ctx.height,
      time: ctx.time,
    };
    ctx.state.put(anonKeys.anonTx(ctx.txId), asJson(entry));
    ctx.emit({
      type: 'anon.ring.signed',
      ringSize: keys.length,
      relay: relay.relay,
      ...(p.scope === undefined ? {} : { scope: p.scope }),
    });
    return OK;
  },
};
