/**
 * `rx.alert` — the regulator's node records a doctor-shopping alert: overlapping controlled
 * prescriptions of one patient from different prescribers within its window. Who and what is
 * sealed to the regulator's receivers; the id is an HMAC under the regulator's link key of the
 * prescriptions it names (crypto/rxlink.ts), so nobody else can test which prescriptions an
 * alert links, and the same set raises one alert only. Signed by the regulator's node key or
 * one of its members.
 */
import { HEX32, int, obj, onlyKeys, str } from '../../validate.js';
import { OK, fail, type Contract } from '../../contract.js';
import { getOrg } from '../../identity.js';
import { envelopeFromJson } from '@medledger/crypto';
import { malformed } from '../../errors.js';
import { C, MAX_SEALED_BYTES } from './common.js';
import { getAlert, rxkeys, type AlertEntry, type EnvelopeJsonValue } from './state.js';

export interface RaiseAlertPayload {
  alertId: string;
  count: number;
  sealed: EnvelopeJsonValue;
}

export const processRaiseAlert: Contract<RaiseAlertPayload> = {
  type: 'rx.alert',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['alertId', 'count', 'sealed'], 'payload', C);
    const sealed = obj(p.sealed, 'payload.sealed', C);
    if (typeof sealed.ciphertext === 'string' && sealed.ciphertext.length > (MAX_SEALED_BYTES * 4) / 3 + 4)
      malformed(C, 'payload.sealed.ciphertext', `must be at most ${MAX_SEALED_BYTES} bytes`);
    try {
      if (envelopeFromJson(sealed).receivers.length === 0)
        malformed(C, 'payload.sealed', 'must have a receiver');
    } catch (e) {
      malformed(C, 'payload.sealed', (e as Error).message);
    }
    return {
      alertId: str(p.alertId, 'payload.alertId', C, 64, HEX32),
      count: int(p.count, 'payload.count', C, 2, 1000),
      sealed: sealed as EnvelopeJsonValue,
    };
  },
  execute(ctx, p) {
    const s = ctx.signers[0];
    if (ctx.signers.length !== 1 || !s || s.kind === 'org' || getOrg(ctx.state, s.org)?.role !== 'regulator')
      return fail('NOT_REGULATOR', "an alert is recorded by a regulator's node or member");
    if (getAlert(ctx.state, p.alertId)) return fail('ALERT_EXISTS', `alert ${p.alertId} was raised`);
    const e: AlertEntry = {
      alertId: p.alertId,
      regulator: s.org,
      count: p.count,
      sealed: p.sealed,
      txId: ctx.txId,
      height: ctx.height,
      time: ctx.time,
    };
    ctx.state.put(rxkeys.alert(p.alertId), e);
    ctx.emit({ type: 'rx.alert.raised', alertId: p.alertId, regulator: s.org, count: p.count });
    return OK;
  },
};
