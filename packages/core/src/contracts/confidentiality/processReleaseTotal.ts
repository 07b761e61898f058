/**
 * `he.total` — the key holder (the patient, or the custodian organization's node he named)
 * releases the decrypted total of a claim, sealed to the requesting insurer (HPKE envelope to
 * the insurer's enrolled encryption key). The sealed value carries the total and the Paillier
 * randomness of the aggregate, so the insurer checks the total by re-encrypting it and
 * comparing with the aggregate the contract computed: the key holder cannot lie about it.
 * Once per claim. The key holder decrypts only aggregates of claims the ledger accepted.
 */
import { envelopeFromJson, type JsonValue } from '@medledger/crypto';
import { OK, fail, type Contract } from '../../contract.js';
import { malformed } from '../../errors.js';
import { ID, arr, obj, onlyKeys, str } from '../../validate.js';
import { C, ckeys, getHeClaim, getPublishedKeys } from './state.js';

export interface ReleaseTotalPayload {
  claimId: string;
  /** HPKE envelope JSON to the insurer; plaintext `{"total":"<cents>","r":"<hex>"}`. */
  sealed: { [k: string]: JsonValue };
}

export const processReleaseTotal: Contract<ReleaseTotalPayload> = {
  type: 'he.total',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['claimId', 'sealed'], 'payload', C);
    const env = obj(p.sealed, 'payload.sealed', C);
    onlyKeys(env, ['version', 'suite', 'nonce', 'ciphertext', 'receivers'], 'payload.sealed', C);
    const r = arr(env.receivers, 'payload.sealed.receivers', C, 1, 1);
    str(obj(r[0], 'payload.sealed.receivers[0]', C).id, 'payload.sealed.receivers[0].id', C, 64);
    if (typeof env.ciphertext !== 'string' || env.ciphertext.length > 8192)
      malformed(C, 'payload.sealed.ciphertext', 'must be a string of at most 8192 characters');
    // A whole envelope (version, suite, canonical base64url of the right lengths): the insurer
    // must be able to open what the ledger says was released to it.
    try {
      envelopeFromJson(env);
    } catch (e) {
      malformed(C, 'payload.sealed', (e as Error).message);
    }
    return {
      claimId: str(p.claimId, 'payload.claimId', C, 128, ID),
      sealed: env as { [k: string]: JsonValue },
    };
  },
  execute(ctx, p) {
    const s = ctx.signers[0];
    const claim = getHeClaim(ctx.state, p.claimId);
    if (!claim) return fail('UNKNOWN_CLAIM', `no claim ${p.claimId}`);
    const holder = getPublishedKeys(ctx.state, claim.patient)?.heHolder;
    const ok =
      ctx.signers.length === 1 &&
      (s?.id === claim.patient || (holder !== undefined && s?.id === `node:${holder}`));
    if (!ok) return fail('UNAUTHORIZED', "a total is released by the patient's HE key holder");
    if (claim.status !== 'requested') return fail('ALREADY_RELEASED', `claim ${p.claimId} was released`);
    const to = (p.sealed.receivers as { id: string }[])[0]!.id;
    if (to !== claim.insurer)
      return fail('INVALID_PAYLOAD', 'the total must be sealed to the claiming insurer');
    ctx.state.put(ckeys.claim(p.claimId), { ...claim, status: 'released', sealed: p.sealed });
    ctx.emit({
      type: 'he.total.released',
      patient: claim.patient,
      claimId: p.claimId,
      insurer: claim.insurer,
      count: claim.count,
    });
    return OK;
  },
};
