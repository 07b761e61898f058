/**
 * `emergency.cfrag` — a proxy posts its capsule fragment for an allowed emergency request:
 * it re-encrypted the record's capsule with its kfrag (Umbral `reencrypt`). Posting it on the
 * ledger logs each proxy's share; a cfrag is useless without the grantee's secret key, so
 * it may be public. Refused: a request that was denied or is older than
 * EMERGENCY_WINDOW_MS, a signer that is not the proxy of that kfrag, a revoked kfrag, a
 * second cfrag from the same kfrag. The cfrag's correctness proof is checked by the grantee.
 */
import { OK, fail, type Contract } from '../../contract.js';
import { HEX32, obj, onlyKeys, str } from '../../validate.js';
import {
  C,
  EMERGENCY_WINDOW_MS,
  b64,
  ckeys,
  getEmergencyRequest,
  getEmergencySetup,
  type PostedCFrag,
} from './state.js';

export interface PostCFragPayload {
  requestId: string;
  kfragId: string;
  /** Umbral `CapsuleFrag` bytes, base64url. */
  cfrag: string;
}

export const processPostCFrag: Contract<PostCFragPayload> = {
  type: 'emergency.cfrag',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['requestId', 'kfragId', 'cfrag'], 'payload', C);
    b64(p.cfrag, 'payload.cfrag', 1024);
    return {
      requestId: str(p.requestId, 'payload.requestId', C, 64, HEX32),
      kfragId: str(p.kfragId, 'payload.kfragId', C, 64, HEX32),
      cfrag: p.cfrag as string,
    };
  },
  execute(ctx, p) {
    const s = ctx.signers[0];
    if (ctx.signers.length !== 1 || (s?.kind !== 'member' && s?.kind !== 'node'))
      return fail('UNAUTHORIZED', 'a cfrag is signed by its proxy alone');
    const req = getEmergencyRequest(ctx.state, p.requestId);
    if (!req) return fail('UNKNOWN_REQUEST', `no emergency request ${p.requestId}`);
    if (!req.allow) return fail('REQUEST_DENIED', `emergency request was denied (${req.code})`);
    if (!(ctx.time - req.time < EMERGENCY_WINDOW_MS))
      return fail('REQUEST_EXPIRED', 'the emergency request is older than the re-encryption window');
    const setup = getEmergencySetup(ctx.state, req.setupId)!;
    const slot = setup.proxies.find((x) => x.kfragId === p.kfragId);
    if (!slot || slot.proxy !== s.id) return fail('NOT_A_PROXY', `${s.id} does not hold kfrag ${p.kfragId}`);
    if (setup.revoked.includes(p.kfragId))
      return fail('KFRAG_REVOKED', `kfrag ${p.kfragId} was revoked by the patient`);
    if (req.cfrags.some((c) => c.kfragId === p.kfragId))
      return fail('CFRAG_EXISTS', `a cfrag from kfrag ${p.kfragId} was already posted`);
    const c: PostedCFrag = {
      proxy: s.id,
      kfragId: p.kfragId,
      cfrag: p.cfrag,
      txId: ctx.txId,
      height: ctx.height,
      time: ctx.time,
    };
    const cfrags = [...req.cfrags, c];
    ctx.state.put(ckeys.request(p.requestId), { ...req, cfrags });
    ctx.emit({
      type: 'emergency.reencrypted',
      patient: req.patient,
      requestId: p.requestId,
      recordId: req.recordId,
      requester: req.requester,
      proxy: s.id,
      count: cfrags.length,
      threshold: req.threshold,
    });
    return OK;
  },
};
