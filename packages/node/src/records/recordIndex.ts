/**
 * Node-local indexes of record sharing, derived from the feed of committed blocks and their
 * contract events (and therefore rebuildable: delete the file and the node re-derives it from
 * its ledger at start). Tables:
 *   records      one row per record: meta, episode pseudonym (`subject`), patient, holder
 *   patient_log  the patient's audit trail: every access decision, node-logged access,
 *                consent change, transmission and erasure that concerns them (issue 3 §7)
 *   meta         the last block height indexed: the index's cursor on the feed, written in
 *                the same transaction as the block's rows, so a restart resumes exactly after it
 *
 * The rows are the events the contracts emit (record.written, record.transmitted,
 * access.decided, access.logged, consent.granted, consent.revoked, record.erased), stored with
 * their block in the ledger; only a new record's row copies its registry entry from the state.
 *
 * Threat model: the index is a cache of public ledger data; it holds no record content and
 * no secret. Whoever can read the file learns what every ledger reader can learn.
 */
import Database from 'better-sqlite3';
import type { JsonValue } from '@medledger/crypto';
import { getRecord, type EventName, type RecordMode, type StateReader } from '@medledger/core';
import type { CommittedLedgerEvent } from '../store/events.js';

/** A record as the index lists it (no content, no patient id). */
export interface IndexedRecord {
  recordId: string;
  mode: RecordMode;
  subject: string;
  category: string;
  resourceType: string;
  org: string;
  holder?: string;
  txId: string;
  height: number;
  time: number;
  /** Height of the erasure, if erased. */
  erasedAt?: number;
}

/** One entry of a patient's access log. */
export interface PatientLogEntry {
  seq: number;
  /** The contract event the entry was derived from (only events this index stores). */
  type: EventName;
  height: number;
  time: number;
  txId: string;
  [k: string]: JsonValue;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS records (
  record_id TEXT PRIMARY KEY, patient TEXT NOT NULL, subject TEXT NOT NULL, mode TEXT NOT NULL,
  category TEXT NOT NULL, resource_type TEXT NOT NULL, org TEXT NOT NULL, holder TEXT,
  tx_id TEXT NOT NULL, height INTEGER NOT NULL, time INTEGER NOT NULL, erased_at INTEGER
) STRICT;
CREATE INDEX IF NOT EXISTS records_by_subject ON records (subject, height);
CREATE INDEX IF NOT EXISTS records_by_patient ON records (patient, height);
CREATE TABLE IF NOT EXISTS patient_log (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, patient TEXT NOT NULL, type TEXT NOT NULL,
  height INTEGER NOT NULL, time INTEGER NOT NULL, tx_id TEXT NOT NULL, entry TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS patient_log_by_patient ON patient_log (patient, seq);
`;

interface RecordRow {
  record_id: string;
  subject: string;
  mode: RecordMode;
  category: string;
  resource_type: string;
  org: string;
  holder: string | null;
  tx_id: string;
  height: number;
  time: number;
  erased_at: number | null;
}

const toRecord = (r: RecordRow): IndexedRecord => {
  const out: IndexedRecord = {
    recordId: r.record_id,
    mode: r.mode,
    subject: r.subject,
    category: r.category,
    resourceType: r.resource_type,
    org: r.org,
    txId: r.tx_id,
    height: r.height,
    time: r.time,
  };
  if (r.holder !== null) out.holder = r.holder;
  if (r.erased_at !== null) out.erasedAt = r.erased_at;
  return out;
};

/**
 * The record indexes (one SQLite file, or ':memory:' to rebuild at every start).
 * @example
 * const index = RecordIndex.open(':memory:');
 * index.indexBlock(b.height, b.block.header.time, b.events, node.store);
 * index.bySubject(pseudonym);
 */
export class RecordIndex {
  readonly #db: Database.Database;

  // Statements of the per-block path, prepared once (preparing showed in the node's profile).
  readonly #stmts = new Map<string, Database.Statement>();

  private constructor(db: Database.Database) {
    this.#db = db;
  }

  #prepare<P extends unknown[] = unknown[], R = unknown>(sql: string): Database.Statement<P, R> {
    let st = this.#stmts.get(sql);
    if (!st) this.#stmts.set(sql, (st = this.#db.prepare(sql)));
    return st as unknown as Database.Statement<P, R>;
  }

  static open(path: string): RecordIndex {
    const db = new Database(path);
    if (path !== ':memory:') db.pragma('journal_mode = WAL');
    db.exec(SCHEMA);
    return new RecordIndex(db);
  }

  /** The last block height indexed (0 before any). */
  height(): number {
    const r = this.#prepare<[], { v: number }>("SELECT v FROM meta WHERE k = 'height'").get();
    return r?.v ?? 0;
  }

  /**
   * Indexes one block (must be `height() + 1`) from its contract events, in one SQLite
   * transaction that also records the height (the index's cursor on the feed).
   * @param time the block's time
   * @param events the block's events, as the feed delivers them
   * @param state the node's state (at or after this block): the entries of new records
   */
  indexBlock(
    height: number,
    time: number,
    events: readonly CommittedLedgerEvent[],
    state: StateReader,
  ): void {
    if (height !== this.height() + 1)
      throw new Error(`index expects block ${this.height() + 1}, got ${height}`);
    const log = this.#prepare(
      'INSERT INTO patient_log (patient, type, height, time, tx_id, entry) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const add = (patient: JsonValue | undefined, type: string, txId: string, entry: object): void => {
      if (typeof patient === 'string') log.run(patient, type, height, time, txId, JSON.stringify(entry));
    };
    const insertRecord = this.#prepare(
      `INSERT OR IGNORE INTO records (record_id, patient, subject, mode, category, resource_type, org, holder,
         tx_id, height, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const markErased = this.#prepare('UPDATE records SET erased_at = ? WHERE record_id = ?');
    this.#db.transaction(() => {
      for (const e of events) {
        switch (e.type) {
          case 'record.written':
          case 'record.transmitted': {
            // The row copies the record's registry entry, which never changes after the
            // transaction that created it (only `erasedAt` does, tracked below).
            const r = getRecord(state, String(e.recordId));
            if (r && r.txId === e.txId)
              insertRecord.run(
                r.recordId,
                r.patientId,
                r.subject,
                r.mode,
                r.category,
                r.resourceType,
                r.org,
                r.holder ?? null,
                r.txId,
                r.height,
                r.time,
              );
            if (e.type === 'record.transmitted')
              add(e.patient, e.type, e.txId, {
                recordId: e.recordId,
                from: e.from ?? null,
                to: e.to ?? [],
                prev: e.prev ?? null,
                purpose: e.purpose ?? null,
              });
            break;
          }
          case 'access.decided': {
            const { type, txId, ...decision } = e;
            add(e.patient, type, txId, decision);
            break;
          }
          case 'access.logged': {
            const { type, txId, height: _h, patient, ...entry } = e;
            add(patient, type, txId, entry);
            break;
          }
          case 'consent.granted':
            add(e.patient, e.type, e.txId, {
              grantId: e.grantId ?? null,
              grantee: e.grantee ?? null,
              scope: e.scope ?? null,
              purposes: e.purposes ?? null,
              notBefore: e.notBefore ?? null,
              notAfter: e.notAfter ?? null,
            });
            break;
          case 'consent.revoked':
            add(e.patient, e.type, e.txId, { grantId: e.grantId ?? null });
            break;
          case 'record.erased':
            markErased.run(height, String(e.recordId));
            add(e.patient, e.type, e.txId, { recordId: e.recordId, mode: e.mode, holder: e.holder });
            break;
          default:
            break;
        }
      }
      this.#prepare("INSERT INTO meta (k, v) VALUES ('height', ?) ON CONFLICT (k) DO UPDATE SET v = ?").run(
        height,
        height,
      );
    })();
  }

  /** Records of an episode pseudonym, oldest first. */
  bySubject(subject: string): IndexedRecord[] {
    return this.#db
      .prepare<[string], RecordRow>('SELECT * FROM records WHERE subject = ? ORDER BY height, record_id')
      .all(subject)
      .map(toRecord);
  }

  /** A patient's records, oldest first. */
  byPatient(patient: string): IndexedRecord[] {
    return this.#db
      .prepare<[string], RecordRow>('SELECT * FROM records WHERE patient = ? ORDER BY height, record_id')
      .all(patient)
      .map(toRecord);
  }

  /** Erased records held by `holder` (the start-up pass repeats their erasure). */
  byHolderErased(holder: string): IndexedRecord[] {
    return this.#db
      .prepare<[string], RecordRow>(
        'SELECT * FROM records WHERE erased_at IS NOT NULL AND COALESCE(holder, org) = ? ORDER BY height',
      )
      .all(holder)
      .map(toRecord);
  }

  /** A patient's access log, oldest first, after sequence number `after`, at most `limit`. */
  accessLog(patient: string, after = 0, limit = 1000): PatientLogEntry[] {
    return this.#db
      .prepare<
        [string, number, number],
        { seq: number; type: string; height: number; time: number; tx_id: string; entry: string }
      >('SELECT * FROM patient_log WHERE patient = ? AND seq > ? ORDER BY seq LIMIT ?')
      .all(patient, after, limit)
      .map((r) => ({
        ...(JSON.parse(r.entry) as { [k: string]: JsonValue }),
        seq: r.seq,
        type: r.type as EventName, // written from a LedgerEvent by this index
        height: r.height,
        time: r.time,
        txId: r.tx_id,
      }));
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
