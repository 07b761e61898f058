/**
 * From a contract event to what the patient is told. Only summary fields on an allow-list per
 * event type are copied — who, which record, which grant, what outcome — so a notification
 * can never carry record contents even if a future contract put them in an event.
 */
import type { JsonValue } from '@medledger/crypto';
import type { LedgerEvent } from '@medledger/core';
import type { PatientNotification } from '@medledger/client';

/** The summary fields a notification of each type may carry. Other patient events carry none. */
export const SUMMARY_FIELDS: Readonly<Record<string, readonly string[]>> = {
  'access.decided': [
    'requester',
    'recordId',
    'purpose',
    'mode',
    'allow',
    'code',
    'basis',
    'grantId',
    'holder',
  ],
  'access.logged': [
    'requester',
    'recordId',
    'ref',
    'purpose',
    'channel',
    'outcome',
    'code',
    'node',
    'readAt',
  ],
  'consent.granted': ['grantId', 'purposes', 'notAfter'],
  'consent.revoked': ['grantId'],
  'record.written': ['mode', 'recordId', 'category', 'holder'],
  'record.transmitted': ['recordId', 'from', 'to', 'prev'],
  'record.erased': ['recordId', 'mode', 'holder'],
  'careteam.changed': ['add', 'remove'],
  'emergency.requested': ['requester', 'setupId', 'recordId', 'reason', 'allow', 'code'],
  // Each proxy's re-encryption share for an emergency request: who asked, for which record,
  // which proxy, and how many of the threshold are in.
  'emergency.reencrypted': ['requestId', 'recordId', 'requester', 'proxy', 'count', 'threshold'],
  'emergency.setup': ['setupId', 'grantId', 'threshold', 'proxies'],
  'emergency.revoked': ['setupId', 'kfragIds'],
};

const PATIENT_ID = /^[0-9a-f]{64}$/;

/**
 * The notification for one ledger event, or undefined if the event concerns no patient.
 * @param e the event as `LedgerView` emits it (with `txId` and `height`)
 * @param index position of the event among its transaction's events
 * @param at block time, if known
 */
export function toNotification(
  e: LedgerEvent & { txId?: JsonValue; height?: JsonValue },
  index: number,
  at: number | undefined,
): PatientNotification | undefined {
  const { patient, txId, height } = e;
  if (typeof patient !== 'string' || !PATIENT_ID.test(patient)) return undefined;
  if (typeof txId !== 'string' || typeof height !== 'number') return undefined;
  const n: PatientNotification = { id: `${txId}:${index}`, type: e.type, patient, height, txId };
  if (at !== undefined) n.at = at;
  // access.logged carries the entry's own read time as `at`; it is renamed so `at` is block time.
  const src: Record<string, JsonValue | undefined> =
    e.type === 'access.logged' ? { ...e, readAt: e.at } : (e as Record<string, JsonValue>);
  for (const k of SUMMARY_FIELDS[e.type] ?? []) {
    const v = src[k];
    if (v !== undefined) n[k] = v;
  }
  return n;
}
