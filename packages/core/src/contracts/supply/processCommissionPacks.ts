/**
 * `supply.commission` — the manufacturer commissions serialized packs of one of its products:
 * an EPCIS ObjectEvent (ADD, commissioning, active) listing the packs' Digital Link URIs, with
 * the lot and expiry in `ilmd`. Each (GTIN, serial) exists once on the ledger: commissioning a
 * serial that exists is refused as DUPLICATE_SERIAL — a second pack with a genuine pack's
 * serial is a counterfeit — and the refused transaction stays in its block as the flag.
 */
import { OK, fail, type Contract } from '../../contract.js';
import { getOrg } from '../../identity.js';
import { obj, onlyKeys } from '../../validate.js';
import { parseEpcisEvent, type ParsedEvent } from './epcis.js';
import { expiredFrom } from './gs1.js';
import { MAX_LOT_PACKS, getLot, getPack, getProduct, skeys, type LotEntry, type PackEntry } from './state.js';

const C = 'INVALID_PAYLOAD';

export interface CommissionPacksPayload {
  parsed: ParsedEvent;
}

export const processCommissionPacks: Contract<CommissionPacksPayload> = {
  type: 'supply.commission',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['event'], 'payload', C);
    return {
      parsed: parseEpcisEvent(p.event, {
        action: 'ADD',
        bizStep: 'commissioning',
        disposition: 'active',
        objects: 'packs',
        ilmd: true,
      }),
    };
  },
  execute(ctx, { parsed }) {
    const s = ctx.signers[0];
    if (ctx.signers.length !== 1 || s?.kind !== 'member' || getOrg(ctx.state, s.org)?.role !== 'manufacturer')
      return fail('NOT_MANUFACTURER', 'packs are commissioned by one member of their manufacturer');
    const gtin = parsed.packs[0]!.gtin;
    if (parsed.packs.some((x) => x.gtin !== gtin))
      return fail('INVALID_PAYLOAD', 'one commissioning event covers packs of one GTIN');
    const product = getProduct(ctx.state, gtin);
    if (!product) return fail('UNKNOWN_PRODUCT', `GTIN ${gtin} is not registered`);
    if (product.manufacturer !== s.org)
      return fail('NOT_MANUFACTURER', `GTIN ${gtin} belongs to ${product.manufacturer}`);
    const { lot, expiry } = parsed.ilmd!;
    if (ctx.time >= expiredFrom(expiry)) return fail('PACK_EXPIRED', `expiry ${expiry} has passed`);
    const old = getLot(ctx.state, gtin, lot);
    if (old && old.expiry !== expiry)
      return fail('LOT_MISMATCH', `lot ${lot} was commissioned with expiry ${old.expiry}`);
    if (old?.recall) return fail('PACK_RECALLED', `lot ${lot} is recalled`);
    if ((old?.serials.length ?? 0) + parsed.packs.length > MAX_LOT_PACKS)
      return fail('LOT_FULL', `a lot holds at most ${MAX_LOT_PACKS} packs`);
    for (const { serial } of parsed.packs)
      if (getPack(ctx.state, gtin, serial))
        return fail(
          'DUPLICATE_SERIAL',
          `pack ${gtin}/${serial} exists: a duplicated serial is a counterfeit`,
        );
    const step = {
      bizStep: 'commissioning' as const,
      org: s.org,
      to: null,
      txId: ctx.txId,
      height: ctx.height,
      time: ctx.time,
    };
    for (const { serial } of parsed.packs) {
      const pack: PackEntry = {
        gtin,
        serial,
        lot,
        expiry,
        holder: s.org,
        status: 'active',
        to: null,
        path: [step],
        dispensed: null,
      };
      ctx.state.put(skeys.pack(gtin, serial), pack);
    }
    const next: LotEntry = old
      ? { ...old, serials: [...old.serials, ...parsed.packs.map((x) => x.serial)] }
      : { gtin, lot, expiry, manufacturer: s.org, serials: parsed.packs.map((x) => x.serial), recall: null };
    ctx.state.put(skeys.lot(gtin, lot), next);
    ctx.emit({ type: 'supply.commissioned', gtin, lot, count: parsed.packs.length, org: s.org });
    return OK;
  },
};
