/**
 * NotificationHub: the patient's live view of their records (issue 3 §7). It listens to a
 * node's `ledger-event`s, keeps those that name a patient (access decided or logged, consent
 * granted or revoked, record written, transmitted or erased, care team changed), turns each
 * into a summary notification (never record contents, see notification.ts), stores it for
 * resume, fans it out to live subscribers (SSE) and queues one signed webhook delivery per
 * webhook of the patient.
 *
 * The node emits events synchronously inside its commit; the hub only computes the
 * notification there and buffers it. Storing, fan-out and delivery happen on the next turn
 * of the event loop (`setImmediate`), in one SQLite transaction per batch, so notification
 * work never lengthens a block commit. Cost: a crash between a commit and that turn loses
 * those notifications (the ledger itself still has the events' transactions and the
 * access log).
 *
 * Threat model: the hub trusts its node. It tells a patient only about that patient (the
 * routes authenticate the patient); webhook bodies are signed by the node key so receivers
 * can reject forgeries. It does not hide from the node operator who reads what.
 */
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { importP256PrivateKey, p256PublicKeyOf, toB64u } from '@medledger/crypto';
import type { LedgerEvent } from '@medledger/core';
import type { PatientNotification, WebhookDelivery, WebhookInfo } from '@medledger/client';
import type { LedgerView } from '../ledgerView.js';
import { toNotification } from './notification.js';
import { NotificationStore, type NotificationStoreOptions, type ReplayResult } from './store.js';
import { DEFAULT_RETRY, WebhookDeliverer, type RetryPolicy } from './webhooks.js';

export type NotificationListener = (n: PatientNotification) => void;

export interface NotificationHubOptions {
  store: NotificationStore;
  /** This node's organization (names the signer of webhook bodies). */
  org: string;
  /** PKCS#8 DER of the node key; must be the one genesis lists for `org`. */
  nodeKey: Uint8Array;
  retry?: Partial<RetryPolicy>;
  /** Webhooks per patient (default 5). */
  maxWebhooksPerPatient?: number;
  /** Extra check on webhook URLs (e.g. refuse private addresses in production). */
  allowWebhookUrl?: (url: URL) => boolean;
  random?: () => number;
  now?: () => number;
  /** Called when storing notifications fails (default: a process warning). */
  onError?: (e: Error) => void;
}

/**
 * Fans a node's patient events out to SSE subscribers and webhooks. Create it with
 * {@link createNotificationHub}; serve it with `notificationRoutes`.
 */
export class NotificationHub {
  readonly store: NotificationStore;
  readonly org: string;
  readonly maxWebhooksPerPatient: number;
  readonly allowWebhookUrl: (url: URL) => boolean;
  readonly #node: LedgerView;
  readonly #now: () => number;
  readonly #onError: (e: Error) => void;
  readonly #deliverer: WebhookDeliverer;
  readonly #subs = new Map<string, Set<NotificationListener>>();
  readonly #enders = new Set<() => void>();
  #buffer: PatientNotification[] = [];
  #flushScheduled = false;
  #block: { height: number; time: number } | undefined;
  #curTx: string | undefined;
  #idx = 0;
  #closed = false;
  readonly #onBlock = (b: { height: number; time: number }): void => {
    this.#block = { height: b.height, time: b.time };
  };
  readonly #onEvent = (e: LedgerEvent & { txId?: string; height?: number }): void => {
    if (e.txId !== this.#curTx) {
      this.#curTx = e.txId;
      this.#idx = 0;
    } else this.#idx++;
    const at = this.#block && this.#block.height === e.height ? this.#block.time : undefined;
    const n = toNotification(e, this.#idx, at);
    if (!n) return;
    this.#buffer.push(n);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => this.flush());
    }
  };

  constructor(node: LedgerView, o: NotificationHubOptions) {
    const g = node.genesis.orgs.find((x) => x.id === o.org);
    if (!g) throw new RangeError(`organization ${o.org} is not in genesis`);
    const key = importP256PrivateKey(o.nodeKey);
    if (toB64u(p256PublicKeyOf(key)) !== g.nodeKey)
      throw new RangeError(`the node key given is not the one genesis lists for ${o.org}`);
    this.#node = node;
    this.store = o.store;
    this.org = o.org;
    this.maxWebhooksPerPatient = o.maxWebhooksPerPatient ?? 5;
    this.allowWebhookUrl = o.allowWebhookUrl ?? (() => true);
    this.#now = o.now ?? Date.now;
    this.#onError = o.onError ?? ((e) => process.emitWarning(`notifications: ${e.message}`));
    this.#deliverer = new WebhookDeliverer({
      store: o.store,
      org: o.org,
      nodeKey: key,
      retry: { ...DEFAULT_RETRY, ...o.retry },
      random: o.random ?? Math.random,
      now: this.#now,
    });
    node.on('block', this.#onBlock);
    node.on('ledger-event', this.#onEvent);
    this.#deliverer.kick(); // deliveries left pending by a previous run
  }

  /** Stores buffered notifications, fans them out and wakes the webhook deliverer. */
  flush(): void {
    this.#flushScheduled = false;
    if (this.#closed || this.#buffer.length === 0) return;
    const batch = this.#buffer;
    this.#buffer = [];
    let fresh: PatientNotification[];
    try {
      fresh = this.store.add(batch, this.#now());
    } catch (e) {
      this.#onError(e instanceof Error ? e : new Error(String(e)));
      fresh = batch; // still tell live subscribers
    }
    for (const n of fresh) {
      for (const l of this.#subs.get(n.patient) ?? []) {
        try {
          l(n);
        } catch (e) {
          this.#onError(e instanceof Error ? e : new Error(String(e)));
        }
      }
    }
    if (fresh.length > 0) this.#deliverer.kick();
  }

  /**
   * Replays what `patient` missed and subscribes to what comes next, atomically: a
   * notification is in the replay or reaches the listener, never both, never neither.
   * @param onEnd called if the hub closes while subscribed
   */
  open(
    patient: string,
    from: { afterId?: string; since?: number },
    listener: NotificationListener,
    onEnd?: () => void,
  ): { replay: ReplayResult; unsubscribe: () => void } {
    if (this.#closed) throw new Error('notification hub is closed');
    const replay = this.store.replay(patient, from);
    const unsubscribe = this.subscribe(patient, listener, onEnd);
    return { replay, unsubscribe };
  }

  /** Live notifications of one patient; returns the unsubscribe function. */
  subscribe(patient: string, listener: NotificationListener, onEnd?: () => void): () => void {
    let set = this.#subs.get(patient);
    if (!set) this.#subs.set(patient, (set = new Set()));
    const s = set;
    const l: NotificationListener = (n) => listener(n);
    s.add(l);
    const end = onEnd ?? (() => undefined);
    this.#enders.add(end);
    return () => {
      s.delete(l);
      this.#enders.delete(end);
      if (s.size === 0 && this.#subs.get(patient) === s) this.#subs.delete(patient);
    };
  }

  /** Live subscriptions of a patient. */
  subscriberCount(patient: string): number {
    return this.#subs.get(patient)?.size ?? 0;
  }

  /**
   * Registers a webhook. The URL must be http(s) without credentials and pass
   * `allowWebhookUrl`.
   * @throws RangeError for a refused URL; Error with code TOO_MANY_WEBHOOKS over the limit
   */
  addWebhook(patient: string, url: string): WebhookInfo {
    const u = checkWebhookUrl(url);
    if (!this.allowWebhookUrl(u)) throw new RangeError('this node does not deliver to that address');
    if (this.store.listWebhooks(patient).length >= this.maxWebhooksPerPatient)
      throw Object.assign(new Error(`at most ${this.maxWebhooksPerPatient} webhooks per patient`), {
        code: 'TOO_MANY_WEBHOOKS',
      });
    const id = nodeRandomBytes(16).toString('hex');
    const now = this.#now();
    this.store.addWebhook(id, patient, u.href, now);
    return { id, url: u.href, createdAt: now, pending: 0, deadLetters: 0 };
  }

  /** Removes one of the patient's webhooks and its queued deliveries; false if not theirs. */
  removeWebhook(patient: string, id: string): boolean {
    return this.store.removeWebhook(patient, id);
  }

  /** The patient's webhooks. */
  listWebhooks(patient: string): WebhookInfo[] {
    return this.store.listWebhooks(patient);
  }

  /** Dead-lettered deliveries of one of the patient's webhooks (undefined if not theirs). */
  deadLetters(
    patient: string,
    webhookId: string,
  ): { delivery: WebhookDelivery; attempts: number; lastError: string | null }[] | undefined {
    if (!this.store.listWebhooks(patient).some((w) => w.id === webhookId)) return undefined;
    return this.store.deadLetters(webhookId);
  }

  /** Stops listening, ends live subscriptions, stops delivery (pending stays stored). */
  async close(opts: { closeStore?: boolean } = {}): Promise<void> {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
    this.#node.off('block', this.#onBlock);
    this.#node.off('ledger-event', this.#onEvent);
    for (const end of [...this.#enders]) end();
    this.#subs.clear();
    await this.#deliverer.close();
    if (opts.closeStore ?? true) this.store.close();
  }
}

/** Parses a webhook URL: http or https, at most 2048 characters, no user or password. */
export function checkWebhookUrl(url: string): URL {
  if (typeof url !== 'string' || url.length > 2048)
    throw new RangeError('url must be a string of ≤ 2048 chars');
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new RangeError('url is not a valid absolute URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new RangeError('url must be http or https');
  if (u.username || u.password) throw new RangeError('url must not carry credentials');
  return u;
}

export interface CreateNotificationHubParameters
  extends Omit<NotificationHubOptions, 'store'>, NotificationStoreOptions {
  /** SQLite file for notifications and webhook queues; default in memory (lost on restart). */
  dbPath?: string;
}

/**
 * Creates a hub with its own SQLite store.
 * @example
 * const hub = createNotificationHub(node, { dbPath: join(dir, 'notify.sqlite'), nodeKey, org })
 * buildServer(node, { plugins: [notificationRoutes(hub, new RequestAuthenticator(node))] })
 */
export function createNotificationHub(node: LedgerView, p: CreateNotificationHubParameters): NotificationHub {
  const { dbPath, retain, maxDeadLetters, replayLimit, ...rest } = p;
  const so: NotificationStoreOptions = {};
  if (retain !== undefined) so.retain = retain;
  if (maxDeadLetters !== undefined) so.maxDeadLetters = maxDeadLetters;
  if (replayLimit !== undefined) so.replayLimit = replayLimit;
  const store = new NotificationStore(dbPath ?? ':memory:', so);
  try {
    return new NotificationHub(node, { ...rest, store });
  } catch (e) {
    store.close();
    throw e;
  }
}
