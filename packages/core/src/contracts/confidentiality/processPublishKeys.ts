/**
 * `keys.publish` — a member publishes the public keys of the confidentiality schemes that
 * others encrypt to or verify against: an Umbral delegating/receiving key and kfrag-verifying
 * key (emergency access), a Paillier key and the organization holding its secret in custody
 * (encrypted expenses), a PEKS key (keyword indexes). A node (`node:<org>`) publishes the
 * X25519 key its emergency proxy receives sealed kfrags with. Later publications replace the
 * named keys; keys not named are kept. Signed by the key owner alone.
 */
import { HePublicKey } from '@medledger/crypto/he';
import { OK, fail, type Contract } from '../../contract.js';
import { getOrg } from '../../identity.js';
import { malformed } from '../../errors.js';
import { ID, obj, onlyKeys, str } from '../../validate.js';
import { C, b64, ckeys, framed, getPublishedKeys, umbralPublicKey, type PublishedKeys } from './state.js';

export type PublishKeysPayload = PublishedKeys;

export const processPublishKeys: Contract<PublishKeysPayload> = {
  type: 'keys.publish',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['pre', 'preVerifying', 'he', 'heHolder', 'peks', 'x25519'], 'payload', C);
    if (Object.keys(p).length === 0) malformed(C, 'payload', 'must name at least one key');
    const out: PublishedKeys = {};
    if (p.pre !== undefined) out.pre = umbralPublicKey(p.pre, 'payload.pre');
    if (p.preVerifying !== undefined)
      out.preVerifying = umbralPublicKey(p.preVerifying, 'payload.preVerifying');
    if (p.he !== undefined) {
      try {
        HePublicKey.fromBytes(b64(p.he, 'payload.he', 2048));
      } catch (e) {
        malformed(C, 'payload.he', (e as Error).message);
      }
      out.he = p.he as string;
    }
    if (p.heHolder !== undefined) out.heHolder = str(p.heHolder, 'payload.heHolder', C, 64, ID);
    if (p.peks !== undefined) {
      framed(b64(p.peks, 'payload.peks', 256), 'ml-peks-pk/1', [96], 'payload.peks');
      out.peks = p.peks as string;
    }
    if (p.x25519 !== undefined) {
      if (b64(p.x25519, 'payload.x25519', 32).length !== 32)
        malformed(C, 'payload.x25519', 'must be a 32-byte X25519 key');
      out.x25519 = p.x25519 as string;
    }
    return out;
  },
  execute(ctx, p) {
    const s = ctx.signers[0];
    if (ctx.signers.length !== 1 || (s?.kind !== 'member' && s?.kind !== 'node'))
      return fail('UNAUTHORIZED', 'keys are published by their owner (a member or a node) alone');
    const named = Object.keys(p);
    if (s.kind === 'node' && named.some((k) => k !== 'x25519'))
      return fail('UNAUTHORIZED', 'a node publishes only its proxy X25519 key');
    if (s.kind === 'member' && p.x25519 !== undefined)
      return fail('UNAUTHORIZED', 'members receive sealed data with their enrolled encryption key');
    if (p.heHolder !== undefined && !getOrg(ctx.state, p.heHolder))
      return fail('UNKNOWN_ORG', 'payload.heHolder is not a consortium organization');
    if (p.heHolder !== undefined && p.he === undefined && getPublishedKeys(ctx.state, s.id)?.he === undefined)
      return fail('INVALID_PAYLOAD', 'payload.heHolder needs a published HE key');
    const merged: PublishedKeys = { ...(getPublishedKeys(ctx.state, s.id) ?? {}), ...p };
    ctx.state.put(ckeys.pubkeys(s.id), merged as never);
    ctx.emit({ type: 'keys.published', signer: s.id, keys: named.sort() });
    return OK;
  },
};
