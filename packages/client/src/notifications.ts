/**
 * Patient notifications (issue 3 §7): the patient's own view of what happens to their records,
 * pushed by a node as server-sent events (W3C "Server-Sent Events", HTML Living Standard
 * §9.2) and as webhooks signed by the node key.
 *
 * - `subscribeNotifications` opens `GET /v1/patients/:id/events` with `fetch` streaming (Node
 *   20, no dependency), signs every (re)connection afresh in the request header — a signed
 *   request is single-use on the node (replay check) — and resumes after the last event id
 *   it saw. A browser's EventSource, which cannot set headers, opens `eventStreamUrl`: a URL
 *   with a single-use, 30-second ticket obtained by a signed request.
 * - `verifyWebhookSignature` checks the `x-medledger-signature` header of a webhook delivery:
 *   ECDSA P-256 over the tagged SHA-256 of the exact body bytes, by the node key of the
 *   organization named in the header, as listed in the consortium genesis.
 *
 * Threat model. A webhook receiver that verifies the signature knows that a node of the
 * consortium sent exactly this body (it cannot be forged or altered on the way); it does NOT
 * know the delivery is fresh: a captured delivery can be replayed, so receivers dedupe on
 * `notification.id` (stable across retries). The notification names records, requesters and
 * outcomes, never record contents, so a leaked delivery leaks metadata only. The SSE stream is
 * as confidential as its transport: use TLS in front of the node.
 */
import type { P256PublicKey } from '@medledger/crypto';
import type { RequestKey } from './signer.js';
import {
  fromB64u,
  hashTagged,
  importP256PublicKey,
  utf8,
  verifyP256,
  type JsonValue,
} from '@medledger/crypto';
import type { Genesis } from '@medledger/core';
import { API, pathOf } from './api/index.js';
import { ApiClient } from './api/call.js';

/** Header carrying `<org>.<base64url r||s>`: the node of `<org>` signed the body. */
export const WEBHOOK_SIGNATURE_HEADER = 'x-medledger-signature';
/** Domain-separation tag of webhook body signatures. */
export const WEBHOOK_TAG = 'medledger/webhook/v1';

/** One thing that happened to a patient's records, as the node tells the patient. */
export interface PatientNotification {
  [k: string]: JsonValue | undefined;
  /** `<txId>:<index of the event within the transaction>`: stable, use it to dedupe. */
  id: string;
  type: string;
  patient: string;
  height: number;
  txId: string;
  /** Block time (ms since the epoch) when the node knew it. */
  at?: number;
}

/** The JSON body of one webhook delivery. */
export interface WebhookDelivery {
  webhookId: string;
  deliveryId: string;
  notification: PatientNotification;
}

/** The bytes a webhook signature covers: the tagged hash of the exact body. */
export function webhookSigningBytes(body: Uint8Array): Uint8Array {
  return hashTagged(WEBHOOK_TAG, body);
}

export type VerifyWebhookResult =
  { ok: true; org: string; delivery: WebhookDelivery } | { ok: false; reason: string };

/**
 * Verifies a webhook delivery against the consortium genesis.
 * @param p.body the raw request body (bytes or the exact string received)
 * @param p.signature the `x-medledger-signature` header value
 * @param p.genesis the consortium genesis (node keys are listed there)
 * @param p.org if given, only this organization's node is accepted
 * @returns `{ ok: true, org, delivery }` or `{ ok: false, reason }`; never throws on bad input
 * @example
 * const v = verifyWebhookSignature({ body: raw, signature: req.headers['x-medledger-signature'], genesis })
 * if (!v.ok) return res.writeHead(401).end()
 */
export function verifyWebhookSignature(p: {
  body: Uint8Array | string;
  signature: string | undefined;
  genesis: Genesis;
  org?: string;
}): VerifyWebhookResult {
  if (typeof p.signature !== 'string') return { ok: false, reason: 'no signature header' };
  const m = /^([A-Za-z0-9-]{1,64})\.([A-Za-z0-9_-]{86})$/.exec(p.signature);
  if (!m) return { ok: false, reason: 'malformed signature header' };
  const [, org, sig] = m as unknown as [string, string, string];
  if (p.org !== undefined && org !== p.org) return { ok: false, reason: 'signed by another organization' };
  const entry = p.genesis.orgs.find((o) => o.id === org);
  if (!entry) return { ok: false, reason: 'organization not in genesis' };
  if (entry.nodeKey === undefined) return { ok: false, reason: 'organization runs no node' };
  const body = typeof p.body === 'string' ? utf8(p.body) : p.body;
  let key: P256PublicKey;
  try {
    key = importP256PublicKey(fromB64u(entry.nodeKey));
  } catch {
    return { ok: false, reason: 'genesis node key is not a P-256 key' };
  }
  if (!verifyP256(key, webhookSigningBytes(body), fromB64u(sig)))
    return { ok: false, reason: 'signature does not verify' };
  let delivery: WebhookDelivery;
  try {
    delivery = JSON.parse(new TextDecoder().decode(body)) as WebhookDelivery;
  } catch {
    return { ok: false, reason: 'body is not JSON' };
  }
  return { ok: true, org, delivery };
}

// ---- server-sent events ------------------------------------------------------------------

/** One parsed SSE message. */
export interface SseMessage {
  id?: string;
  event: string;
  data: string;
}

/**
 * Incremental SSE parser (HTML §9.2.6): feed text chunks, get whole messages. Comment lines
 * (heartbeats) are skipped.
 */
export class SseParser {
  #buf = '';
  #id: string | undefined;
  #event = '';
  #data: string[] = [];

  /** Feeds a decoded text chunk; returns the messages it completed. */
  push(chunk: string): SseMessage[] {
    this.#buf += chunk;
    const out: SseMessage[] = [];
    let nl: number;
    while ((nl = this.#buf.search(/\r\n|\n|\r/)) >= 0) {
      const line = this.#buf.slice(0, nl);
      this.#buf = this.#buf.slice(nl + (this.#buf.startsWith('\r\n', nl) ? 2 : 1));
      if (line === '') {
        if (this.#data.length > 0)
          out.push({
            ...(this.#id !== undefined ? { id: this.#id } : {}),
            event: this.#event || 'message',
            data: this.#data.join('\n'),
          });
        this.#event = '';
        this.#data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const c = line.indexOf(':');
      const field = c < 0 ? line : line.slice(0, c);
      const value = c < 0 ? '' : line.slice(c + 1).replace(/^ /, '');
      if (field === 'data') this.#data.push(value);
      else if (field === 'event') this.#event = value;
      else if (field === 'id') this.#id = value;
    }
    return out;
  }
}

export interface SubscribeNotificationsParameters {
  /** Node base URL, e.g. `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** The patient's member id (signs the request). */
  patientId: string;
  /** The patient's PKCS#8 P-256 key. */
  privateKey: RequestKey;
  /** Called for each notification, in ledger order. */
  onNotification: (n: PatientNotification) => void;
  /** Called when the node says events may have been missed (resume point no longer kept). */
  onGap?: (info: { reason: string }) => void;
  /** Called on a connection error before reconnecting (HTTP errors 401/403 stop the stream). */
  onError?: (e: Error) => void;
  /** Resume after this notification id (overrides `since`). */
  lastEventId?: string;
  /** Replay kept notifications from blocks at height ≥ since. */
  since?: number;
  /** Reconnect delay in ms (default 1000); set `reconnect: false` to stop at the first end. */
  reconnectMs?: number;
  reconnect?: boolean;
  now?: () => number;
}

export interface NotificationSubscription {
  /** The last notification id received (to resume later). */
  readonly lastEventId: string | undefined;
  /** Resolves once the first connection is open (rejects on 401/403/404). */
  readonly opened: Promise<void>;
  /** Resolves when the subscription ends (closed, fatal error, or no reconnect). */
  readonly done: Promise<void>;
  close(): void;
}

/**
 * Subscribes to a patient's notifications over SSE, re-signing and resuming on reconnect.
 * @throws nothing synchronously; a refused first connection rejects `opened` and ends `done`
 * @example
 * const sub = subscribeNotifications({ baseUrl, patientId, privateKey, onNotification: console.log })
 * await sub.opened; ... sub.close()
 */
export function subscribeNotifications(p: SubscribeNotificationsParameters): NotificationSubscription {
  const ctrl = new AbortController();
  const now = p.now ?? Date.now;
  let last = p.lastEventId;
  let openedResolve!: () => void;
  let openedReject!: (e: Error) => void;
  const opened = new Promise<void>((res, rej) => {
    openedResolve = res;
    openedReject = rej;
  });
  opened.catch(() => undefined);
  let everOpened = false;

  const connectOnce = async (): Promise<'fatal' | 'ended'> => {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (last !== undefined) headers['last-event-id'] = last;
    const api = new ApiClient(p.baseUrl, { signerId: p.patientId, privateKey: p.privateKey, now });
    const res = await api.open(
      API.notifications.events,
      {
        params: { patientId: p.patientId },
        query: last === undefined && p.since !== undefined ? { since: String(p.since) } : undefined,
      },
      { headers, signal: ctrl.signal },
    );
    if (!res.ok || !res.body) {
      const text = await res.text().catch(() => '');
      const e = new Error(`event stream refused: HTTP ${res.status} ${text}`);
      if (!everOpened) openedReject(e);
      if (res.status >= 400 && res.status < 500) {
        if (everOpened) p.onError?.(e);
        return 'fatal';
      }
      throw e;
    }
    everOpened = true;
    openedResolve();
    const parser = new SseParser();
    const dec = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      for (const m of parser.push(dec.decode(chunk, { stream: true }))) {
        if (m.event === 'gap') p.onGap?.(JSON.parse(m.data) as { reason: string });
        else if (m.event === 'notification') {
          const n = JSON.parse(m.data) as PatientNotification;
          last = m.id ?? n.id;
          p.onNotification(n);
        }
      }
    }
    return 'ended';
  };

  const done = (async () => {
    while (!ctrl.signal.aborted) {
      try {
        if ((await connectOnce()) === 'fatal') return;
      } catch (e) {
        if (ctrl.signal.aborted) return;
        p.onError?.(e instanceof Error ? e : new Error(String(e)));
      }
      if (p.reconnect === false) return;
      await new Promise((r) => setTimeout(r, p.reconnectMs ?? 1000));
    }
  })().finally(() => openedReject(new Error('subscription ended before it opened')));

  return {
    get lastEventId() {
      return last;
    },
    opened,
    done,
    close: () => ctrl.abort(),
  };
}

// ---- webhook management ------------------------------------------------------------------

export interface WebhookInfo {
  id: string;
  url: string;
  createdAt: number;
  pending: number;
  deadLetters: number;
  lastError?: string;
}

type PatientAuth = {
  baseUrl: string;
  patientId: string;
  privateKey: RequestKey;
  now?: () => number;
};

/** The patient's client of the node (signs as the patient). */
const patientApi = (p: PatientAuth): ApiClient =>
  new ApiClient(p.baseUrl, {
    signerId: p.patientId,
    privateKey: p.privateKey,
    ...(p.now ? { now: p.now } : {}),
  });

/**
 * Registers a webhook (http or https URL) for the patient; returns it with its id.
 * @throws MedledgerHttpError with the node's code
 */
export async function registerWebhook(p: PatientAuth & { url: string }): Promise<WebhookInfo> {
  return (await patientApi(p).call(API.notifications.addWebhook, {
    params: { patientId: p.patientId },
    body: { url: p.url },
  })) as WebhookInfo;
}

/** Lists the patient's webhooks with their pending and dead-letter counts. */
export async function listWebhooks(p: PatientAuth): Promise<WebhookInfo[]> {
  const r = await patientApi(p).call(API.notifications.webhooks, { params: { patientId: p.patientId } });
  return r.webhooks as WebhookInfo[];
}

/** Removes a webhook and drops its pending deliveries. */
export async function deleteWebhook(p: PatientAuth & { webhookId: string }): Promise<void> {
  await patientApi(p).call(API.notifications.removeWebhook, {
    params: { patientId: p.patientId, webhookId: p.webhookId },
  });
}

/**
 * A URL of the patient's event stream for a browser's `EventSource` (which cannot sign a
 * request header): it carries a single-use ticket that expires in 30 s, obtained by a signed
 * request. Open it at once; after a disconnect, get a new one.
 * @example new EventSource(await eventStreamUrl({ baseUrl, patientId, privateKey }))
 */
export async function eventStreamUrl(p: PatientAuth & { since?: number }): Promise<string> {
  const api = patientApi(p);
  const params = { patientId: p.patientId };
  const { ticket } = await api.call(API.notifications.eventTicket, { params });
  const query = { ticket, ...(p.since !== undefined ? { since: String(p.since) } : {}) };
  return `${api.baseUrl}${pathOf(API.notifications.events, params, query)}`;
}
