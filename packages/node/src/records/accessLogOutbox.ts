/**
 * The durable outbox of the access log: every entry a node is about to serve a read under is
 * written here, and the write is on disk (SQLite, `synchronous = FULL`: fsync at commit)
 * before the read is answered. The batcher (accessLogBatcher.ts) takes entries from here
 * into signed `access.log` transactions and deletes them once their transaction has
 * committed; after a crash it submits again what had not committed. So a read that was served
 * is on the ledger eventually, whatever happens to the process after it answered.
 *
 * Tables: `entries` (seq, the entry as canonical JSON, the batch transaction id or NULL), and
 * `batches` (transaction id, the signed transaction). An entry is in at most one batch; a batch
 * is deleted with its entries when its receipt is seen, or released (entries back to NULL)
 * when its transaction can no longer commit. Entries hold ids and codes, never record
 * contents.
 */
import Database from 'better-sqlite3';
import type { AccessLogEntry, SignedTx } from '@medledger/core';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS entries (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  entry TEXT NOT NULL,
  batch TEXT
);
CREATE INDEX IF NOT EXISTS entries_batch ON entries (batch);
CREATE TABLE IF NOT EXISTS batches (
  tx_id TEXT PRIMARY KEY,
  tx TEXT NOT NULL
) WITHOUT ROWID;
`;

/** A batch of entries in flight: its signed `access.log` transaction. */
export interface OutboxBatch {
  txId: string;
  tx: SignedTx;
}

/** The access-log outbox on one SQLite file (`access-log.sqlite` in the node directory). */
export class AccessLogOutbox {
  readonly #db: Database.Database;
  readonly #insert;
  readonly #unbatched;
  readonly #countUnbatched;
  readonly #assign;
  readonly #addBatch;
  readonly #batches;
  readonly #deleteEntries;
  readonly #releaseEntries;
  readonly #deleteBatch;

  /** @param path SQLite file; `:memory:` for a node without a directory (tests) */
  constructor(path = ':memory:') {
    this.#db = new Database(path);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = FULL');
    this.#db.exec(SCHEMA);
    this.#insert = this.#db.prepare<[string]>('INSERT INTO entries (entry) VALUES (?)');
    this.#unbatched = this.#db.prepare<[number], { seq: number; entry: string }>(
      'SELECT seq, entry FROM entries WHERE batch IS NULL ORDER BY seq LIMIT ?',
    );
    this.#countUnbatched = this.#db.prepare<[], { n: number }>(
      'SELECT count(*) AS n FROM entries WHERE batch IS NULL',
    );
    this.#assign = this.#db.prepare<[string, number]>(
      'UPDATE entries SET batch = ? WHERE seq = ? AND batch IS NULL',
    );
    this.#addBatch = this.#db.prepare<[string, string]>('INSERT INTO batches (tx_id, tx) VALUES (?, ?)');
    this.#batches = this.#db.prepare<[], { tx_id: string; tx: string }>('SELECT tx_id, tx FROM batches');
    this.#deleteEntries = this.#db.prepare<[string]>('DELETE FROM entries WHERE batch = ?');
    this.#releaseEntries = this.#db.prepare<[string]>('UPDATE entries SET batch = NULL WHERE batch = ?');
    this.#deleteBatch = this.#db.prepare<[string]>('DELETE FROM batches WHERE tx_id = ?');
  }

  /** Writes one entry; it is on disk when this returns. */
  add(e: AccessLogEntry): void {
    this.#insert.run(JSON.stringify(e));
  }

  /** Number of entries in no batch yet. */
  get unbatched(): number {
    return this.#countUnbatched.get()!.n;
  }

  /** The oldest entries in no batch (at most `limit`), with their sequence numbers. */
  take(limit: number): { seqs: number[]; entries: AccessLogEntry[] } {
    const rows = this.#unbatched.all(limit);
    return { seqs: rows.map((r) => r.seq), entries: rows.map((r) => JSON.parse(r.entry) as AccessLogEntry) };
  }

  /** Records a batch transaction and moves the entries `seqs` into it, in one transaction. */
  assign(seqs: readonly number[], batch: OutboxBatch): void {
    this.#db.transaction(() => {
      this.#addBatch.run(batch.txId, JSON.stringify(batch.tx));
      for (const s of seqs) this.#assign.run(batch.txId, s);
    })();
  }

  /** The batches in flight (submitted, or about to be, and not seen committed). */
  batches(): OutboxBatch[] {
    return this.#batches.all().map((r) => ({ txId: r.tx_id, tx: JSON.parse(r.tx) as SignedTx }));
  }

  /** A batch committed: its entries are on the ledger, delete them. */
  done(txId: string): void {
    this.#db.transaction(() => {
      this.#deleteEntries.run(txId);
      this.#deleteBatch.run(txId);
    })();
  }

  /** A batch can no longer commit: its entries go back to no batch, for the next one. */
  release(txId: string): void {
    this.#db.transaction(() => {
      this.#releaseEntries.run(txId);
      this.#deleteBatch.run(txId);
    })();
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
