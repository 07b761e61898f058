/**
 * The sealed state of an organization's services (`services.sqlite` in the node directory):
 * the ABE authority's secret key, the credential issuer's keys, revocation accumulator and
 * register of issued credentials, each group manager's keys, member table, past epochs and
 * revoked members, and the HE keys held in custody. One row per service, a JSON value
 * AES-256-GCM encrypted (NIST SP 800-38D) under a key derived with HKDF-SHA256 (RFC 5869) from
 * the node's services key — a key file sealed like the node key (`keys/services-<org>.key.json`,
 * scrypt + AES-GCM under the directory's passphrase). The additional data binds the row's
 * name, so a row cannot be moved to another service. A row is replaced in one SQLite
 * transaction (synchronous FULL), so a crash leaves the previous state or the new one.
 *
 * Threat model: a stolen `services.sqlite` without the passphrase reveals service names and
 * sizes, never a key or who is in a group. The node process holds the keys in memory while it
 * runs.
 */
import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import Database from 'better-sqlite3';
import { canonicalBytes, randomBytes, type JsonValue } from '@medledger/crypto';
import { LedgerError } from '@medledger/core';

const IV = 12;
const TAG = 16;
const SCHEMA = `CREATE TABLE IF NOT EXISTS state (
  name TEXT PRIMARY KEY,
  sealed BLOB NOT NULL,
  updated_at INTEGER NOT NULL
)`;

/** Encrypted rows of service state, by service name. */
export class ServiceStateStore {
  readonly #db: Database.Database;
  readonly #key: Uint8Array;

  private constructor(db: Database.Database, key: Uint8Array) {
    this.#db = db;
    this.#key = key;
  }

  /** Opens (creating if needed) the store at `path` under the 32-byte services key. */
  static open(path: string, servicesKey: Uint8Array): ServiceStateStore {
    if (servicesKey.length !== 32) throw new RangeError('the services key is 32 bytes');
    const key = new Uint8Array(
      hkdfSync('sha256', servicesKey, new Uint8Array(0), 'medledger/services/v1', 32),
    );
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('secure_delete = ON');
    db.exec(SCHEMA);
    return new ServiceStateStore(db, key);
  }

  #aad(name: string): Uint8Array {
    return canonicalBytes(['medledger/services/v1', name]);
  }

  /**
   * The service's state, or undefined if it has none yet.
   * @throws LedgerError SERVICE_STATE_CORRUPT if the row does not decrypt (tampered, or another key)
   */
  get(name: string): JsonValue | undefined {
    const r = this.#db
      .prepare<[string], { sealed: Buffer }>('SELECT sealed FROM state WHERE name = ?')
      .get(name);
    if (!r) return undefined;
    const s = r.sealed;
    try {
      const d = createDecipheriv('aes-256-gcm', this.#key, s.subarray(0, IV));
      d.setAAD(this.#aad(name));
      d.setAuthTag(s.subarray(s.length - TAG));
      const pt = Buffer.concat([d.update(s.subarray(IV, s.length - TAG)), d.final()]);
      return JSON.parse(pt.toString('utf8')) as JsonValue;
    } catch {
      throw new LedgerError(
        { code: 'SERVICE_STATE_CORRUPT', service: name },
        `the sealed state of ${name} does not open (tampered, or sealed under another services key)`,
      );
    }
  }

  /** Replaces the service's state (durable when this returns). */
  put(name: string, value: JsonValue): void {
    const iv = randomBytes(IV);
    const c = createCipheriv('aes-256-gcm', this.#key, iv);
    c.setAAD(this.#aad(name));
    const pt = Buffer.from(JSON.stringify(value), 'utf8');
    const sealed = Buffer.concat([iv, c.update(pt), c.final(), c.getAuthTag()]);
    pt.fill(0);
    this.#db
      .prepare(
        'INSERT INTO state (name, sealed, updated_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at',
      )
      .run(name, sealed, Date.now());
  }

  /** Closes the store (again: nothing). */
  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
