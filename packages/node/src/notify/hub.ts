/**
 * NotificationHub: the patient's live view of their records (issue 3 §7). It follows the
 * node's feed of committed blocks and their stored events (`LedgerView.follow`), keeps the
 * events that name a patient (access decided or logged, consent granted or revoked, record
 * written, transmitted or erased, care team changed), turns each into a summary notification
 * (never record contents, see notification.ts), stores it for resume, fans it out to live
 * subscribers (SSE) and queues one signed webhook delivery per webhook of the patient.
 *
 * Exactly once across crashes: a block's notifications, their webhook deliveries and the hub's
 * cursor (the block's height) are stored in ONE SQLite transaction, and the hub resumes the
 * feed after that cursor. A crash before it replays the block; a crash after it replays
 * nothing; notification ids (`<txId>:<index>`) are unique besides. Live subscribers are told
 * only after the store has it. The feed runs after a block is durable, never inside its commit.
 *
 * Threat model: the hub trusts its node. It tells a patient only about that patient (the
 * routes authenticate the patient); webhook bodies are signed by the node key so receivers
 * can reject forgeries. It does not hide from the node operator who reads what.
 */
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { importP256PrivateKey, p256PublicKeyOf, toB64u } from '@medledger/crypto';
import { getOrg } from '@medledger/core';
import type { PatientNotification, WebhookDelivery, WebhookInfo } from '@medledger/client';
import type { FeedBlock, Follower, LedgerView } from '../ledgerView.js';
import { toNotification } from './notification.js';
import { NotificationStore, type NotificationStoreOptions, type ReplayResult } from './store.js';
import { DEFAULT_RETRY, WebhookDeliverer, type RetryPolicy } from './webhooks.js';
import { checkOutboundUrl, type OutboundPolicy } from './outbound.js';

export type NotificationListener = (n: PatientNotification) => void;

export interface NotificationHubOptions {
  store: NotificationStore;
  /** This node's organization (names the signer of webhook bodies). */
  org: string;
  /** PKCS#8 DER of the node key; must be the one the ledger lists for `org`, if it lists one. */
  nodeKey: Uint8Array;
  retry?: Partial<RetryPolicy>;
  /** Webhooks per patient (default 5). */
  maxWebhooksPerPatient?: number;
  /** Extra check on webhook URLs. */
  allowWebhookUrl?: (url: URL) => boolean;
  /**
   * Webhook destinations allowed beyond the public internet (outbound.ts). By default a
   * webhook to a loopback, private, link-local or metadata address is refused.
   */
  outbound?: OutboundPolicy;
  random?: () => number;
  now?: () => number;
  /** Called when storing notifications fails; the block is retried (default: a process warning). */
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
  readonly #now: () => number;
  readonly #onError: (e: Error) => void;
  readonly #deliverer: WebhookDeliverer;
  readonly #outbound: OutboundPolicy;
  readonly #subs = new Map<string, Set<NotificationListener>>();
  readonly #enders = new Set<() => void>();
  readonly #follower: Follower;
  #closed = false;

  constructor(node: LedgerView, o: NotificationHubOptions) {
    // The key must be the organization's node key as the ledger lists it now (in genesis, or
    // by a later add-org or key rotation). A new organization's node starts from genesis,
    // before the block that adds it: the ledger lists no key for it yet, so none to compare.
    const listed = getOrg(node.store, o.org)?.nodeKey;
    const key = importP256PrivateKey(o.nodeKey);
    if (listed !== undefined && toB64u(p256PublicKeyOf(key)) !== listed)
      throw new RangeError(`the node key given is not the one the ledger lists for ${o.org}`);
    this.store = o.store;
    this.org = o.org;
    this.maxWebhooksPerPatient = o.maxWebhooksPerPatient ?? 5;
    this.allowWebhookUrl = o.allowWebhookUrl ?? (() => true);
    this.#now = o.now ?? Date.now;
    this.#outbound = o.outbound ?? {};
    this.#onError = o.onError ?? ((e) => process.emitWarning(`notifications: ${e.message}`));
    this.#deliverer = new WebhookDeliverer({
      store: o.store,
      org: o.org,
      nodeKey: key,
      retry: { ...DEFAULT_RETRY, ...o.retry },
      random: o.random ?? Math.random,
      now: this.#now,
      ...(o.outbound ? { outbound: o.outbound } : {}),
    });
    this.#deliverer.kick(); // deliveries left pending by a previous run
    this.#follower = node.follow(this.store.feedHeight(), (b) => this.#onBlock(b), {
      onError: (e) => this.#onError(e),
    });
  }

  /**
   * One block from the feed: its notifications and the new cursor in one transaction, then
   * the live subscribers and the webhook deliverer. If storing fails the feed retries the block.
   */
  #onBlock(b: FeedBlock): void {
    const ns: PatientNotification[] = [];
    let tx: string | undefined;
    let idx = 0;
    for (const e of b.events) {
      if (e.txId !== tx) {
        tx = e.txId;
        idx = 0;
      } else idx++;
      const n = toNotification(e, idx, b.block.header.time);
      if (n) ns.push(n);
    }
    const fresh = this.store.add(ns, this.#now(), b.height);
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

  /** Resolves once the notifications of every durable block are stored and sent to subscribers. */
  synced(): Promise<void> {
    return this.#follower.synced();
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
    const denied = checkOutboundUrl(u, this.#outbound);
    if (denied !== undefined) throw new RangeError(`this node does not deliver to that address: ${denied}`);
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
    this.#closed = true;
    await this.#follower.close();
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
