/**
 * Webhook delivery: POST the JSON body, signed by the node key (header
 * `x-medledger-signature: <org>.<sig>`, verified with `verifyWebhookSignature` in
 * @medledger/client against the node key in genesis). At-least-once, in order per webhook:
 * only the oldest pending delivery of a webhook is ever in flight; a failed attempt is
 * retried with exponential backoff and equal jitter (AWS Architecture Blog, "Exponential
 * Backoff and Jitter", 2015) up to `maxAttempts`, then the delivery is dead-lettered and the
 * next one goes. The queue lives in the NotificationStore, so pending deliveries survive a
 * restart when the store is a file.
 *
 * Delivery runs on timers, never inside a block commit. Each attempt connects only to an
 * address the outbound policy allows, checked after DNS resolution (outbound.ts: no loopback,
 * private, link-local or metadata address unless allow-listed). Redirects are not
 * followed and each attempt has a timeout, so an endpoint can cost the node at most
 * `maxAttempts × timeoutMs` of one connection slot per webhook.
 */
import type { KeyObject } from 'node:crypto';
import { signP256, toB64u, utf8 } from '@medledger/crypto';
import { WEBHOOK_SIGNATURE_HEADER, webhookSigningBytes } from '@medledger/client';
import type { NotificationStore, PendingDelivery } from './store.js';
import { OutboundDeniedError, outboundPost, type OutboundPolicy } from './outbound.js';

export interface RetryPolicy {
  /** Attempts before dead-letter (first one included). */
  maxAttempts: number;
  /** Delay after the first failure; doubles after each further one. */
  baseDelayMs: number;
  /** Cap of the delay (before jitter). */
  maxDelayMs: number;
  /** Per-attempt timeout. */
  timeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 6,
  baseDelayMs: 2_000,
  maxDelayMs: 5 * 60_000,
  timeoutMs: 10_000,
};

/**
 * Delay before the next attempt after `attempts` failed ones: `min(cap, base·2^(n-1))`, then
 * equal jitter (half fixed, half uniform) so retries of many webhooks do not synchronize.
 * @example backoffDelay(1, DEFAULT_RETRY, Math.random) // 1000..2000 ms
 */
export function backoffDelay(attempts: number, p: RetryPolicy, random: () => number): number {
  const exp = Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(exp / 2 + (random() * exp) / 2);
}

export interface WebhookDelivererOptions {
  store: NotificationStore;
  org: string;
  nodeKey: KeyObject;
  retry: RetryPolicy;
  random: () => number;
  now: () => number;
  /** Concurrent requests across all webhooks (default 16). */
  maxInFlight?: number;
  /** Addresses allowed beyond the public internet (outbound.ts; default none). */
  outbound?: OutboundPolicy;
}

/** Sends queued webhook deliveries from the store, one in flight per webhook. */
export class WebhookDeliverer {
  readonly #o: WebhookDelivererOptions;
  readonly #inFlight = new Map<string, { ctrl: AbortController; done: Promise<void> }>();
  #timer: NodeJS.Timeout | undefined;
  #kicked = false;
  #closed = false;

  constructor(o: WebhookDelivererOptions) {
    this.#o = o;
  }

  /** Looks at the queue soon (after new deliveries were stored). */
  kick(): void {
    if (this.#kicked || this.#closed) return;
    this.#kicked = true;
    setImmediate(() => {
      this.#kicked = false;
      this.#pump();
    });
  }

  /** The signature header value for a body. */
  sign(body: string): string {
    return `${this.#o.org}.${toB64u(signP256(this.#o.nodeKey, webhookSigningBytes(utf8(body))))}`;
  }

  #pump(): void {
    if (this.#closed) return;
    const now = this.#o.now();
    let wake = Infinity;
    for (const d of this.#o.store.heads()) {
      if (this.#inFlight.has(d.webhookId)) continue;
      if (d.nextAt > now) {
        wake = Math.min(wake, d.nextAt);
        continue;
      }
      if (this.#inFlight.size >= (this.#o.maxInFlight ?? 16)) break;
      const ctrl = new AbortController();
      const done = this.#attempt(d, ctrl).finally(() => {
        this.#inFlight.delete(d.webhookId);
        this.kick();
      });
      this.#inFlight.set(d.webhookId, { ctrl, done });
    }
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (wake !== Infinity) {
      this.#timer = setTimeout(() => this.#pump(), Math.max(0, wake - now));
      this.#timer.unref();
    }
  }

  async #attempt(d: PendingDelivery, ctrl: AbortController): Promise<void> {
    const { retry } = this.#o;
    let error: string;
    try {
      const timeout = setTimeout(() => ctrl.abort(new Error('timeout')), retry.timeoutMs);
      try {
        const status = await outboundPost(d.url, {
          headers: {
            'content-type': 'application/json',
            [WEBHOOK_SIGNATURE_HEADER]: this.sign(d.body),
            'x-medledger-attempt': String(d.attempts + 1),
          },
          body: d.body,
          signal: ctrl.signal,
          ...(this.#o.outbound ? { policy: this.#o.outbound } : {}),
        });
        if (status >= 200 && status < 300) {
          if (!this.#closed) this.#o.store.markDelivered(d.seq);
          return;
        }
        error = `HTTP ${status}`;
      } finally {
        clearTimeout(timeout);
      }
    } catch (e) {
      error = ctrl.signal.aborted
        ? 'timeout'
        : e instanceof OutboundDeniedError
          ? `destination refused: ${e.message}`
          : `network error: ${(e as Error).message}`;
    }
    if (this.#closed) return; // shutting down: the attempt does not count
    const attempts = d.attempts + 1;
    if (attempts >= retry.maxAttempts) this.#o.store.markDead(d, attempts, error);
    else
      this.#o.store.markRetry(
        d.seq,
        attempts,
        this.#o.now() + backoffDelay(attempts, retry, this.#o.random),
        error,
      );
  }

  /** Stops delivering; in-flight attempts are aborted and stay pending. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    const all = [...this.#inFlight.values()];
    for (const f of all) f.ctrl.abort(new Error('closing'));
    await Promise.all(all.map((f) => f.done));
  }
}
