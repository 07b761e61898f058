/**
 * The replay memory of signed requests: the keys of the requests a node accepted within the
 * time window, on SQLite (`requests.sqlite` in the node directory), so that a request captured
 * before a restart is still refused after it. A key is the hash of the signed content (see
 * client/auth.ts: method, path, body hash, time, signer, chain and node), never the signature:
 * an ECDSA signature has other encodings of the same content.
 */
import Database from 'better-sqlite3';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS seen (
  key BLOB PRIMARY KEY,
  expires INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS seen_expires ON seen (expires);
`;

/** Accepted request keys until they leave the window. */
export class ReplayMemory {
  readonly #db: Database.Database;
  readonly #claim;
  readonly #prune;
  #claims = 0;

  /** @param path SQLite file; `:memory:` keeps nothing across a restart (tests of one process) */
  constructor(path = ':memory:') {
    this.#db = new Database(path);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = NORMAL');
    this.#db.exec(SCHEMA);
    this.#claim = this.#db.prepare<[Uint8Array, number]>(
      'INSERT OR IGNORE INTO seen (key, expires) VALUES (?, ?)',
    );
    this.#prune = this.#db.prepare<[number]>('DELETE FROM seen WHERE expires < ?');
  }

  /**
   * Records `key` as used until `expires` (ms since the epoch). Returns false if it was
   * already recorded: the request is a replay.
   */
  claim(key: Uint8Array, expires: number, now: number): boolean {
    if (++this.#claims % 256 === 0) this.#prune.run(now);
    return this.#claim.run(key, expires).changes === 1;
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
