/**
 * A node's checkpoint signatures on SQLite (`checkpoints.sqlite`): its own and every other
 * consortium node's, per height, kept for good (about a hundred bytes per node and block), so
 * that the node can hand a light client the quorum that makes any of its blocks final even
 * after etcd pruned the log.
 */
import Database from 'better-sqlite3';
import { canonicalize } from '@medledger/crypto';
import type { CheckpointBody, CheckpointSignature } from '@medledger/core';

export interface StoredCheckpointSignature extends CheckpointSignature {
  body: CheckpointBody;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sigs (
  height INTEGER NOT NULL,
  org TEXT NOT NULL,
  body TEXT NOT NULL,
  sig TEXT NOT NULL,
  PRIMARY KEY (height, org)
);
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
`;

export class CheckpointStore {
  readonly #db: Database.Database;
  readonly #q;

  constructor(path: string) {
    this.#db = new Database(path);
    this.#db.pragma('journal_mode = WAL');
    this.#db.exec(SCHEMA);
    this.#q = {
      add: this.#db.prepare<[number, string, string, string]>(
        'INSERT OR IGNORE INTO sigs (height, org, body, sig) VALUES (?, ?, ?, ?)',
      ),
      at: this.#db.prepare<[number], { org: string; body: string; sig: string }>(
        'SELECT org, body, sig FROM sigs WHERE height = ? ORDER BY org',
      ),
      of: this.#db.prepare<[number, string], { body: string; sig: string }>(
        'SELECT body, sig FROM sigs WHERE height = ? AND org = ?',
      ),
      lastOf: this.#db.prepare<[string], number | null>('SELECT MAX(height) FROM sigs WHERE org = ?').pluck(),
      getMeta: this.#db.prepare<[string], string>('SELECT v FROM meta WHERE k = ?').pluck(),
      putMeta: this.#db.prepare<[string, string]>('INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)'),
    };
  }

  /**
   * Stores a signature. A node signs one body per height: a second, different body from the
   * same node is not stored, and the first is returned so the caller can raise an alarm.
   * @returns 'added', 'known' (the same body again) or the conflicting stored signature.
   */
  add(body: CheckpointBody, org: string, sig: string): 'added' | 'known' | StoredCheckpointSignature {
    const text = canonicalize(body);
    const prior = this.#q.of.get(body.height, org);
    if (prior) {
      if (prior.body === text) return 'known';
      return { org, sig: prior.sig, body: JSON.parse(prior.body) as CheckpointBody };
    }
    this.#q.add.run(body.height, org, text, sig);
    return 'added';
  }

  /** Every signature stored for a height. */
  at(height: number): StoredCheckpointSignature[] {
    return this.#q.at
      .all(height)
      .map((r) => ({ org: r.org, sig: r.sig, body: JSON.parse(r.body) as CheckpointBody }));
  }

  /** One organization's signature at a height. */
  of(height: number, org: string): StoredCheckpointSignature | undefined {
    const r = this.#q.of.get(height, org);
    return r && { org, sig: r.sig, body: JSON.parse(r.body) as CheckpointBody };
  }

  /** The highest height an organization's signature is stored for (0 if none). */
  lastOf(org: string): number {
    return this.#q.lastOf.get(org) ?? 0;
  }

  get finalHeight(): number {
    return Number(this.#q.getMeta.get('finalHeight') ?? 0);
  }

  set finalHeight(h: number) {
    this.#q.putMeta.run('finalHeight', String(h));
  }

  close(): void {
    this.#db.close();
  }
}
