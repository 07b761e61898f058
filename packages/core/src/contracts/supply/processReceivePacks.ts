/**
 * `supply.receive` — the consignee takes custody of packs shipped to it: an EPCIS ObjectEvent
 * (OBSERVE, receiving, in_progress) whose owning-party destination is the signer's
 * organization. Each pack must be in transit to that organization (NOT_CONSIGNEE otherwise).
 */
import { OK, fail, type Contract } from '../../contract.js';
import { obj, onlyKeys } from '../../validate.js';
import { supplySigner } from './custody.js';
import { parseEpcisEvent, type ParsedEvent } from './epcis.js';
import { getPack, skeys, type PackEntry } from './state.js';

const C = 'INVALID_PAYLOAD';

export interface ReceivePacksPayload {
  parsed: ParsedEvent;
}

export const processReceivePacks: Contract<ReceivePacksPayload> = {
  type: 'supply.receive',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['event'], 'payload', C);
    return {
      parsed: parseEpcisEvent(p.event, {
        action: 'OBSERVE',
        bizStep: 'receiving',
        disposition: 'in_progress',
        objects: 'packs',
        destination: true,
      }),
    };
  },
  execute(ctx, { parsed }) {
    const s = supplySigner(ctx);
    if (!s) return fail('UNAUTHORIZED', 'packs are received by one member of a supply-chain organization');
    if (parsed.destination !== s.org)
      return fail('NOT_CONSIGNEE', "the event's owning-party destination must be the signer's organization");
    const next: PackEntry[] = [];
    for (const { gtin, serial } of parsed.packs) {
      const pack = getPack(ctx.state, gtin, serial);
      if (!pack) return fail('PACK_UNKNOWN', `no pack ${gtin}/${serial} was commissioned: not authentic`);
      if (pack.status !== 'in_transit' || pack.to !== s.org)
        return fail('NOT_CONSIGNEE', `pack ${gtin}/${serial} is not in transit to ${s.org}`);
      const step = {
        bizStep: 'receiving' as const,
        org: s.org,
        to: null,
        txId: ctx.txId,
        height: ctx.height,
        time: ctx.time,
      };
      next.push({ ...pack, holder: s.org, status: 'active', to: null, path: [...pack.path, step] });
    }
    for (const p of next) ctx.state.put(skeys.pack(p.gtin, p.serial), p);
    ctx.emit({ type: 'supply.received', org: s.org, count: next.length });
    return OK;
  },
};
