/**
 * `supply.ship` — the organization in custody ships packs to another supply-chain member: an
 * EPCIS ObjectEvent (OBSERVE, shipping, in_transit) whose owning-party source is the signer's
 * organization and whose destination is the consignee. Every pack must be held in stock by the
 * signer's organization: a shipment by anyone else is refused as NOT_HOLDER (and flagged by
 * its refused transaction). A recalled pack may only go back to its manufacturer.
 */
import { OK, fail, type Contract } from '../../contract.js';
import { getOrg } from '../../identity.js';
import { obj, onlyKeys } from '../../validate.js';
import { SUPPLY_ROLES, heldPack, isRefusal, supplySigner } from './custody.js';
import { parseEpcisEvent, type ParsedEvent } from './epcis.js';
import { getProduct, skeys, type PackEntry } from './state.js';

const C = 'INVALID_PAYLOAD';

export interface ShipPacksPayload {
  parsed: ParsedEvent;
}

export const processShipPacks: Contract<ShipPacksPayload> = {
  type: 'supply.ship',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['event'], 'payload', C);
    return {
      parsed: parseEpcisEvent(p.event, {
        action: 'OBSERVE',
        bizStep: 'shipping',
        disposition: 'in_transit',
        objects: 'packs',
        source: true,
        destination: true,
      }),
    };
  },
  execute(ctx, { parsed }) {
    const s = supplySigner(ctx);
    if (!s) return fail('UNAUTHORIZED', 'packs are shipped by one member of a supply-chain organization');
    if (parsed.source !== s.org)
      return fail('NOT_HOLDER', "the event's owning-party source must be the signer's organization");
    const to = parsed.destination!;
    const role = getOrg(ctx.state, to)?.role;
    if (to === s.org || role === undefined || !SUPPLY_ROLES.includes(role))
      return fail('BAD_DESTINATION', 'packs are shipped to another manufacturer, distributor or pharmacy');
    const next: PackEntry[] = [];
    for (const { gtin, serial } of parsed.packs) {
      const h = heldPack(ctx, s.org, gtin, serial);
      if (isRefusal(h)) return h;
      if (h.recalled && getProduct(ctx.state, gtin)?.manufacturer !== to)
        return fail(
          'PACK_RECALLED',
          `pack ${gtin}/${serial} is recalled: it may only return to its manufacturer`,
        );
      const step = {
        bizStep: 'shipping' as const,
        org: s.org,
        to,
        txId: ctx.txId,
        height: ctx.height,
        time: ctx.time,
      };
      next.push({ ...h.pack, status: 'in_transit', to, path: [...h.pack.path, step] });
    }
    for (const p of next) ctx.state.put(skeys.pack(p.gtin, p.serial), p);
    ctx.emit({ type: 'supply.shipped', from: s.org, to, count: next.length });
    return OK;
  },
};
