/**
 * The names of the events contracts emit (`ctx.emit({ type, ... })`), as one checked union:
 * a contract that emits, or a follower that compares against, a misspelled name does not
 * compile. Add the name here when a contract emits a new event.
 */
export const EVENT_NAMES = [
  'abe.authority.registered',
  'access.decided',
  'access.logged',
  'anon.accumulator.updated',
  'anon.group.opened',
  'anon.group.registered',
  'anon.group.revoked',
  'anon.group.signed',
  'anon.issuer.registered',
  'anon.ring.key-registered',
  'anon.ring.signed',
  'anon.trial.enrolled',
  'anon.trial.registered',
  'careteam.changed',
  'consent.granted',
  'consent.revoked',
  'consortium.node-key-rotated',
  'consortium.org-added',
  'consortium.org-removed',
  'consortium.record-policy',
  'emergency.reencrypted',
  'emergency.requested',
  'emergency.revoked',
  'emergency.setup',
  'fl.contribution',
  'fl.joined',
  'fl.model',
  'fl.round',
  'fl.study',
  'he.claim.requested',
  'he.expense.posted',
  'he.total.released',
  'keys.published',
  'member.enrolled',
  'member.revoked',
  'patient.record-quorum',
  'pay.claim.adjudicated',
  'pay.claim.submitted',
  'pay.coverage.registered',
  'pay.dispute.opened',
  'pay.dispute.resolved',
  'pay.payment.recorded',
  'peks.indexed',
  'pre.record.written',
  'record.erased',
  'record.transmitted',
  'record.written',
  'rx.alert.raised',
  'rx.cancelled',
  'rx.dispensed',
  'rx.pharmacy.changed',
  'rx.written',
  'supply.commissioned',
  'supply.product.registered',
  'supply.recalled',
  'supply.received',
  'supply.shipped',
] as const;

/** An event name a contract emits. */
export type EventName = (typeof EVENT_NAMES)[number];

/** True if `name` is an event a contract emits. */
export function isEventName(name: string): name is EventName {
  return (EVENT_NAMES as readonly string[]).includes(name);
}
