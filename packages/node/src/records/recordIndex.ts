/**
 * Node-local indexes of record sharing, derived from committed blocks (and the world state
 * they produced) and therefore rebuildable: delete the file and the node re-derives it from
 * its ledger at start. Tables:
 *   records      one row per record: meta, episode pseudonym (`subject`), patient, holder
 *   patient_log  the patient's audit trail: every access decision, node-logged access,
 *                consent change, transmission and erasure that concerns them (issue 3 §7)
 *   meta         the last block height indexed
 *
 * The rows are computed from each committed transaction with code OK, the same facts the
 * contracts announce as events (access.decided, access.logged, consent.granted,
 * consent.revoked, record.transmitted, record.erased), read back from the block and the
 * state (e.g. `access:<txId>` holds the decision). Working from blocks rather than the live
 * event stream is what makes the index rebuildable and gap-free after a restart.
 *
 * Threat model: the index is a cache of public ledger data; it holds no record content and
 * no secret. Whoever can read the file learns what every ledger reader can learn.
 */
import Database from 'better-sqlite3';
import type { JsonValue } from '@medledger/crypto';
import {
  getGrant,
  getRecord,
  keys,
  type AccessDecisionEntry,
  type RecordMode,
  type SignedTx,
  type StateReader,
} from '@medledger/core';

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
  type: string;
  height: number;
  time: number;
  txId: string;
  [k: string]: JsonValue;
}

/** What the services must act on after a block was indexed. */
export type IndexAction =
  | { kind: 'written'; mode: RecordMode; recordId: string; txId: string; holder?: string; sender: string }
  | { kind: 'erased'; mode: RecordMode; recordId: string; txId: string; holder: string; patient: string };

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

/** Transaction types the indexes read; everything else is skipped before hashing it. */
const INDEXED_TYPES = new Set([
  'record.dss',
  'record.spv',
  'record.stt',
  'access.request',
  'access.log',
  'consent.grant',
  'consent.revoke',
  'record.erase',
]);

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
 * index.indexBlock(h, block.txs, codes, block.header.time, node.store);
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
   * Indexes one block (must be `height() + 1`) in one SQLite transaction.
   * @param state the node's state (at or after this block): decisions, records, grants
   * @returns what the services must act on (records written, records erased)
   */
  indexBlock(
    height: number,
    txs: readonly SignedTx[],
    codes: readonly string[],
    time: number,
    state: StateReader,
    txIdOf: (tx: SignedTx) => string,
  ): IndexAction[] {
    if (height !== this.height() + 1)
      throw new Error(`index expects block ${this.height() + 1}, got ${height}`);
    const actions: IndexAction[] = [];
    const log = this.#prepare(
      'INSERT INTO patient_log (patient, type, height, time, tx_id, entry) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const add = (patient: string, type: string, txId: string, entry: object): void => {
      log.run(patient, type, height, time, txId, JSON.stringify(entry));
    };
    const insertRecord = this.#prepare(
      `INSERT OR IGNORE INTO records (record_id, patient, subject, mode, category, resource_type, org, holder,
         tx_id, height, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const markErased = this.#prepare('UPDATE records SET erased_at = ? WHERE record_id = ?');
    this.#db.transaction(() => {
      txs.forEach((tx, i) => {
        if (codes[i] !== 'OK' || !INDEXED_TYPES.has(tx.body.type)) return;
        const txId = txIdOf(tx);
        const p = tx.body.payload as { [k: string]: JsonValue };
        const sender = tx.body.signers[0] ?? '';
        switch (tx.body.type) {
          case 'record.dss':
          case 'record.spv':
          case 'record.stt': {
            const r = getRecord(state, String(p.recordId));
            if (!r) return;
            if (r.txId === txId) {
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
            }
            if (r.mode === 'stt')
              add(r.patientId, 'record.transmitted', txId, {
                recordId: r.recordId,
                from: sender,
                to: p.receivers ?? [],
                prev: p.prev ?? null,
                purpose: p.purpose ?? null,
              });
            actions.push({
              kind: 'written',
              mode: r.mode,
              recordId: r.recordId,
              txId,
              sender,
              ...(r.holder === undefined ? {} : { holder: r.holder }),
            });
            return;
          }
          case 'access.request': {
            const d = state.get(keys.access(txId)) as AccessDecisionEntry | undefined;
            if (d) add(d.patient, 'access.decided', txId, d);
            return;
          }
          case 'access.log': {
            const node = sender.startsWith('node:') ? sender.slice(5) : sender;
            for (const e of (p.entries ?? []) as { recordId: string }[]) {
              const r = getRecord(state, e.recordId);
              if (r) add(r.patientId, 'access.logged', txId, { ...e, node });
            }
            return;
          }
          case 'consent.grant':
            add(sender, 'consent.granted', txId, {
              grantId: p.grantId ?? null,
              grantee: p.grantee ?? null,
              scope: p.scope ?? null,
              purposes: p.purposes ?? null,
              notBefore: p.notBefore ?? null,
              notAfter: p.notAfter ?? null,
            });
            return;
          case 'consent.revoke': {
            const g = getGrant(state, String(p.grantId));
            if (g) add(g.patientId, 'consent.revoked', txId, { grantId: g.grantId });
            return;
          }
          case 'record.erase': {
            const r = getRecord(state, String(p.recordId));
            if (!r) return;
            markErased.run(height, r.recordId);
            const holder = r.holder ?? r.org;
            add(r.patientId, 'record.erased', txId, { recordId: r.recordId, mode: r.mode, holder });
            actions.push({
              kind: 'erased',
              mode: r.mode,
              recordId: r.recordId,
              txId,
              holder,
              patient: r.patientId,
            });
            return;
          }
          default:
            return;
        }
      });
      this.#prepare("INSERT INTO meta (k, v) VALUES ('height', ?) ON CONFLICT (k) DO UPDATE SET v = ?").run(
        height,
        height,
      );
    })();
    return actions;
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
        type: r.type,
        height: r.height,
        time: r.time,
        txId: r.tx_id,
      }));
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
