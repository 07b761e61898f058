/**
 * The care teams by doctor: which patients name a doctor in their care team
 * (`patient.careteam`, core/src/contracts/patients). The ledger keeps `careteam:<patient>`, a
 * list per patient; a doctor's page needs the reverse, so this node derives it from the
 * `careteam.changed` events of the feed of committed blocks into `careteams.sqlite`. The file is
 * a cache of public ledger data (member ids only) and rebuilds itself: delete it and the node
 * re-derives it from its ledger at start. Its cursor (the last height indexed) is written in
 * the same SQLite transaction as the block's rows, so a restart resumes exactly after it.
 */
import Database from 'better-sqlite3';
import type { FeedBlock, Follower, LedgerView } from '../ledgerView.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS care_team (
  doctor TEXT NOT NULL, patient TEXT NOT NULL, since INTEGER NOT NULL, PRIMARY KEY (doctor, patient)
) STRICT;
`;

/** A patient of a doctor, and the block time from which the doctor is in their care team. */
export interface CareTeamPatient {
  patient: string;
  since: number;
}

/**
 * Follows the ledger's care-team changes.
 * @example
 * const teams = CareTeamIndex.open(join(dir, 'careteams.sqlite'));
 * await teams.start(node);
 * teams.patientsOf(doctorId); // [{ patient, since }]
 */
export class CareTeamIndex {
  readonly #db: Database.Database;
  #follower: Follower | undefined;

  private constructor(db: Database.Database) {
    this.#db = db;
  }

  static open(path: string): CareTeamIndex {
    const db = new Database(path);
    if (path !== ':memory:') db.pragma('journal_mode = WAL');
    db.exec(SCHEMA);
    return new CareTeamIndex(db);
  }

  /** The last block height indexed (0 before any). */
  height(): number {
    const r = this.#db.prepare<[], { v: number }>("SELECT v FROM meta WHERE k = 'height'").get();
    return r?.v ?? 0;
  }

  /** Follows the node's feed from this index's height; resolves once caught up with the head. */
  async start(node: LedgerView, log: (line: string) => void = () => {}): Promise<void> {
    this.#follower = node.follow(this.height(), (b) => this.apply(b), {
      onError: (e, h) => log(`care-team indexing failed at block ${h}: ${e.message}`),
    });
    await this.#follower.synced();
  }

  /** Waits (up to `ms`) until the index has the node's durable head. */
  async synced(ms = 2000): Promise<void> {
    const s = this.#follower?.synced();
    if (!s) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([s, new Promise<void>((r) => (timer = setTimeout(r, ms)))]).finally(() =>
      clearTimeout(timer),
    );
  }

  /** Applies one block's care-team changes (idempotent: a replayed block changes nothing). */
  apply(b: FeedBlock): void {
    if (b.height <= this.height()) return;
    const add = this.#db.prepare(
      'INSERT INTO care_team (doctor, patient, since) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
    );
    const remove = this.#db.prepare('DELETE FROM care_team WHERE doctor = ? AND patient = ?');
    this.#db.transaction(() => {
      for (const e of b.events) {
        if (e.type !== 'careteam.changed') continue;
        const patient = e.patient as string;
        for (const d of e.remove as string[]) remove.run(d, patient);
        for (const d of e.add as string[]) add.run(d, patient, b.block.header.time);
      }
      this.#db
        .prepare("INSERT INTO meta (k, v) VALUES ('height', ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v")
        .run(b.height);
    })();
  }

  /** The patients whose care team names `doctor`, most recent first. */
  patientsOf(doctor: string): CareTeamPatient[] {
    return this.#db
      .prepare<[string], CareTeamPatient>(
        'SELECT patient, since FROM care_team WHERE doctor = ? ORDER BY since DESC, patient',
      )
      .all(doctor);
  }

  async close(): Promise<void> {
    await this.#follower?.close();
    this.#db.close();
  }
}
