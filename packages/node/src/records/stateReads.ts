/**
 * Which patient's data a world-state value reveals, so that `GET /v1/state/:key` logs the read
 * on the ledger like any other read of patient data. A value is a read of:
 * - a record, when the key is the record's (`record:<id>`, `stt:<id>` and its items `stt:<id>#<i>`):
 *   logged under the record;
 * - a patient, when the key ends in an enrolled patient's member id (`careteam:<p>`,
 *   `grants:<p>` and its items `grants:<p>#<i>`, `chain:dss:<p>`, `member:<p>`, ...), or when the value is an
 *   object whose top-level `patient` or `patientId` names one (a grant, an access decision, an
 *   emergency request, an HE claim, a PEKS index, a prescription): logged under the patient,
 *   with the key as `ref`.
 * Ids that are not enrolled patients are left out (the `access.log` contract refuses them).
 * The public keys a patient publishes (`pubkeys:<p>`) are there for others to encrypt to: not
 * the patient's data, and read by every client that writes to them, so not logged.
 * A value that nests a patient id deeper than its top level is not recognized: the logging
 * covers the state layouts of the contracts, which keep the patient at the top.
 */
import { getMember, getRecord, listKeyOf, type StateReader } from '@medledger/core';
import { ID } from '@medledger/core/validate';

/**
 * A read of a patient's data that is not a block or a transaction: one record (`recordId`),
 * or data of a patient that is not one record (`patient`, with `ref`: the state key or id
 * read). `channel` names the route family (`state`, `index`, `emergency`, `he-claim`, `peks`).
 */
export type PatientDataRead =
  { recordId: string; channel: string } | { patient: string; ref: string; channel: string };

/** Channel of the entries for state reads. */
export const STATE_READ_CHANNEL = 'state';

const isPatient = (state: StateReader, id: unknown): id is string =>
  typeof id === 'string' && getMember(state, id)?.role === 'patient';

/**
 * The reads of patient data that serving `value` under `key` amounts to.
 * @example patientReadsOfState(node.store, 'careteam:ab12…', ['cd34…']) // [{ patient: 'ab12…', ref: 'careteam:ab12…', channel: 'state' }]
 */
export function patientReadsOfState(state: StateReader, key: string, value: unknown): PatientDataRead[] {
  for (const prefix of ['record:', 'stt:']) {
    if (!key.startsWith(prefix)) continue;
    // A transmission of a record's path (`stt:<id>#<i>`) is a read of the record.
    const r = getRecord(state, listKeyOf(key).slice(prefix.length));
    if (r) return [{ recordId: r.recordId, channel: STATE_READ_CHANNEL }];
  }
  if (key.startsWith('pubkeys:')) return [];
  const patients = new Set<string>();
  // An item of an append-only list (`grants:<p>#<i>`) belongs to the list's owner.
  const owner = listKeyOf(key);
  const last = owner.slice(owner.lastIndexOf(':') + 1);
  if (isPatient(state, last)) patients.add(last);
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const v = value as { patient?: unknown; patientId?: unknown };
    for (const p of [v.patient, v.patientId]) if (isPatient(state, p)) patients.add(p);
  }
  const ref = owner.length <= 200 && ID.test(owner) ? owner : 'state';
  return [...patients].map((patient) => ({ patient, ref, channel: STATE_READ_CHANNEL }));
}
