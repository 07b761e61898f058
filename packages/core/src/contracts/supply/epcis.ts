/**
 * Supply-chain events shaped after GS1 EPCIS 2.0 (ratified 2022, JSON/JSON-LD binding §12) with
 * Core Business Vocabulary 2.0 terms in their bare JSON-LD form: an `ObjectEvent` with
 * `eventTime`, `eventTimeZoneOffset`, `epcList` (GS1 Digital Link URIs of packs) or
 * `quantityList` (lot URIs), `action` (ADD commissions, OBSERVE observes), `bizStep`,
 * `disposition`, `sourceList` / `destinationList` of type `owning_party`, and `ilmd` with
 * `cbvmda:lotNumber` and `cbvmda:itemExpirationDate` at commissioning.
 *
 * Mapping to the ledger: commissioning (ADD, commissioning, active); shipping (OBSERVE,
 * shipping, in_transit, source = sender, destination = receiver); receiving (OBSERVE,
 * receiving, in_progress, destination = receiver); dispensing (dispensing, dispensed: written
 * by `rx.dispense`); a lot recall (OBSERVE, holding, recalled, quantityList of the lot).
 * Parties are `urn:medledger:org:<id>`. The ledger keeps its own time: `eventTime` is what the
 * signer claims, the block time is what counts. Only this subset is accepted; unknown fields
 * are refused, so a signed event means exactly what the ledger stored.
 */
import type { JsonValue } from '@medledger/crypto';
import { malformed } from '../../errors.js';
import { ID, arr, obj, onlyKeys, str, type Obj } from '../../validate.js';
import { lotUri, packUri, parseExpiry, parseLotUri, parsePackUri, parseSerial } from './gs1.js';

const C = 'INVALID_PAYLOAD';
const PARTY = /^urn:medledger:org:([A-Za-z0-9-]{1,64})$/;
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$/;
const OFFSET = /^[+-]\d{2}:\d{2}$/;

/** The organization URI of an EPCIS party. */
export const partyUri = (org: string): string => `urn:medledger:org:${org}`;

/** What each ledger step requires of its event. */
export interface EpcisShape {
  action: 'ADD' | 'OBSERVE';
  bizStep: 'commissioning' | 'shipping' | 'receiving' | 'holding';
  disposition: 'active' | 'in_transit' | 'in_progress' | 'recalled';
  /** epcList of packs, or quantityList of one lot. */
  objects: 'packs' | 'lot';
  source?: boolean;
  destination?: boolean;
  ilmd?: boolean;
}

/** An EPCIS ObjectEvent as the ledger stores it. */
export interface EpcisEvent {
  [k: string]: JsonValue;
  type: 'ObjectEvent';
  eventTime: string;
  eventTimeZoneOffset: string;
  action: string;
  bizStep: string;
  disposition: string;
}

/** What a parsed event names. */
export interface ParsedEvent {
  event: EpcisEvent;
  packs: { gtin: string; serial: string }[];
  lot?: { gtin: string; lot: string };
  source?: string;
  destination?: string;
  ilmd?: { lot: string; expiry: string };
}

function party(list: unknown, key: 'source' | 'destination', path: string): string {
  const a = arr(list, path, C, 1, 1);
  const e = obj(a[0], `${path}[0]`, C);
  onlyKeys(e, ['type', key], `${path}[0]`, C);
  if (e.type !== 'owning_party') malformed(C, `${path}[0].type`, 'must be owning_party');
  const m = typeof e[key] === 'string' ? PARTY.exec(e[key] as string) : null;
  if (!m) malformed(C, `${path}[0].${key}`, 'must be urn:medledger:org:<id>');
  return m[1]!;
}

/**
 * Parses `payload.event` against the shape of one ledger step.
 * @throws LedgerError INVALID_PAYLOAD naming the first field that differs
 */
export function parseEpcisEvent(v: unknown, shape: EpcisShape, path = 'payload.event'): ParsedEvent {
  const e = obj(v, path, C);
  const keys = ['type', 'eventTime', 'eventTimeZoneOffset', 'action', 'bizStep', 'disposition'];
  keys.push(shape.objects === 'packs' ? 'epcList' : 'quantityList');
  if (shape.source) keys.push('sourceList');
  if (shape.destination) keys.push('destinationList');
  if (shape.ilmd) keys.push('ilmd');
  onlyKeys(e, keys, path, C);
  if (e.type !== 'ObjectEvent') malformed(C, `${path}.type`, 'must be ObjectEvent');
  str(e.eventTime, `${path}.eventTime`, C, 40, TIME);
  str(e.eventTimeZoneOffset, `${path}.eventTimeZoneOffset`, C, 6, OFFSET);
  for (const k of ['action', 'bizStep', 'disposition'] as const)
    if (e[k] !== shape[k]) malformed(C, `${path}.${k}`, `must be ${shape[k]}`);
  const out: ParsedEvent = { event: e as EpcisEvent, packs: [] };
  if (shape.objects === 'packs') {
    const seen = new Set<string>();
    out.packs = arr(e.epcList, `${path}.epcList`, C, 1, 1000).map((x, i) => {
      const p = parsePackUri(x, `${path}.epcList[${i}]`);
      if (seen.has(x as string)) malformed(C, `${path}.epcList[${i}]`, 'duplicate pack in one event');
      seen.add(x as string);
      return p;
    });
  } else {
    const q = arr(e.quantityList, `${path}.quantityList`, C, 1, 1);
    const item = obj(q[0], `${path}.quantityList[0]`, C);
    onlyKeys(item, ['epcClass'], `${path}.quantityList[0]`, C);
    out.lot = parseLotUri(item.epcClass, `${path}.quantityList[0].epcClass`);
  }
  if (shape.source) out.source = party(e.sourceList, 'source', `${path}.sourceList`);
  if (shape.destination) out.destination = party(e.destinationList, 'destination', `${path}.destinationList`);
  if (shape.ilmd) {
    const m: Obj = obj(e.ilmd, `${path}.ilmd`, C);
    onlyKeys(m, ['cbvmda:lotNumber', 'cbvmda:itemExpirationDate'], `${path}.ilmd`, C);
    out.ilmd = {
      lot: parseSerial(m['cbvmda:lotNumber'], `${path}.ilmd.cbvmda:lotNumber`),
      expiry: parseExpiry(m['cbvmda:itemExpirationDate'], `${path}.ilmd.cbvmda:itemExpirationDate`),
    };
  }
  return out;
}

/** An organization id in a payload. */
export const orgId = (v: unknown, path: string): string => str(v, path, C, 64, ID);

type Json = { [k: string]: JsonValue };
type PackRef = { gtin: string; serial: string };

function base(time: number, action: string, bizStep: string, disposition: string): Json {
  return {
    type: 'ObjectEvent',
    eventTime: new Date(time).toISOString(),
    eventTimeZoneOffset: '+00:00',
    action,
    bizStep,
    disposition,
  };
}

/** The EPCIS event of `supply.commission`. */
export function commissionEvent(p: {
  time: number;
  gtin: string;
  serials: string[];
  lot: string;
  expiry: string;
}): Json {
  return {
    ...base(p.time, 'ADD', 'commissioning', 'active'),
    epcList: p.serials.map((s) => packUri(p.gtin, s)),
    ilmd: { 'cbvmda:lotNumber': p.lot, 'cbvmda:itemExpirationDate': p.expiry },
  };
}

/** The EPCIS event of `supply.ship`. */
export function shipEvent(p: { time: number; packs: PackRef[]; from: string; to: string }): Json {
  return {
    ...base(p.time, 'OBSERVE', 'shipping', 'in_transit'),
    epcList: p.packs.map((x) => packUri(x.gtin, x.serial)),
    sourceList: [{ type: 'owning_party', source: partyUri(p.from) }],
    destinationList: [{ type: 'owning_party', destination: partyUri(p.to) }],
  };
}

/** The EPCIS event of `supply.receive`. */
export function receiveEvent(p: { time: number; packs: PackRef[]; to: string }): Json {
  return {
    ...base(p.time, 'OBSERVE', 'receiving', 'in_progress'),
    epcList: p.packs.map((x) => packUri(x.gtin, x.serial)),
    destinationList: [{ type: 'owning_party', destination: partyUri(p.to) }],
  };
}

/** The EPCIS event of `supply.recall`. */
export function recallEvent(p: { time: number; gtin: string; lot: string }): Json {
  return {
    ...base(p.time, 'OBSERVE', 'holding', 'recalled'),
    quantityList: [{ epcClass: lotUri(p.gtin, p.lot) }],
  };
}
