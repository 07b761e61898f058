/**
 * The patient's notification feed: what the node pushes on the patient's event stream
 * (`subscribeNotifications`, replayed from the first block so the feed has the history too),
 * kept to what a patient must not miss — emergency access (a break-glass read under a
 * pre-authorised emergency grant, or a threshold re-encryption request) and erasure requests
 * with their outcome. A refused erasure leaves nothing on the ledger (the node refuses a DSS
 * erasure before submitting it), so the page adds the refusals it received itself.
 */
import type { PatientNotification } from '@medledger/client';
import type { ErasureOutcome } from './EraseRecord.js';

/** One entry of the feed: an emergency access, or an erasure done or refused. */
export type FeedItem =
  | {
      kind: 'emergency';
      key: string;
      /** Under the patient's emergency consent, as the record's author, or by threshold re-encryption. */
      via: 'grant' | 'author' | 'threshold';
      requester: string;
      recordId: string;
      allowed: boolean;
      code: string;
      height: number;
      at: number | undefined;
    }
  | {
      kind: 'erasure';
      key: string;
      recordId: string;
      done: true;
      holder: string;
      height: number;
      at: number | undefined;
    }
  | {
      kind: 'erasure';
      key: string;
      recordId: string;
      done: false;
      code: string;
      text: string;
      detail?: string;
      at: number;
    };

/** The details of an `emergency.requested` notification (the request's entry on the ledger). */
export interface EmergencyRequestEntry {
  requester: string;
  recordId: string;
  allow: boolean;
  code: string;
  time: number;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * The feed item of a notification, or undefined if the feed does not show it.
 * @param emergency the ledger's entry of an `emergency.requested` notification, once read
 */
export function feedItemOf(n: PatientNotification, emergency?: EmergencyRequestEntry): FeedItem | undefined {
  if (n.type === 'access.decided' && n['purpose'] === 'emergency')
    return {
      kind: 'emergency',
      key: n.id,
      via: n['basis'] === 'author' ? 'author' : 'grant',
      requester: str(n['requester']),
      recordId: str(n['recordId']),
      allowed: n['allow'] === true,
      code: str(n['code']),
      height: n.height,
      at: n.at,
    };
  if (n.type === 'emergency.requested' && emergency)
    return {
      kind: 'emergency',
      key: n.id,
      via: 'threshold',
      requester: emergency.requester,
      recordId: emergency.recordId,
      allowed: emergency.allow,
      code: emergency.code,
      height: n.height,
      at: n.at ?? emergency.time,
    };
  if (n.type === 'record.erased')
    return {
      kind: 'erasure',
      key: n.id,
      recordId: str(n['recordId']),
      done: true,
      holder: str(n['holder']),
      height: n.height,
      at: n.at,
    };
  return undefined;
}

/** The feed item of an erasure the node or the ledger refused in this page. */
export function refusalItem(o: ErasureOutcome & { ok: false }, seq: number): FeedItem {
  return {
    kind: 'erasure',
    key: `refused-${seq}`,
    recordId: o.recordId,
    done: false,
    code: o.code,
    text: o.text,
    ...(o.detail !== undefined ? { detail: o.detail } : {}),
    at: o.at,
  };
}

/** Newest first: by time, then by key. */
export function sortFeed(items: readonly FeedItem[]): FeedItem[] {
  return [...items].sort((a, b) => (b.at ?? 0) - (a.at ?? 0) || b.key.localeCompare(a.key));
}
