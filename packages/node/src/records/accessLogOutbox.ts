/**
 * The durable outbox of the access log: every entry a node is about to serve a read under is
 * written here, and the write is on disk (fsync'd) before the read is answered. The batcher
 * (accessLogBatcher.ts) takes entries from here into signed `access.log` transactions and
 * deletes them once their transaction has committed; after a crash it submits again what had
 * not committed. So a read that was served is on the ledger eventually, whatever happens to
 * the process after it answered.
 *
 * Tables: `entries` (seq, the entry as canonical JSON, the batch transaction id or NULL), and
 * `batches` (transaction id, the signed transaction). An entry is in at most one batch; a batch
 * is deleted with its entries when its receipt is seen, or released (entries back to NULL)
 * when its transaction can no longer commit. Entries hold ids and codes, never record
 * contents.
 *
 * Group commit, with the fsync off the main thread. The connection runs in WAL mode with
 * `synchronous = OFF` (a commit appends its frames to the WAL file and returns) and this class
 * makes the WAL durable itself: {@link AccessLogOutbox.add} fsyncs it before it returns, and
 * {@link AccessLogOutbox.addGrouped} queues an entry, writes every entry queued in the same turn
 * of the event loop in one transaction, then fsyncs the WAL through libuv's thread pool
 * (`fs.fsync`) and resolves once that is done. While one fsync runs, the next group gathers, so
 * one disk flush covers many reads in flight (as a database's group commit does), and the
 * event loop never waits for the disk. The guarantee is the one `synchronous = FULL` gave: an
 * entry is on disk when the caller may answer the read. Automatic checkpoints are off (with
 * `synchronous = OFF` one would not sync the database file before the WAL restarts);
 * {@link AccessLogOutbox.done} checkpoints now and then under `synchronous = FULL`. Deleting
 * committed batches and releasing refused ones need no fsync of their own: after a crash the
 * batcher finds the batch again and reconciles it with its receipt.
 */
import { closeSync, fsync, fsyncSync, openSync } from 'node:fs';
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

/** Committed batches between two checkpoints of the WAL into the database file. */
const CHECKPOINT_EVERY = 100;

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
  readonly #insertMany;
  /** Entries queued for the next group commit, with their waiters. */
  #group: { json: string; done: () => void; fail: (e: unknown) => void }[] = [];
  /** File descriptor of the WAL file (undefined in memory: nothing to sync). */
  readonly #walFd: number | undefined;
  /** The fsync in flight, and whether another must follow it (writes committed since it began). */
  #syncing: Promise<void> | undefined;
  #syncAgain: Promise<void> | undefined;
  #doneSinceCheckpoint = 0;
  /** fsyncs of the WAL issued so far (tests: group commit shares them). */
  syncs = 0;

  /** @param path SQLite file; `:memory:` for a node without a directory (tests) */
  constructor(path = ':memory:') {
    this.#db = new Database(path);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = FULL');
    this.#db.exec(SCHEMA);
    if (path !== ':memory:' && path !== '') {
      // The schema is durable (FULL); from here this class syncs the WAL itself.
      this.#db.pragma('wal_checkpoint(TRUNCATE)');
      this.#db.pragma('wal_autocheckpoint = 0');
      this.#db.pragma('synchronous = OFF');
      this.#walFd = openSync(`${path}-wal`, 'r');
    }
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
    this.#insertMany = this.#db.transaction((rows: readonly string[]) => {
      for (const r of rows) this.#insert.run(r);
    });
  }

  /** Writes one entry; it is on disk when this returns (the main thread waits for the fsync). */
  add(e: AccessLogEntry): void {
    this.#insert.run(JSON.stringify(e));
    if (this.#walFd !== undefined) {
      this.syncs++;
      fsyncSync(this.#walFd);
    }
  }

  /**
   * Makes every commit made so far durable: one fsync of the WAL in the thread pool, shared by
   * every caller that asks while it has not started.
   */
  sync(): Promise<void> {
    const fd = this.#walFd;
    if (fd === undefined) return Promise.resolve();
    if (this.#syncing === undefined) {
      this.#syncing = this.#fsync(fd);
      return this.#syncing;
    }
    // An fsync is running, and it may have begun before our commit: queue one more after it.
    this.#syncAgain ??= this.#syncing.then(
      () => this.#startQueued(fd),
      () => this.#startQueued(fd),
    );
    return this.#syncAgain;
  }

  #startQueued(fd: number): Promise<void> {
    this.#syncAgain = undefined;
    if (!this.#db.open) return Promise.resolve(); // close() synced everything
    this.#syncing = this.#fsync(fd);
    return this.#syncing;
  }

  #fsync(fd: number): Promise<void> {
    this.syncs++;
    return new Promise<void>((resolve, reject) =>
      fsync(fd, (err) => {
        if (this.#syncAgain === undefined) this.#syncing = undefined;
        if (err) reject(err);
        else resolve();
      }),
    );
  }

  /**
   * Queues one entry for the next group commit (the entries queued in this turn of the event
   * loop, written in one transaction).
   * @returns a promise that resolves when the entry is on disk, or rejects if the write failed
   *   (then the caller must not answer the read)
   */
  addGrouped(e: AccessLogEntry): Promise<void> {
    return new Promise((done, fail) => {
      if (this.#group.length === 0) setImmediate(() => this.#commitGroup());
      this.#group.push({ json: JSON.stringify(e), done, fail });
    });
  }

  /** Writes the queued group in one transaction; then syncs it (in the pool, or now). */
  #commitGroup(now = false): void {
    const group = this.#group;
    this.#group = [];
    if (group.length === 0) return;
    try {
      this.#insertMany(group.map((g) => g.json));
    } catch (err) {
      for (const g of group) g.fail(err);
      return;
    }
    if (now) {
      if (this.#walFd !== undefined) fsyncSync(this.#walFd);
      for (const g of group) g.done();
      return;
    }
    this.sync().then(
      () => group.forEach((g) => g.done()),
      (err: unknown) => group.forEach((g) => g.fail(err)),
    );
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

  /**
   * Records a batch transaction and moves the entries `seqs` into it, in one transaction;
   * await {@link AccessLogOutbox.sync} before submitting the batch.
   */
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
    if (this.#walFd !== undefined && ++this.#doneSinceCheckpoint >= CHECKPOINT_EVERY) this.#checkpoint();
  }

  /** Copies the WAL into the database file and syncs both (FULL), then empties the WAL. */
  #checkpoint(): void {
    this.#doneSinceCheckpoint = 0;
    this.#db.pragma('synchronous = FULL');
    try {
      this.#db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      this.#db.pragma('synchronous = OFF');
    }
  }

  /** A batch can no longer commit: its entries go back to no batch, for the next one. */
  release(txId: string): void {
    this.#db.transaction(() => {
      this.#releaseEntries.run(txId);
      this.#deleteBatch.run(txId);
    })();
  }

  close(): void {
    if (!this.#db.open) return;
    this.#commitGroup(true);
    const fd = this.#walFd;
    if (fd !== undefined) {
      fsyncSync(fd);
      this.#checkpoint();
    }
    this.#db.close();
    // An fsync still in the pool must not meet a closed (or reused) descriptor.
    if (fd !== undefined) void Promise.allSettled([this.#syncing, this.#syncAgain]).then(() => closeSync(fd));
  }
}
