/**
 * The node's vault of small record secrets, kept off the ledger so they can be destroyed:
 * - `release`: an STT record's release key (survey §6.2). The body of an STT transmission is
 *   encrypted under it before the HPKE envelope wraps it for the receivers, so a receiver
 *   needs both its own key and this one, which it obtains through an audited
 *   `access.request`; erasure deletes it (crypto-shredding).
 * - `salt`: the salt that opens an SPV record's on-chain commitment (commitment.ts in crypto),
 *   served with the record to consented requesters and erased with it.
 * - `study`: a research study key the patient released for a grant with linkage (pseudonym.ts
 *   in crypto, `linkagePseudonym`).
 *
 * Each secret is AES-256-GCM encrypted (NIST SP 800-38D) under a vault key derived with
 * HKDF-SHA256 (RFC 5869) from the node's EHR master key with its own label, so the vault and
 * the EHR store never use the same key; the additional data binds the id and kind, so a row
 * cannot be moved to another record. A row is `pending` from upload until the transaction
 * that uses it commits (see services.ts: pending rows are erased after a time-out).
 *
 * Threat model: as ehr/encryption.ts. A stolen vault file without the master key reveals ids,
 * kinds, owners and times, never a secret. Erasure NULLs the ciphertext with SQLite
 * `secure_delete` and truncates the WAL; copies outside the database (backups, file-system
 * snapshots) are out of reach, and a receiver that already fetched a release key keeps it.
 */
import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import Database from 'better-sqlite3';
import { canonicalBytes } from '@medledger/crypto';
import { randomBytes } from '@medledger/crypto';
import type { RandomSource } from '@medledger/crypto';
import { assertMasterKey } from '../ehr/encryption.js';
import { EhrError, assertEhrId } from '../ehr/types.js';

/** What a vault row holds. */
export type VaultKind = 'release' | 'salt' | 'study';

/** A live vault entry. */
export interface VaultEntry {
  id: string;
  kind: VaultKind;
  /** The secret (32 bytes for every kind used today). */
  secret: Uint8Array;
  /** Member id of who uploaded it. */
  owner: string;
  createdAt: number;
  /** When the ledger transaction that uses it committed; undefined while pending. */
  confirmedAt?: number;
}

/** Options of {@link ReleaseKeyVault.open}. */
export interface ReleaseKeyVaultOptions {
  /** SQLite file (created if missing), or ':memory:'. */
  path: string;
  /** The node's 32-byte EHR master key; a vault key is derived from it. */
  masterKey: Uint8Array;
  random?: RandomSource;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS vault (
  id           TEXT NOT NULL,
  kind         TEXT NOT NULL,
  owner        TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  confirmed_at INTEGER,
  sealed       BLOB,
  erased_at    INTEGER,
  PRIMARY KEY (id, kind),
  CHECK ((erased_at IS NULL) = (sealed IS NOT NULL))
) STRICT;
`;
const IV = 12;
const TAG = 16;

interface Row {
  id: string;
  kind: VaultKind;
  owner: string;
  created_at: number;
  confirmed_at: number | null;
  sealed: Uint8Array | null;
  erased_at: number | null;
}

/**
 * The vault (one SQLite file). Named after its main use; it also keeps SPV salts and study keys.
 * @example
 * const vault = ReleaseKeyVault.open({ path: 'vault.sqlite', masterKey });
 * vault.put('rec-1', 'release', key, doctorId, Date.now());
 * vault.erase('rec-1'); // crypto-shredding
 */
export class ReleaseKeyVault {
  readonly #db: Database.Database;
  readonly #key: Uint8Array;
  /** The statements of the read path, prepared once (each SPV or STT serve runs them). */
  readonly #getLive;
  readonly #pending;
  readonly #random: RandomSource;

  private constructor(db: Database.Database, key: Uint8Array, random: RandomSource) {
    this.#db = db;
    this.#key = key;
    this.#random = random;
    this.#getLive = db.prepare<[string, string], Row>(
      'SELECT * FROM vault WHERE id = ? AND kind = ? AND erased_at IS NULL',
    );
    this.#pending = db.prepare<[number], { id: string; kind: VaultKind }>(
      'SELECT id, kind FROM vault WHERE confirmed_at IS NULL AND erased_at IS NULL AND created_at < ?',
    );
  }

  /**
   * Opens (creating if needed) a vault.
   * @throws EhrError `BAD_INPUT` on a bad master key
   */
  static open(o: ReleaseKeyVaultOptions): ReleaseKeyVault {
    assertMasterKey(o.masterKey);
    const key = new Uint8Array(hkdfSync('sha256', o.masterKey, new Uint8Array(0), 'medledger/vault/v1', 32));
    const db = new Database(o.path);
    if (o.path !== ':memory:') db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('secure_delete = ON');
    db.pragma('busy_timeout = 5000');
    db.exec(SCHEMA);
    return new ReleaseKeyVault(db, key, o.random ?? randomBytes);
  }

  #seal(id: string, kind: VaultKind, secret: Uint8Array): Buffer {
    const iv = this.#random(IV).slice();
    const c = createCipheriv('aes-256-gcm', this.#key, iv);
    c.setAAD(this.#aad(id, kind));
    return Buffer.concat([iv, c.update(secret), c.final(), c.getAuthTag()]);
  }

  #aad(id: string, kind: VaultKind): Uint8Array {
    return canonicalBytes(['medledger/vault/v1', id, kind]);
  }

  /**
   * Stores a new secret (pending until {@link confirm}).
   * @throws EhrError `DUPLICATE_RECORD` if the id/kind exists, `ERASED` if it was erased
   *   (ids are never reused), `BAD_INPUT` on bad arguments
   */
  put(id: string, kind: VaultKind, secret: Uint8Array, owner: string, now: number): void {
    assertEhrId(id, 'id');
    assertEhrId(owner, 'owner');
    if (!(secret instanceof Uint8Array) || secret.length === 0 || secret.length > 1024)
      throw new EhrError('BAD_INPUT', 'secret must be 1 to 1024 bytes', 'secret');
    const sealed = this.#seal(id, kind, secret);
    const tx = this.#db.transaction(() => {
      const old = this.#db
        .prepare<[string, string], Row>('SELECT * FROM vault WHERE id = ? AND kind = ?')
        .get(id, kind);
      if (old?.erased_at !== undefined && old.erased_at !== null)
        throw new EhrError('ERASED', `${kind} for this id was erased and cannot be replaced`);
      if (old) throw new EhrError('DUPLICATE_RECORD', `${kind} for this id is already stored`);
      this.#db
        .prepare('INSERT INTO vault (id, kind, owner, created_at, sealed) VALUES (?, ?, ?, ?, ?)')
        .run(id, kind, owner, now, sealed);
    });
    tx();
  }

  /**
   * Keeps the secret of a record whose transaction has committed, for the member the ledger
   * names as its writer, confirmed at once. It displaces a claim that another member made
   * before the record was written (a pending entry, or one swept after its time-out): such a
   * claim secured no record. A confirmed entry is never replaced.
   * @throws EhrError `DUPLICATE_RECORD` if a confirmed entry exists, `ERASED` if one was erased
   */
  putAsWriter(id: string, kind: VaultKind, secret: Uint8Array, owner: string, now: number): void {
    assertEhrId(id, 'id');
    assertEhrId(owner, 'owner');
    if (!(secret instanceof Uint8Array) || secret.length === 0 || secret.length > 1024)
      throw new EhrError('BAD_INPUT', 'secret must be 1 to 1024 bytes', 'secret');
    const sealed = this.#seal(id, kind, secret);
    this.#db.transaction(() => {
      const old = this.#db
        .prepare<[string, string], Row>('SELECT * FROM vault WHERE id = ? AND kind = ?')
        .get(id, kind);
      if (old && old.confirmed_at !== null) {
        if (old.erased_at !== null)
          throw new EhrError('ERASED', `${kind} for this id was erased and cannot be replaced`);
        throw new EhrError('DUPLICATE_RECORD', `${kind} for this id is already stored`);
      }
      this.#db
        .prepare(
          'INSERT INTO vault (id, kind, owner, created_at, confirmed_at, sealed) VALUES (?, ?, ?, ?, ?, ?) ' +
            'ON CONFLICT (id, kind) DO UPDATE SET owner = excluded.owner, created_at = excluded.created_at, ' +
            'confirmed_at = excluded.confirmed_at, sealed = excluded.sealed, erased_at = NULL',
        )
        .run(id, kind, owner, now, now, sealed);
    })();
  }

  /**
   * The live entry, or undefined if unknown or erased.
   * @throws EhrError `CORRUPT` if the row does not decrypt (tampered, or another master key)
   */
  get(id: string, kind: VaultKind): VaultEntry | undefined {
    const r = this.#getLive.get(id, kind);
    if (!r || !r.sealed) return undefined;
    const s = r.sealed;
    let secret: Uint8Array;
    try {
      const d = createDecipheriv('aes-256-gcm', this.#key, s.subarray(0, IV));
      d.setAAD(this.#aad(id, kind));
      d.setAuthTag(s.subarray(s.length - TAG));
      secret = new Uint8Array(Buffer.concat([d.update(s.subarray(IV, s.length - TAG)), d.final()]));
    } catch {
      throw new EhrError('CORRUPT', `${kind} entry does not decrypt`);
    }
    const e: VaultEntry = { id, kind, secret, owner: r.owner, createdAt: r.created_at };
    if (r.confirmed_at !== null) e.confirmedAt = r.confirmed_at;
    return e;
  }

  /** Marks a pending entry as used by a committed transaction. Returns false if none was pending. */
  confirm(id: string, kind: VaultKind, at: number): boolean {
    return (
      this.#db
        .prepare(
          'UPDATE vault SET confirmed_at = ? WHERE id = ? AND kind = ? AND confirmed_at IS NULL AND erased_at IS NULL',
        )
        .run(at, id, kind).changes === 1
    );
  }

  /**
   * Crypto-shredding: deletes the secrets of `id` (every kind, or one), keeping tombstones.
   * @returns the kinds that were live and are now erased
   */
  erase(id: string, now: number, kind?: VaultKind): VaultKind[] {
    const rows = this.#db
      .prepare<[string], { kind: VaultKind }>('SELECT kind FROM vault WHERE id = ? AND erased_at IS NULL')
      .all(id)
      .filter((r) => kind === undefined || r.kind === kind);
    if (rows.length === 0) return [];
    const upd = this.#db.prepare('UPDATE vault SET sealed = NULL, erased_at = ? WHERE id = ? AND kind = ?');
    this.#db.transaction(() => rows.forEach((r) => upd.run(now, id, r.kind)))();
    if (this.#db.name !== ':memory:') this.#db.pragma('wal_checkpoint(TRUNCATE)');
    return rows.map((r) => r.kind);
  }

  /** True if the secret of this id and kind was erased. */
  isErased(id: string, kind: VaultKind): boolean {
    const r = this.#db
      .prepare<[string, string], { erased_at: number | null }>(
        'SELECT erased_at FROM vault WHERE id = ? AND kind = ?',
      )
      .get(id, kind);
    return r !== undefined && r.erased_at !== null;
  }

  /** Ids and kinds of entries still pending that were created before `t`. */
  pendingBefore(t: number): { id: string; kind: VaultKind }[] {
    return this.#pending.all(t);
  }

  close(): void {
    if (this.#db.open) this.#db.close();
    this.#key.fill(0);
  }
}
