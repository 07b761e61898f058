/** The clinically relevant time of a record, for the `date` search parameter. */
import type { JsonValue } from '@medledger/crypto';

type Obj = { [k: string]: JsonValue };

/** Where each record type keeps its clinically relevant time (as in records/fhir.ts). */
const EFFECTIVE = [
  'effectiveDateTime',
  'effectiveInstant',
  'effectivePeriod.start',
  'issued',
  'recordedDate',
  'onsetDateTime',
  'authoredOn',
  'period.start',
  'date',
  'created',
  'timestamp',
];

/** ms since the epoch of the first time field the resource has, if any parses. */
export function effectiveTimeOf(r: Obj): number | undefined {
  for (const path of EFFECTIVE) {
    let v: JsonValue | undefined = r;
    for (const k of path.split('.'))
      v = v !== null && typeof v === 'object' && !Array.isArray(v) ? v[k] : undefined;
    if (typeof v === 'string') {
      const t = Date.parse(v);
      if (!Number.isNaN(t)) return t;
    }
  }
  return undefined;
}
