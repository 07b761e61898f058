/**
 * `rx.dispense` — a pharmacist of the chosen pharmacy dispenses against a prescription (the
 * ledger side of a FHIR MedicationDispense), optionally handing over serialized packs. The
 * ledger tracks what remains and refuses, in this order: a cancelled (RX_CANCELLED) or expired
 * (RX_EXPIRED, by block time) prescription; a dispense by another pharmacy than the one the
 * patient chose (RX_WRONG_PHARMACY); a prescription whose content differs from the one written
 * (RX_ALTERED: the commitment of the MedicationRequest the pharmacist was shown is not the one
 * on the ledger); more units than remain or than one fill allows (RX_QUANTITY_EXCEEDED); and,
 * per pack, one that was never commissioned (PACK_UNKNOWN), is not in this pharmacy's stock
 * (NOT_HOLDER, PACK_IN_TRANSIT), was dispensed already (PACK_DISPENSED), belongs to a recalled
 * lot (PACK_RECALLED) or has expired (PACK_EXPIRED). Dispensing links each pack to the
 * dispense, so a serial is dispensed at most once.
 */
import { HEX32, ID, arr, int, obj, onlyKeys, str } from '../../validate.js';
import { OK, fail, type Contract } from '../../contract.js';
import { getOrg } from '../../identity.js';
import { malformed } from '../../errors.js';
import { heldPack, isRefusal } from '../supply/custody.js';
import { expiredFrom, parseGtin, parseSerial } from '../supply/gs1.js';
import { getProduct, skeys, type PackEntry } from '../supply/state.js';
import { C } from './common.js';
import {
  RX_MAX_DISPENSES,
  authorizedUnits,
  getDispense,
  getPrescription,
  rxkeys,
  type DispenseEntry,
} from './state.js';

export interface DispensePayload {
  dispenseId: string;
  rxId: string;
  quantity: number;
  /** Commitment of the MedicationRequest as presented to the pharmacist (hex). */
  commitment: string;
  packs: { gtin: string; serial: string }[];
}

export const processDispense: Contract<DispensePayload> = {
  type: 'rx.dispense',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['dispenseId', 'rxId', 'quantity', 'commitment', 'packs'], 'payload', C);
    const seen = new Set<string>();
    const packs = arr(p.packs, 'payload.packs', C, 0, 50).map((x, i) => {
      const q = obj(x, `payload.packs[${i}]`, C);
      onlyKeys(q, ['gtin', 'serial'], `payload.packs[${i}]`, C);
      const pack = {
        gtin: parseGtin(q.gtin, `payload.packs[${i}].gtin`),
        serial: parseSerial(q.serial, `payload.packs[${i}].serial`),
      };
      const k = `${pack.gtin}/${pack.serial}`;
      if (seen.has(k)) malformed(C, `payload.packs[${i}]`, 'the same pack twice');
      seen.add(k);
      return pack;
    });
    return {
      dispenseId: str(p.dispenseId, 'payload.dispenseId', C, 128, ID),
      rxId: str(p.rxId, 'payload.rxId', C, 128, ID),
      quantity: int(p.quantity, 'payload.quantity', C, 1, 100_000),
      commitment: str(p.commitment, 'payload.commitment', C, 64, HEX32),
      packs,
    };
  },
  execute(ctx, p) {
    const s = ctx.signers[0];
    if (
      ctx.signers.length !== 1 ||
      s?.kind !== 'member' ||
      s.role !== 'pharmacist' ||
      getOrg(ctx.state, s.org)?.role !== 'pharmacy'
    )
      return fail('NOT_PHARMACIST', 'a dispense is signed by one pharmacist of a pharmacy');
    const rx = getPrescription(ctx.state, p.rxId);
    if (!rx) return fail('UNKNOWN_RX', `no prescription ${p.rxId}`);
    if (getDispense(ctx.state, p.dispenseId))
      return fail('DISPENSE_EXISTS', `dispense ${p.dispenseId} exists`);
    if (rx.status === 'cancelled') return fail('RX_CANCELLED', `prescription ${p.rxId} was cancelled`);
    if (ctx.time >= rx.expiresAt) return fail('RX_EXPIRED', `prescription ${p.rxId} has expired`);
    if (s.org !== rx.pharmacy)
      return fail(
        'RX_WRONG_PHARMACY',
        `the patient chose another pharmacy than ${s.org} for this prescription`,
      );
    if (p.commitment !== rx.commitment)
      return fail(
        'RX_ALTERED',
        'the prescription presented is not the one written: its commitment differs from the ledger',
      );
    const left = authorizedUnits(rx) - rx.dispensed;
    if (p.quantity > rx.quantity || p.quantity > left)
      return fail(
        'RX_QUANTITY_EXCEEDED',
        `${p.quantity} units asked; one fill allows ${rx.quantity} and ${left} remain of ${authorizedUnits(rx)}`,
      );
    if (rx.dispenses.length >= RX_MAX_DISPENSES)
      return fail('RX_QUANTITY_EXCEEDED', `at most ${RX_MAX_DISPENSES} dispenses against one prescription`);
    const packs: PackEntry[] = [];
    let units = 0;
    for (const { gtin, serial } of p.packs) {
      const h = heldPack(ctx, s.org, gtin, serial);
      if (isRefusal(h)) return h;
      if (h.recalled)
        return fail('PACK_RECALLED', `pack ${gtin}/${serial} belongs to recalled lot ${h.pack.lot}`);
      if (ctx.time >= expiredFrom(h.pack.expiry))
        return fail('PACK_EXPIRED', `pack ${gtin}/${serial} expired on ${h.pack.expiry}`);
      units += getProduct(ctx.state, gtin)?.unitsPerPack ?? 0;
      packs.push(h.pack);
    }
    if (packs.length > 0 && units !== p.quantity)
      return fail('PACK_QUANTITY_MISMATCH', `the packs hold ${units} units, the dispense says ${p.quantity}`);
    const dispensed = { pharmacy: s.org, dispenseId: p.dispenseId, height: ctx.height, time: ctx.time };
    for (const pack of packs) {
      const step = {
        bizStep: 'dispensing' as const,
        org: s.org,
        to: null,
        txId: ctx.txId,
        height: ctx.height,
        time: ctx.time,
      };
      ctx.state.put(skeys.pack(pack.gtin, pack.serial), {
        ...pack,
        status: 'dispensed',
        dispensed,
        path: [...pack.path, step],
      });
    }
    const total = rx.dispensed + p.quantity;
    ctx.state.put(rxkeys.rx(p.rxId), {
      ...rx,
      dispensed: total,
      fills: rx.fills + 1,
      dispenses: [...rx.dispenses, p.dispenseId],
      status: total === authorizedUnits(rx) ? 'completed' : 'active',
    });
    const d: DispenseEntry = {
      dispenseId: p.dispenseId,
      rxId: p.rxId,
      pharmacy: s.org,
      pharmacist: s.id,
      quantity: p.quantity,
      packs: p.packs,
      txId: ctx.txId,
      height: ctx.height,
      time: ctx.time,
    };
    ctx.state.put(rxkeys.dispense(p.dispenseId), d);
    ctx.emit({
      type: 'rx.dispensed',
      rxId: p.rxId,
      dispenseId: p.dispenseId,
      pharmacy: s.org,
      quantity: p.quantity,
    });
    return OK;
  },
};
