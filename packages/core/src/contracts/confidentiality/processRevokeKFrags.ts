/**
 * `emergency.revoke` — the patient revokes kfrags of an emergency set-up (a proxy he no longer
 * trusts, a lost device). From this block on the ledger refuses that proxy's cfrags and
 * honest proxies refuse to re-encrypt (`preReencrypt` checks the revoked ids). A dishonest
 * proxy could still hand a cfrag over off the ledger: against it, make a new set-up with a
 * new PRE key (Umbral's revocation relies on honest proxies).
 */
import { OK, fail, type Contract } from '../../contract.js';
import { malformed } from '../../errors.js';
import { HEX32, ID, arr, obj, onlyKeys, str } from '../../validate.js';
import { C, ckeys, getEmergencySetup } from './state.js';

export interface RevokeKFragsPayload {
  setupId: string;
  kfragIds: string[];
}

export const processRevokeKFrags: Contract<RevokeKFragsPayload> = {
  type: 'emergency.revoke',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['setupId', 'kfragIds'], 'payload', C);
    const kfragIds = arr(p.kfragIds, 'payload.kfragIds', C, 1, 16).map((x, i) =>
      str(x, `payload.kfragIds[${i}]`, C, 64, HEX32),
    );
    if (new Set(kfragIds).size !== kfragIds.length) malformed(C, 'payload.kfragIds', 'duplicate id');
    return { setupId: str(p.setupId, 'payload.setupId', C, 128, ID), kfragIds };
  },
  execute(ctx, p) {
    const setup = getEmergencySetup(ctx.state, p.setupId);
    if (!setup) return fail('UNKNOWN_SETUP', `no emergency set-up ${p.setupId}`);
    if (ctx.signers.length !== 1 || ctx.signers[0]!.id !== setup.patient)
      return fail('UNAUTHORIZED', "only the patient revokes his set-up's kfrags");
    for (const id of p.kfragIds)
      if (!setup.proxies.some((x) => x.kfragId === id))
        return fail('UNKNOWN_KFRAG', `kfrag ${id} is not part of set-up ${p.setupId}`);
    const revoked = [...new Set([...setup.revoked, ...p.kfragIds])];
    ctx.state.put(ckeys.setup(p.setupId), { ...setup, revoked });
    ctx.emit({ type: 'emergency.revoked', patient: setup.patient, setupId: p.setupId, kfragIds: p.kfragIds });
    return OK;
  },
};
