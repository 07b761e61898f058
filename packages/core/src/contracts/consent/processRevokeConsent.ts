/**
 * `consent.revoke` — the patient withdraws a grant. Reads decided against the state from the
 * block carrying the revocation onward are denied (GRANT_REVOKED).
 */
import type { Grant } from '../../access/types.js';
import { OK, fail, type Contract } from '../../contract.js';
import { asJson, getGrant, keys } from '../../records/state.js';
import { ID, obj, onlyKeys, str } from '../../validate.js';

export interface RevokeConsentPayload {
  grantId: string;
}

const C = 'INVALID_PAYLOAD';

export const processRevokeConsent: Contract<RevokeConsentPayload> = {
  type: 'consent.revoke',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['grantId'], 'payload', C);
    return { grantId: str(p.grantId, 'payload.grantId', C, 128, ID) };
  },
  execute(ctx, p) {
    const g = getGrant(ctx.state, p.grantId);
    if (!g) return fail('UNKNOWN_GRANT', `no grant ${p.grantId}`);
    if (ctx.signers.length !== 1 || ctx.signers[0]!.id !== g.patientId)
      return fail('UNAUTHORIZED', 'only the patient who granted it revokes a grant');
    if (g.revokedAtHeight !== undefined)
      return fail('ALREADY_REVOKED', `grant was revoked at height ${g.revokedAtHeight}`);
    const revoked: Grant = { ...g, revokedAtHeight: ctx.height };
    ctx.state.put(keys.grant(p.grantId), asJson(revoked));
    ctx.emit({ type: 'consent.revoked', patient: g.patientId, grantId: p.grantId });
    return OK;
  },
};
