/**
 * Durable cursors of feed followers whose effects are not in a database of their own — the
 * emergency proxy and the HE custodian act by submitting transactions, so the ledger itself is
 * where their effects live, and they check it before acting again. A cursor saved after the
 * effect is durable makes a restart replay at most the blocks since; idempotent handlers make
 * that replay harmless. (The record index and the notification hub keep their cursor in their
 * own SQLite file, in the same transaction as their effects.)
 */
import Database from 'better-sqlite3';

/** Where a follower keeps the last height it has completely handled. */
export interface FeedCursor {
  /** The last height handled (0 before any). */
  load(): number;
  save(height: number): void;
}

/** A cursor in memory: restarts from `height` every time (tests, a follower without a store). */
export function memoryCursor(height = 0): FeedCursor {
  let h = height;
  return { load: () => h, save: (x) => void (h = x) };
}

/**
 * Named cursors in one SQLite file (`feed-cursors.sqlite` in the node's data directory).
 * @example
 * const cursors = CursorStore.open(join(dir, 'feed-cursors.sqlite'));
 * const proxy = new EmergencyProxyService(node, { nodeKey, encryption, cursor: cursors.cursor('emergency-proxy') });
 */
export class CursorStore {
  readonly #db: Database.Database;
  readonly #get: Database.Statement<[string], number>;
  readonly #put: Database.Statement<[string, number]>;

  private constructor(db: Database.Database) {
    this.#db = db;
    this.#get = db.prepare<[string], number>('SELECT height FROM cursors WHERE name = ?').pluck();
    this.#put = db.prepare<[string, number]>(
      'INSERT INTO cursors (name, height) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET height = excluded.height',
    );
  }

  static open(path: string): CursorStore {
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    // A cursor that lags after a power loss only replays blocks to idempotent handlers.
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE IF NOT EXISTS cursors (name TEXT PRIMARY KEY, height INTEGER NOT NULL) STRICT');
    return new CursorStore(db);
  }

  cursor(name: string): FeedCursor {
    return {
      load: () => this.#get.get(name) ?? 0,
      save: (height) => void this.#put.run(name, height),
    };
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
