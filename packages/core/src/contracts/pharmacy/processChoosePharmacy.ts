/**
 * `rx.pharmacy` — the patient changes the pharmacy of a prescription. The authority is the
 * patient's signature with the per-prescription key over (prescription, pharmacy, choice
 * number, hash of the new key wrap); whoever relays it (typically the new pharmacy, to which
 * the patient hands it) signs the transaction, so the patient's member id never appears next to
 * the prescription. The new wrap — the content key sealed to the new pharmacy, made by the
 * patient's wallet — replaces the old pharmacy's, which may dispense nothing from this block
 * on. Choices are numbered: an old choice cannot be replayed.
 */
import { ID, int, obj, onlyKeys, str, B64U } from '../../validate.js';
import { OK, fail, type Contract } from '../../contract.js';
import { getOrg } from '../../identity.js';
import { verifyStatement } from '../../statement.js';
import { C, parseWrap, wrapHash, type WrapJson } from './common.js';
import { PHARMACY_CHOICE_TAG, getPrescription, pharmacyChoice, rxkeys } from './state.js';

export interface ChoosePharmacyPayload {
  rxId: string;
  pharmacy: string;
  seq: number;
  wrap: WrapJson;
  choice: string;
}

export const processChoosePharmacy: Contract<ChoosePharmacyPayload> = {
  type: 'rx.pharmacy',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['rxId', 'pharmacy', 'seq', 'wrap', 'choice'], 'payload', C);
    return {
      rxId: str(p.rxId, 'payload.rxId', C, 128, ID),
      pharmacy: str(p.pharmacy, 'payload.pharmacy', C, 64, ID),
      seq: int(p.seq, 'payload.seq', C, 1, 1_000_000),
      wrap: parseWrap(p.wrap, 'payload.wrap', 'pharmacy'),
      choice: str(p.choice, 'payload.choice', C, 128, B64U),
    };
  },
  execute(ctx, p) {
    if (ctx.signers.length !== 1) return fail('UNAUTHORIZED', 'a pharmacy choice is relayed by one signer');
    const rx = getPrescription(ctx.state, p.rxId);
    if (!rx) return fail('UNKNOWN_RX', `no prescription ${p.rxId}`);
    if (rx.status === 'cancelled') return fail('RX_CANCELLED', `prescription ${p.rxId} was cancelled`);
    if (rx.status === 'completed') return fail('RX_COMPLETED', `prescription ${p.rxId} is fully dispensed`);
    if (ctx.time >= rx.expiresAt) return fail('RX_EXPIRED', `prescription ${p.rxId} has expired`);
    if (getOrg(ctx.state, p.pharmacy)?.role !== 'pharmacy')
      return fail('NOT_A_PHARMACY', 'payload.pharmacy is not a pharmacy of the consortium');
    if (p.pharmacy === rx.pharmacy) return fail('SAME_PHARMACY', `${p.pharmacy} is already the pharmacy`);
    if (p.seq !== rx.consentSeq + 1)
      return fail(
        'CHOICE_REPLAYED',
        `payload.seq must be ${rx.consentSeq + 1}: an older choice cannot be replayed`,
      );
    const choice = pharmacyChoice({ rxId: p.rxId, pharmacy: p.pharmacy, seq: p.seq, wrap: wrapHash(p.wrap) });
    if (!verifyStatement(PHARMACY_CHOICE_TAG, ctx.tx.body.chainId, choice, rx.patientKey, p.choice))
      return fail('CHOICE_INVALID', "payload.choice is not the patient's signature of this choice");
    const receivers = (rx.envelope.receivers as WrapJson[]).filter((w) => w.id !== 'pharmacy');
    ctx.state.put(rxkeys.rx(p.rxId), {
      ...rx,
      pharmacy: p.pharmacy,
      consentSeq: p.seq,
      envelope: { ...rx.envelope, receivers: [...receivers, p.wrap] },
    });
    ctx.emit({ type: 'rx.pharmacy.changed', rxId: p.rxId, pharmacy: p.pharmacy, previous: rx.pharmacy });
    return OK;
  },
};
