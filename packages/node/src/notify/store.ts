/**
 * The node-local notification store on SQLite (better-sqlite3): recent notifications (for SSE
 * resume), webhooks, and webhook deliveries with their retry state. It is a cache next to the
 * ledger, not part of it: the ledger stays the record of truth (a patient who missed more than
 * the store keeps reads the access log). With a file path it survives restarts, including
 * pending deliveries; with `':memory:'` it is the same code bounded the same way.
 *
 * Bounded by count: the newest `retain` notifications are kept (default 100,000 — about
 * 40 MB of JSON), and the newest `maxDeadLetters` dead deliveries per webhook.
 */
import Database from 'better-sqlite3';
import type { PatientNotification, WebhookDelivery, WebhookInfo } from '@medledger/client';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS notifications (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
  patient TEXT NOT NULL, height INTEGER NOT NULL, json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS notifications_patient ON notifications (patient, seq);
CREATE TABLE IF NOT EXISTS webhooks (id TEXT PRIMARY KEY, patient TEXT NOT NULL, url TEXT NOT NULL,
  created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS webhooks_patient ON webhooks (patient);
CREATE TABLE IF NOT EXISTS deliveries (seq INTEGER PRIMARY KEY AUTOINCREMENT, webhook_id TEXT NOT NULL,
  body TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL, next_at INTEGER NOT NULL,
  last_error TEXT);
CREATE INDEX IF NOT EXISTS deliveries_queue ON deliveries (state, webhook_id, seq);
`;

/** A delivery at the head of its webhook's queue. */
export interface PendingDelivery {
  seq: number;
  webhookId: string;
  url: string;
  body: string;
  attempts: number;
  nextAt: number;
}

export interface ReplayResult {
  notifications: PatientNotification[];
  /** Set when notifications the client asked for may no longer be kept. */
  gap?: string;
}

export interface NotificationStoreOptions {
  retain?: number;
  maxDeadLetters?: number;
  replayLimit?: number;
}

/** Notifications, webhooks and the delivery queue in one SQLite database. */
export class NotificationStore {
  readonly db: Database.Database;
  readonly retain: number;
  readonly maxDeadLetters: number;
  readonly replayLimit: number;
  readonly #q;

  /** Opens (or creates) the store at `path` (a file, or `':memory:'`). */
  constructor(path: string, o: NotificationStoreOptions = {}) {
    this.retain = o.retain ?? 100_000;
    this.maxDeadLetters = o.maxDeadLetters ?? 1000;
    this.replayLimit = o.replayLimit ?? 10_000;
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
    const d = this.db;
    this.#q = {
      insert: d.prepare(
        'INSERT OR IGNORE INTO notifications (id, patient, height, json) VALUES (?, ?, ?, ?)',
      ),
      hooksOf: d.prepare<[string], { id: string; url: string; created_at: number }>(
        'SELECT id, url, created_at FROM webhooks WHERE patient = ? ORDER BY created_at, id',
      ),
      enqueue: d.prepare(
        "INSERT INTO deliveries (webhook_id, body, state, attempts, next_at) VALUES (?, ?, 'pending', 0, ?)",
      ),
      seqOf: d.prepare<[string, string], { seq: number }>(
        'SELECT seq FROM notifications WHERE id = ? AND patient = ?',
      ),
      after: d.prepare<[string, number, number], { json: string }>(
        'SELECT json FROM notifications WHERE patient = ? AND seq > ? ORDER BY seq LIMIT ?',
      ),
      sinceHeight: d.prepare<[string, number, number], { json: string }>(
        'SELECT json FROM notifications WHERE patient = ? AND height >= ? ORDER BY seq LIMIT ?',
      ),
      maxSeq: d.prepare<[], { m: number | null }>('SELECT MAX(seq) AS m FROM notifications'),
      prunedHeight: d.prepare<[number], { h: number | null }>(
        'SELECT MAX(height) AS h FROM notifications WHERE seq <= ?',
      ),
      prune: d.prepare('DELETE FROM notifications WHERE seq <= ?'),
      getMeta: d.prepare<[string], { v: string }>('SELECT v FROM meta WHERE k = ?'),
      putMeta: d.prepare('INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)'),
      addHook: d.prepare('INSERT INTO webhooks (id, patient, url, created_at) VALUES (?, ?, ?, ?)'),
      delHook: d.prepare('DELETE FROM webhooks WHERE id = ? AND patient = ?'),
      delHookDeliveries: d.prepare('DELETE FROM deliveries WHERE webhook_id = ?'),
      counts: d.prepare<[string], { state: string; n: number }>(
        'SELECT state, COUNT(*) AS n FROM deliveries WHERE webhook_id = ? GROUP BY state',
      ),
      lastError: d.prepare<[string], { e: string | null }>(
        'SELECT last_error AS e FROM deliveries WHERE webhook_id = ? AND last_error IS NOT NULL ORDER BY seq DESC LIMIT 1',
      ),
      heads: d.prepare<
        [],
        { seq: number; webhook_id: string; url: string; body: string; attempts: number; next_at: number }
      >(
        `SELECT d.seq, d.webhook_id, w.url, d.body, d.attempts, d.next_at FROM deliveries d
         JOIN webhooks w ON w.id = d.webhook_id
         WHERE d.seq IN (SELECT MIN(seq) FROM deliveries WHERE state = 'pending' GROUP BY webhook_id)`,
      ),
      delivered: d.prepare('DELETE FROM deliveries WHERE seq = ?'),
      retry: d.prepare('UPDATE deliveries SET attempts = ?, next_at = ?, last_error = ? WHERE seq = ?'),
      dead: d.prepare("UPDATE deliveries SET state = 'dead', attempts = ?, last_error = ? WHERE seq = ?"),
      pruneDead: d.prepare(
        `DELETE FROM deliveries WHERE webhook_id = ? AND state = 'dead' AND seq NOT IN
         (SELECT seq FROM deliveries WHERE webhook_id = ? AND state = 'dead' ORDER BY seq DESC LIMIT ?)`,
      ),
      deadOf: d.prepare<[string], { body: string; attempts: number; last_error: string | null }>(
        "SELECT body, attempts, last_error FROM deliveries WHERE webhook_id = ? AND state = 'dead' ORDER BY seq",
      ),
    };
  }

  /**
   * The height of the last block whose notifications are stored (the hub's feed cursor). A
   * store written before the hub followed the feed has no cursor: it resumes after the last
   * block it notified, as that hub would have.
   */
  feedHeight(): number {
    const v = this.#q.getMeta.get('feedHeight')?.v;
    if (v !== undefined) return Number(v);
    return (this.db.prepare('SELECT MAX(height) FROM notifications').pluck().get() as number | null) ?? 0;
  }

  /**
   * Stores notifications and queues one delivery per webhook of their patient, in one SQLite
   * transaction, with the hub's feed cursor `height` when given. Returns the ones that were
   * new (a notification id seen before is skipped).
   */
  add(ns: readonly PatientNotification[], now: number, height?: number): PatientNotification[] {
    const fresh: PatientNotification[] = [];
    this.db.transaction(() => {
      if (height !== undefined) this.#q.putMeta.run('feedHeight', String(height));
      for (const n of ns) {
        if (this.#q.insert.run(n.id, n.patient, n.height, JSON.stringify(n)).changes === 0) continue;
        fresh.push(n);
        for (const h of this.#q.hooksOf.all(n.patient)) {
          const body: WebhookDelivery = { webhookId: h.id, deliveryId: `${h.id}/${n.id}`, notification: n };
          this.#q.enqueue.run(h.id, JSON.stringify(body), now);
        }
      }
      const max = this.#q.maxSeq.get()?.m ?? 0;
      const cut = max - this.retain;
      if (cut > 0) {
        const h = this.#q.prunedHeight.get(cut)?.h;
        if (h !== null && h !== undefined) this.#q.putMeta.run('prunedHeight', String(h));
        this.#q.prune.run(cut);
      }
    })();
    return fresh;
  }

  /** Notifications of `patient` after the one with id `afterId`, or from height `since` on. */
  replay(patient: string, from: { afterId?: string; since?: number }): ReplayResult {
    const limit = this.replayLimit;
    let rows: { json: string }[];
    let gap: string | undefined;
    const prunedHeight = Number(this.#q.getMeta.get('prunedHeight')?.v ?? -1);
    if (from.afterId !== undefined) {
      const s = this.#q.seqOf.get(from.afterId, patient);
      if (s) rows = this.#q.after.all(patient, s.seq, limit);
      else {
        gap = 'the last event id is not kept by this node; replaying what is kept';
        rows = this.#q.after.all(patient, 0, limit);
      }
    } else if (from.since !== undefined) {
      if (from.since <= prunedHeight) gap = `notifications up to height ${prunedHeight} are no longer kept`;
      rows = this.#q.sinceHeight.all(patient, from.since, limit);
    } else return { notifications: [] };
    if (rows.length === limit) gap = `replay truncated at ${limit} notifications: read the access log`;
    const notifications = rows.map((r) => JSON.parse(r.json) as PatientNotification);
    return gap === undefined ? { notifications } : { notifications, gap };
  }

  /** Stores a webhook of `patient` (the URL was checked by the caller). */
  addWebhook(id: string, patient: string, url: string, now: number): void {
    this.#q.addHook.run(id, patient, url, now);
  }

  /** Removes a webhook of `patient` and its deliveries; false if there was none. */
  removeWebhook(patient: string, id: string): boolean {
    return this.db.transaction(() => {
      if (this.#q.delHook.run(id, patient).changes === 0) return false;
      this.#q.delHookDeliveries.run(id);
      return true;
    })();
  }

  /** The patient's webhooks with their pending and dead-letter counts and last error. */
  listWebhooks(patient: string): WebhookInfo[] {
    return this.#q.hooksOf.all(patient).map((h) => {
      const c = new Map(this.#q.counts.all(h.id).map((r) => [r.state, r.n]));
      const e = this.#q.lastError.get(h.id)?.e;
      const info: WebhookInfo = {
        id: h.id,
        url: h.url,
        createdAt: h.created_at,
        pending: c.get('pending') ?? 0,
        deadLetters: c.get('dead') ?? 0,
      };
      if (e) info.lastError = e;
      return info;
    });
  }

  /** The oldest pending delivery of each webhook (per-webhook order: only heads are sent). */
  heads(): PendingDelivery[] {
    return this.#q.heads.all().map((r) => ({
      seq: r.seq,
      webhookId: r.webhook_id,
      url: r.url,
      body: r.body,
      attempts: r.attempts,
      nextAt: r.next_at,
    }));
  }

  /** A 2xx answer: the delivery is done and removed. */
  markDelivered(seq: number): void {
    this.#q.delivered.run(seq);
  }

  /** A failed attempt with attempts left: try again at `nextAt`. */
  markRetry(seq: number, attempts: number, nextAt: number, error: string): void {
    this.#q.retry.run(attempts, nextAt, error, seq);
  }

  /** The last attempt failed: keep the delivery as a dead letter (newest `maxDeadLetters`). */
  markDead(d: PendingDelivery, attempts: number, error: string): void {
    this.db.transaction(() => {
      this.#q.dead.run(attempts, error, d.seq);
      this.#q.pruneDead.run(d.webhookId, d.webhookId, this.maxDeadLetters);
    })();
  }

  /** Dead-lettered deliveries of a webhook, oldest first. */
  deadLetters(
    webhookId: string,
  ): { delivery: WebhookDelivery; attempts: number; lastError: string | null }[] {
    return this.#q.deadOf.all(webhookId).map((r) => ({
      delivery: JSON.parse(r.body) as WebhookDelivery,
      attempts: r.attempts,
      lastError: r.last_error,
    }));
  }

  /** Closes the SQLite handle. */
  close(): void {
    this.db.close();
  }
}
