/**
 * `rx.cancel` — the prescriber (or a doctor of the same organization) cancels a prescription;
 * nothing more is dispensed against it from this block on.
 */
import { ID, obj, onlyKeys, str } from '../../validate.js';
import { OK, fail, type Contract } from '../../contract.js';
import { C } from './common.js';
import { getPrescription, rxkeys } from './state.js';

export interface CancelPrescriptionPayload {
  rxId: string;
  reason: string;
}

export const processCancelPrescription: Contract<CancelPrescriptionPayload> = {
  type: 'rx.cancel',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['rxId', 'reason'], 'payload', C);
    return {
      rxId: str(p.rxId, 'payload.rxId', C, 128, ID),
      reason: str(p.reason, 'payload.reason', C, 500),
    };
  },
  execute(ctx, p) {
    const rx = getPrescription(ctx.state, p.rxId);
    if (!rx) return fail('UNKNOWN_RX', `no prescription ${p.rxId}`);
    const s = ctx.signers[0];
    const ok =
      ctx.signers.length === 1 &&
      s?.kind === 'member' &&
      (s.id === rx.prescriber || (s.role === 'doctor' && s.org === rx.prescriberOrg));
    if (!ok)
      return fail(
        'NOT_PRESCRIBER',
        'a prescription is cancelled by its prescriber or a doctor of the same organization',
      );
    if (rx.status !== 'active')
      return fail(
        rx.status === 'cancelled' ? 'RX_CANCELLED' : 'RX_COMPLETED',
        `prescription ${p.rxId} is ${rx.status}`,
      );
    ctx.state.put(rxkeys.rx(p.rxId), { ...rx, status: 'cancelled', cancelledAt: ctx.time });
    ctx.emit({ type: 'rx.cancelled', rxId: p.rxId, pharmacy: rx.pharmacy });
    return OK;
  },
};
