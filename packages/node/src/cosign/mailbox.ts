/**
 * The co-signing mailbox: where a DSS record that needs k of its n responsible doctors
 * (survey §6.1; core/src/records/quorumPolicy.ts) waits for its signatures. The proposer leaves
 * the transaction body and their own signature; the co-signers the body lists fetch it, review
 * the record and add theirs; once every listed signer has signed, the node assembles the
 * transaction and submits it like any other. Until then nothing is on the ledger.
 *
 * Threat model. The node holds no member key and never signs: every signature is checked on
 * arrival against the signer's enrolled key on the ledger, over the body's id, so a tampered
 * signature or body is refused at once, and the ledger checks them all again at admission. A
 * proposal is served only to its proposer and the co-signers it names. The mailbox is
 * off-ledger convenience: a node that loses or withholds a proposal delays a record, it cannot
 * forge one. A body expires with the ledger's transaction lifetime (`txTtlMs` after its
 * `createdAt`), and a body built on a patient's chain head that has moved since fails at
 * commit (CHAIN_CONFLICT): the proposer proposes again. Proposals are kept a week past their
 * expiry, then dropped.
 */
import Database from 'better-sqlite3';
import {
  LedgerError,
  getMember,
  parseTx,
  publicKeyObject,
  txIdOf,
  txSigningBytes,
  type MemberEntry,
  type SignedTx,
  type TxBody,
} from '@medledger/core';
import { fromB64u, verifyP256 } from '@medledger/crypto';
import type { LedgerView } from '../ledgerView.js';
import type { CosignProposal } from '@medledger/client';

/** A proposal as the mailbox serves it: the client's type of the route's answer. */
export type Proposal = CosignProposal;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS proposals (
  id TEXT PRIMARY KEY, proposer TEXT NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL, submitted_tx TEXT
) STRICT;
CREATE TABLE IF NOT EXISTS signers (
  id TEXT NOT NULL, member TEXT NOT NULL, sig TEXT, shown INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (id, member)
) STRICT;
CREATE INDEX IF NOT EXISTS signers_by_member ON signers (member, id);
`;

interface Row {
  id: string;
  proposer: string;
  body: string;
  created_at: number;
  expires_at: number;
  submitted_tx: string | null;
}

// A placeholder signature: the body's shape is checked by core's parseTx, which wants one
// signature per listed signer; the real signatures are checked by verifyP256 below.
const SHAPE_ONLY_SIG = 'A'.repeat(86);

/** How long a proposal stays listed after its body expired (its outcome stays readable). */
const KEEP_AFTER_EXPIRY_MS = 7 * 24 * 3600_000;

const invalid = (message: string): never => {
  throw new LedgerError({ code: 'MALFORMED_REQUEST' }, message);
};

/**
 * Options of {@link CosignMailbox.open}.
 */
export interface CosignMailboxOptions {
  /** `cosign.sqlite` in the node's data directory (`:memory:` in unit tests). */
  path: string;
  node: LedgerView;
  now?: () => number;
}

/**
 * @example
 * const box = CosignMailbox.open({ path: join(dir, 'cosign.sqlite'), node });
 * const p = box.propose(drA, { body, sig });       // drA signed; drB is listed
 * await box.sign(drB, p.id, sigOfB);               // submitted: p.txId
 */
export class CosignMailbox {
  readonly #db: Database.Database;
  readonly #node: LedgerView;
  readonly #now: () => number;

  private constructor(db: Database.Database, o: CosignMailboxOptions) {
    this.#db = db;
    this.#node = o.node;
    this.#now = o.now ?? Date.now;
  }

  static open(o: CosignMailboxOptions): CosignMailbox {
    const db = new Database(o.path);
    if (o.path !== ':memory:') {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
    }
    db.exec(SCHEMA);
    return new CosignMailbox(db, o);
  }

  /**
   * A responsible doctor proposes a co-signed `record.dss` with their own signature.
   * @throws LedgerError MALFORMED_TX (the body's field), MALFORMED_REQUEST (not a co-signed
   *   record, a signer that is not an enrolled member or not responsible), COSIGNATURE_INVALID,
   *   PROPOSAL_EXPIRED, CONFLICT (already proposed)
   */
  propose(member: MemberEntry, input: unknown): Proposal {
    const i = (typeof input === 'object' && input !== null ? input : {}) as { body?: unknown; sig?: unknown };
    const placeholder = Array.isArray((i.body as { signers?: unknown } | undefined)?.signers)
      ? ((i.body as { signers: unknown[] }).signers.map((s) => ({
          signer: s,
          sig: SHAPE_ONLY_SIG,
        })) as unknown[])
      : [];
    const body = parseTx({ body: i.body, signatures: placeholder }).body;
    if (body.chainId !== this.#node.chainId) invalid('body.chainId is not this ledger’s chain');
    if (body.type !== 'record.dss') invalid('only a DSS record (`record.dss`) is co-signed here');
    if (!body.signers.includes(member.id)) invalid('the proposer must be one of the body’s signers');
    if (body.signers.length < 2) invalid('a record with one signer needs no co-signature: submit it');
    const responsible = body.payload.responsible;
    for (const s of body.signers) {
      const m = getMember(this.#node.store, s);
      if (!m || m.revokedAt !== undefined) invalid(`signer ${s} is not an enrolled member`);
      if (!Array.isArray(responsible) || !responsible.includes(s))
        invalid(`signer ${s} is not among the record’s responsible doctors`);
    }
    this.#checkSig(member, body, i.sig);
    const expiresAt = body.createdAt + this.#node.genesis.params.txTtlMs;
    if (this.#now() >= expiresAt)
      throw new LedgerError({ code: 'PROPOSAL_EXPIRED' }, 'the body is older than the ledger accepts');
    const id = txIdOf(body);
    const created = this.#now();
    this.#db.transaction(() => {
      this.#prune(created);
      const r = this.#db
        .prepare(
          'INSERT INTO proposals (id, proposer, body, created_at, expires_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
        )
        .run(id, member.id, JSON.stringify(body), created, expiresAt);
      if (r.changes === 0) throw new LedgerError({ code: 'CONFLICT' }, 'this record is already proposed');
      const add = this.#db.prepare('INSERT INTO signers (id, member, sig) VALUES (?, ?, ?)');
      for (const s of body.signers) add.run(id, s, s === member.id ? (i.sig as string) : null);
      this.#db.prepare('UPDATE signers SET shown = 1 WHERE id = ? AND member = ?').run(id, member.id);
    })();
    return this.#proposal(this.#row(id)!);
  }

  /**
   * The proposals among `served` that `member` sees for the first time, marked as seen: a
   * proposal carries a patient's record in clear, so a co-signer's first view of it is a read of
   * the patient's data, which the route logs (once per co-signer, however often they look).
   */
  firstViews(member: MemberEntry, served: readonly Proposal[]): Proposal[] {
    const mark = this.#db.prepare('UPDATE signers SET shown = 1 WHERE id = ? AND member = ? AND shown = 0');
    return this.#db.transaction(() => served.filter((p) => mark.run(p.id, member.id).changes > 0))();
  }

  /** The proposals `member` made or is named in, newest first (at most 100). */
  list(member: MemberEntry): Proposal[] {
    return this.#db
      .prepare<[string], Row>(
        `SELECT p.* FROM proposals p JOIN signers s ON s.id = p.id WHERE s.member = ?
         ORDER BY p.created_at DESC LIMIT 100`,
      )
      .all(member.id)
      .map((r) => this.#proposal(r));
  }

  /**
   * One proposal, to its proposer and named co-signers.
   * @throws LedgerError NOT_FOUND, NOT_A_COSIGNER
   */
  get(member: MemberEntry, id: string): Proposal {
    return this.#proposal(this.#mine(member, id));
  }

  /**
   * A named co-signer adds their signature; once every listed signer has signed, the node
   * submits the transaction (the ledger decides; its receipt names the outcome).
   * @throws LedgerError NOT_FOUND, NOT_A_COSIGNER, COSIGNATURE_INVALID, PROPOSAL_EXPIRED,
   *   PROPOSAL_CLOSED, or the node's admission code when the assembled transaction is refused
   */
  async sign(member: MemberEntry, id: string, input: unknown): Promise<Proposal> {
    const row = this.#mine(member, id);
    const p = this.#proposal(row);
    if (p.status === 'submitted')
      throw new LedgerError({ code: 'PROPOSAL_CLOSED' }, 'this record was already submitted');
    if (p.status === 'expired')
      throw new LedgerError({ code: 'PROPOSAL_EXPIRED' }, 'this proposal expired: ask for a new one');
    const sig = typeof input === 'object' && input !== null ? (input as { sig?: unknown }).sig : undefined;
    this.#checkSig(member, p.body, sig);
    this.#db
      .prepare('UPDATE signers SET sig = ? WHERE id = ? AND member = ?')
      .run(sig as string, id, member.id);
    const sigs = this.#sigs(id);
    if (sigs.some((s) => s.sig === null)) return this.#proposal(row);
    const tx: SignedTx = {
      body: p.body,
      signatures: sigs.map((s) => ({ signer: s.member, sig: s.sig! })),
    };
    const r = await this.#node.submit(tx);
    this.#db.prepare('UPDATE proposals SET submitted_tx = ? WHERE id = ?').run(r.txId, id);
    return this.#proposal(this.#row(id)!);
  }

  close(): void {
    this.#db.close();
  }

  /** Drops proposals whose body expired more than {@link KEEP_AFTER_EXPIRY_MS} ago. */
  #prune(now: number): void {
    const old = `SELECT id FROM proposals WHERE expires_at < ?`;
    this.#db.prepare(`DELETE FROM signers WHERE id IN (${old})`).run(now - KEEP_AFTER_EXPIRY_MS);
    this.#db.prepare('DELETE FROM proposals WHERE expires_at < ?').run(now - KEEP_AFTER_EXPIRY_MS);
  }

  #checkSig(member: MemberEntry, body: TxBody, sig: unknown): void {
    let ok = false;
    if (typeof sig === 'string' && /^[A-Za-z0-9_-]{86}$/.test(sig))
      try {
        ok = verifyP256(publicKeyObject(member.publicKey), txSigningBytes(body), fromB64u(sig));
      } catch {
        ok = false;
      }
    if (!ok)
      throw new LedgerError(
        { code: 'COSIGNATURE_INVALID' },
        `the signature of ${member.id} does not verify over this record with their enrolled key`,
      );
  }

  #row(id: string): Row | undefined {
    return this.#db.prepare<[string], Row>('SELECT * FROM proposals WHERE id = ?').get(id);
  }

  #sigs(id: string): { member: string; sig: string | null }[] {
    return this.#db
      .prepare<[string], { member: string; sig: string | null }>(
        'SELECT member, sig FROM signers WHERE id = ? ORDER BY member',
      )
      .all(id);
  }

  #mine(member: MemberEntry, id: string): Row {
    const row = this.#row(id);
    if (!row) throw new LedgerError({ code: 'NOT_FOUND' }, 'no proposal with this id');
    if (!this.#sigs(id).some((s) => s.member === member.id))
      throw new LedgerError(
        { code: 'NOT_A_COSIGNER' },
        'only the proposer and the named co-signers may see or sign it',
      );
    return row;
  }

  #proposal(r: Row): Proposal {
    const sigs = this.#sigs(r.id);
    const status = r.submitted_tx !== null ? 'submitted' : this.#now() >= r.expires_at ? 'expired' : 'open';
    return {
      id: r.id,
      proposer: r.proposer,
      signers: sigs.map((s) => s.member),
      signed: sigs.filter((s) => s.sig !== null).map((s) => s.member),
      body: JSON.parse(r.body) as TxBody,
      status,
      expiresAt: r.expires_at,
      createdAt: r.created_at,
      ...(r.submitted_tx !== null ? { txId: r.submitted_tx } : {}),
    };
  }
}
