/**
 * `anon.group.register` — an organization, as group manager, registers a group (e.g. the
 * oncology doctors of hospital B) with its BBS04 group public key (groupsig.ts of
 * @medledger/crypto). Signed by the organization's root key. Members then sign anonymous
 * transactions for the group (`anon.group.submit`); the manager keeps the issuing and opening
 * keys and the member table off the ledger.
 */
import { OK, fail, type Contract } from '../../contract.js';
import { ID, obj, onlyKeys, str } from '../../validate.js';
import { C } from './common.js';
import { parseGroupKey } from './groupKeys.js';
import { bytesField } from './processRegisterIssuer.js';
import { anonKeys, asJson, getGroup, type GroupEntry } from './state.js';

export interface RegisterGroupPayload {
  groupId: string;
  publicKey: string;
  description: string;
}

export const processRegisterGroup: Contract<RegisterGroupPayload> = {
  type: 'anon.group.register',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['groupId', 'publicKey', 'description'], 'payload', C);
    return {
      groupId: str(p.groupId, 'payload.groupId', C, 64, ID),
      publicKey: bytesField(p.publicKey, 'payload.publicKey', 388),
      description: str(p.description, 'payload.description', C, 256),
    };
  },
  execute(ctx, p) {
    const org = ctx.signers[0];
    if (ctx.signers.length !== 1 || org?.kind !== 'org')
      return fail('UNAUTHORIZED', 'a group is registered by its manager organization root key');
    if (getGroup(ctx.state, p.groupId)) return fail('GROUP_EXISTS', `group ${p.groupId} already exists`);
    const gpk = parseGroupKey(p.publicKey);
    if (!gpk) return fail('BAD_GROUP_KEY', 'payload.publicKey is not a valid group public key');
    const entry: GroupEntry = {
      groupId: p.groupId,
      manager: org.org,
      epoch: gpk.epoch,
      publicKey: p.publicKey,
      description: p.description,
      registeredAt: ctx.height,
      updatedAt: ctx.height,
    };
    ctx.state.put(anonKeys.group(p.groupId), asJson(entry));
    ctx.emit({ type: 'anon.group.registered', groupId: p.groupId, manager: org.org, epoch: gpk.epoch });
    return OK;
  },
};
