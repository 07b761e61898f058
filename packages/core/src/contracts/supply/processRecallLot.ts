/**
 * `supply.recall` — the manufacturer (or a regulator) recalls a lot: an EPCIS ObjectEvent
 * (OBSERVE, holding, recalled) naming the lot as an EPC class, with a reason. The contract
 * finds every organization that holds packs of the lot — in stock, or in transit to it — and
 * every pharmacy that dispensed one, and appends a notice to each one's recall list
 * (`supply:recalls:<org>`), so the recall reaches every holder through the ledger itself.
 * From this block on, no pack of the lot is shipped (except back to its manufacturer) or
 * dispensed.
 */
import { OK, fail, type Contract } from '../../contract.js';
import { getOrg } from '../../identity.js';
import { obj, onlyKeys, str } from '../../validate.js';
import { parseEpcisEvent, type ParsedEvent } from './epcis.js';
import { getLot, getPack, getProduct, getRecalls, skeys, type RecallEntry } from './state.js';

const C = 'INVALID_PAYLOAD';

export interface RecallLotPayload {
  parsed: ParsedEvent;
  reason: string;
}

export const processRecallLot: Contract<RecallLotPayload> = {
  type: 'supply.recall',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['event', 'reason'], 'payload', C);
    return {
      parsed: parseEpcisEvent(p.event, {
        action: 'OBSERVE',
        bizStep: 'holding',
        disposition: 'recalled',
        objects: 'lot',
      }),
      reason: str(p.reason, 'payload.reason', C, 500),
    };
  },
  execute(ctx, { parsed, reason }) {
    const { gtin, lot } = parsed.lot!;
    const s = ctx.signers[0];
    const product = getProduct(ctx.state, gtin);
    if (!product) return fail('UNKNOWN_PRODUCT', `GTIN ${gtin} is not registered`);
    const ok =
      ctx.signers.length === 1 &&
      s?.kind === 'member' &&
      (s.org === product.manufacturer || getOrg(ctx.state, s.org)?.role === 'regulator');
    if (!ok) return fail('UNAUTHORIZED', 'a lot is recalled by its manufacturer or a regulator');
    const entry = getLot(ctx.state, gtin, lot);
    if (!entry) return fail('UNKNOWN_LOT', `lot ${lot} of GTIN ${gtin} was never commissioned`);
    if (entry.recall)
      return fail('ALREADY_RECALLED', `lot ${lot} was recalled at height ${entry.recall.height}`);
    const held = new Map<string, number>();
    const dispensed = new Map<string, number>();
    const add = (m: Map<string, number>, org: string): void => void m.set(org, (m.get(org) ?? 0) + 1);
    for (const serial of entry.serials) {
      const pack = getPack(ctx.state, gtin, serial);
      if (!pack) continue;
      if (pack.dispensed) add(dispensed, pack.dispensed.pharmacy);
      else {
        add(held, pack.holder);
        if (pack.status === 'in_transit' && pack.to !== null) add(held, pack.to);
      }
    }
    const recall: RecallEntry = {
      reason,
      by: s.id,
      byOrg: s.org,
      holders: [...held.keys()].sort(),
      dispensedBy: [...dispensed.keys()].sort(),
      txId: ctx.txId,
      height: ctx.height,
      time: ctx.time,
    };
    ctx.state.put(skeys.lot(gtin, lot), { ...entry, recall });
    const notify = (org: string, packs: number, as: 'holder' | 'dispensed'): void => {
      const notice = { gtin, lot, reason, packs, as, txId: ctx.txId, height: ctx.height, time: ctx.time };
      ctx.state.put(skeys.recalls(org), [...getRecalls(ctx.state, org), notice]);
      ctx.emit({ type: 'supply.recalled', org, gtin, lot, packs, as });
    };
    for (const org of recall.holders) notify(org, held.get(org)!, 'holder');
    for (const org of recall.dispensedBy) if (!held.has(org)) notify(org, dispensed.get(org)!, 'dispensed');
    return OK;
  },
};
