/**
 * GS1 identifiers of serialized medicine packs (GS1 General Specifications §3: GTIN with its
 * mod-10 check digit, AI (21) serial, AI (10) lot, AI (17) expiry) and their GS1 Digital
 * Link URIs (GS1 Digital Link Standard 1.2: `https://id.gs1.org/01/{gtin14}/21/{serial}`),
 * the identifiers EPCIS 2.0 accepts in `epcList`. Serials and lots are restricted to
 * `[A-Za-z0-9._-]`, 1-20 characters: a subset of GS1's 82-character set that needs no
 * percent-encoding in a URI.
 */
import { malformed } from '../../errors.js';

const C = 'INVALID_PAYLOAD';
const SERIAL = /^[A-Za-z0-9._-]{1,20}$/;
const DIGITAL_LINK = /^https:\/\/id\.gs1\.org\/01\/(\d{14})\/(21|10)\/([A-Za-z0-9._-]{1,20})$/;

/** The GS1 mod-10 check digit of the digits before it. */
export function gs1CheckDigit(body: string): number {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    const d = body.charCodeAt(body.length - 1 - i) - 48;
    sum += i % 2 === 0 ? 3 * d : d;
  }
  return (10 - (sum % 10)) % 10;
}

/** Whether `v` is a GTIN-8, -12, -13 or -14 with a correct check digit. */
export function isGtin(v: unknown): v is string {
  if (typeof v !== 'string' || !/^(\d{8}|\d{12,14})$/.test(v)) return false;
  return gs1CheckDigit(v.slice(0, -1)) === v.charCodeAt(v.length - 1) - 48;
}

/** A GTIN as 14 digits (left-padded with zeros), after checking it. */
export function parseGtin(v: unknown, path: string): string {
  if (!isGtin(v)) malformed(C, path, 'must be a GTIN (8, 12, 13 or 14 digits) with a valid check digit');
  return v.padStart(14, '0');
}

/** A serial (AI 21) or lot (AI 10). */
export function parseSerial(v: unknown, path: string): string {
  if (typeof v !== 'string' || !SERIAL.test(v))
    malformed(C, path, 'must be 1-20 characters of [A-Za-z0-9._-]');
  return v;
}

/** A pack's GS1 Digital Link URI. */
export function packUri(gtin: string, serial: string): string {
  return `https://id.gs1.org/01/${gtin.padStart(14, '0')}/21/${serial}`;
}

/** A lot's GS1 Digital Link URI (an EPC class in EPCIS terms). */
export function lotUri(gtin: string, lot: string): string {
  return `https://id.gs1.org/01/${gtin.padStart(14, '0')}/10/${lot}`;
}

/** Parses a pack's Digital Link URI into its GTIN-14 and serial. */
export function parsePackUri(v: unknown, path: string): { gtin: string; serial: string } {
  const m = typeof v === 'string' ? DIGITAL_LINK.exec(v) : null;
  if (!m || m[2] !== '21' || !isGtin(m[1]))
    malformed(C, path, 'must be a GS1 Digital Link https://id.gs1.org/01/{gtin}/21/{serial}');
  return { gtin: m[1]!, serial: m[3]! };
}

/** Parses a lot's Digital Link URI into its GTIN-14 and lot. */
export function parseLotUri(v: unknown, path: string): { gtin: string; lot: string } {
  const m = typeof v === 'string' ? DIGITAL_LINK.exec(v) : null;
  if (!m || m[2] !== '10' || !isGtin(m[1]))
    malformed(C, path, 'must be a GS1 Digital Link https://id.gs1.org/01/{gtin}/10/{lot}');
  return { gtin: m[1]!, lot: m[3]! };
}

/**
 * An expiry date `YYYY-MM-DD` (AI 17 is YYMMDD; the ledger keeps the full year). A pack is
 * expired from the start of the next day, UTC.
 */
export function parseExpiry(v: unknown, path: string): string {
  const m = typeof v === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(v) : null;
  if (m) {
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const t = Date.UTC(y, mo - 1, d);
    const back = new Date(t);
    if (back.getUTCFullYear() === y && back.getUTCMonth() === mo - 1 && back.getUTCDate() === d)
      return v as string;
  }
  return malformed(C, path, 'must be a date YYYY-MM-DD');
}

/** First instant (ms, UTC) at which a pack with this expiry date is expired. */
export function expiredFrom(expiry: string): number {
  const [y, m, d] = expiry.split('-').map(Number) as [number, number, number];
  return Date.UTC(y, m - 1, d + 1);
}
