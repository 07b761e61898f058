/**
 * Zero-knowledge predicates over hidden BBS credential attributes: "min <= attribute <= max"
 * proven without revealing the attribute, with Bulletproofs++ range proofs (Eagen, Kanjalkar,
 * Ruffing, Nick: "Bulletproofs++", EUROCRYPT 2024) as implemented by
 * @docknetwork/crypto-wasm-ts 0.67 (`Statement.boundCheckBpp`). The range proof is tied to the
 * credential by a witness-equality meta-statement of the composite proof (credentials.ts builds
 * it): the bounded value is the very message the issuer signed.
 *
 * Setup: Bulletproofs++ is transparent. Its parameters are derived by hashing a public label
 * (`medledger/zk/bpp/v1`), so there is no trusted setup and no ceremony; they are computed once
 * per process (about 140 ms) and cached. LegoGroth16 (`BoundCheckSnarkSetup`) was measured here
 * and rejected: its setup is a trusted one (whoever ran it can forge range proofs; a real
 * deployment would need a multi-party ceremony with published transcripts) and proving took
 * about 8 s against 0.45 s for Bulletproofs++ (verify 45 ms against 160 ms).
 *
 * Threat model: the verifier learns that the hidden value lies in the public interval and
 * nothing else (zero knowledge under the discrete-log assumption). The bounds themselves are
 * public and chosen by the verifier: narrow bounds reveal more (a verifier asking for
 * `1990-01-01 <= birthDate <= 1990-01-01` learns the birth date), so the holder's wallet should
 * show the predicate to the person before proving. Values are non-negative integers below
 * 2^53 - 1; dates are encoded as the integer YYYYMMDD, whose order is the calendar order.
 * Crypto reads no clock: the reference date or time is always a parameter.
 */
import { BoundCheckBppParams, type BoundCheckBppParamsUncompressed } from '@docknetwork/crypto-wasm-ts';
import { assertInt, assertString } from './assert.js';
import { utf8 } from './bytes.js';

/** The largest value a predicate can bound (Bulletproofs++ here takes safe-integer bounds). */
export const MAX_PREDICATE_VALUE = Number.MAX_SAFE_INTEGER - 1;

/**
 * A predicate `min <= attribute <= max` (both inclusive) over a hidden numeric attribute.
 * A missing `min` means 0; a missing `max` means {@link MAX_PREDICATE_VALUE}.
 */
export interface Predicate {
  attribute: string;
  min?: number;
  max?: number;
}

/** A predicate with both bounds resolved (inclusive). */
export interface ResolvedPredicate {
  attribute: string;
  min: number;
  max: number;
}

/**
 * Checks a predicate and resolves its bounds. Throws `TypeError`/`RangeError` on a malformed
 * predicate (non-integer bounds, `min > max`, empty attribute name).
 */
export function resolvePredicate(p: Predicate): ResolvedPredicate {
  if (typeof p !== 'object' || p === null) throw new TypeError('predicate must be an object');
  assertString(p.attribute, 'predicate.attribute', true);
  const min = p.min ?? 0;
  const max = p.max ?? MAX_PREDICATE_VALUE;
  assertInt(min, 'predicate.min', 0, MAX_PREDICATE_VALUE);
  assertInt(max, 'predicate.max', 0, MAX_PREDICATE_VALUE);
  if (min > max) throw new RangeError('predicate.min must be <= predicate.max');
  return { attribute: p.attribute, min, max };
}

/** True if `value` satisfies the predicate (used by a prover to refuse early). */
export function predicateHolds(p: ResolvedPredicate, value: unknown): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= p.min && value <= p.max;
}

/** `attribute >= min`. */
export function atLeast(attribute: string, min: number): Predicate {
  return { attribute, min };
}

/** `attribute <= max`. */
export function atMost(attribute: string, max: number): Predicate {
  return { attribute, max };
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(m) ? 30 : 31;
}

/**
 * Encodes an ISO calendar date `YYYY-MM-DD` as the integer YYYYMMDD (order-preserving), the
 * form in which credentials carry dates. Throws `TypeError` on a malformed or impossible date.
 * @example dateToNumber('2008-03-15') === 20080315
 */
export function dateToNumber(date: string): number {
  assertString(date, 'date');
  const m = DATE_RE.exec(date);
  if (!m) throw new TypeError('date must be YYYY-MM-DD');
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) {
    throw new TypeError('date is not a calendar date');
  }
  return y * 10_000 + mo * 100 + d;
}

/**
 * The UTC calendar date (as YYYYMMDD) of a Unix time in milliseconds, e.g. a block's time.
 * Pure arithmetic (Hinnant's civil-from-days); reads no clock.
 * @example timeToDateNumber(Date.UTC(2026, 2, 15, 12)) === 20260315
 */
export function timeToDateNumber(unixMs: number): number {
  assertInt(unixMs, 'unixMs', 0);
  const z = Math.floor(unixMs / 86_400_000) + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const mo = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (mo <= 2 ? 1 : 0);
  return y * 10_000 + mo * 100 + d;
}

/**
 * "At least `years` old on `referenceDate`" over a hidden birth date (YYYYMMDD attribute):
 * birthDate <= referenceDate - years. A person born on 29 February comes of age on 1 March in
 * non-leap years.
 * @param referenceDate - YYYYMMDD (e.g. from {@link timeToDateNumber} of the block time) or
 *   `YYYY-MM-DD`.
 * @example ageAtLeast(18, '2026-03-15') // { attribute: 'birthDate', max: 20080315 }
 */
export function ageAtLeast(
  years: number,
  referenceDate: number | string,
  attribute = 'birthDate',
): Predicate {
  assertInt(years, 'years', 0, 200);
  const ref = typeof referenceDate === 'string' ? dateToNumber(referenceDate) : referenceDate;
  assertInt(ref, 'referenceDate', 10_101, 99_991_231);
  return { attribute, max: ref - years * 10_000 };
}

/**
 * "Valid on `date`" over a hidden YYYYMMDD validity end (e.g. insurance valid until):
 * attribute >= date.
 * @example validOn('insuranceValidUntil', timeToDateNumber(block.time))
 */
export function validOn(attribute: string, date: number | string): Predicate {
  const d = typeof date === 'string' ? dateToNumber(date) : date;
  assertInt(d, 'date', 10_101, 99_991_231);
  return { attribute, min: d };
}

let bpp: BoundCheckBppParamsUncompressed | undefined;

/**
 * The Bulletproofs++ parameters (base 2, 64-bit values) derived from the public label
 * `medledger/zk/bpp/v1`; computed on first use and cached for the process. The WASM module
 * must be initialised first (credentials.ts does it).
 */
export function bulletproofsParams(): BoundCheckBppParamsUncompressed {
  bpp ??= new BoundCheckBppParams(utf8('medledger/zk/bpp/v1'), 2, 64).decompress();
  return bpp;
}

/**
 * The `[min, max)` pair the Dock statement takes for an inclusive predicate.
 * `max + 1` stays a safe integer because predicate values are capped at MAX_SAFE_INTEGER - 1.
 */
export function boundCheckInterval(p: ResolvedPredicate): [number, number] {
  return [p.min, p.max + 1];
}
