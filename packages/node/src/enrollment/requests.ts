/**
 * Certificate requests a node keeps for its organization (`cert-requests.sqlite` in the node
 * directory): a member's PKCS#10 request (RFC 2986), whose self-signature the node checks on
 * arrival, waits here until the organization's administrators — who hold the root key, never
 * the node — issue a certificate for it and hand it back; the member then picks it up. The
 * node stores public material only: the request (a public key and what it asks for), the
 * member's X25519 public key and the certificate. A request's id is the SHA-256 of its DER, so
 * sending it twice keeps one row.
 *
 * Threat model: anyone may send a request (the member has no certificate yet), so the number
 * of pending requests is capped and each is size-limited by the route. The node cannot certify
 * anyone: a certificate it accepts back must verify under the organization's root key on the
 * ledger and name the request's key. The organization still identifies the person out of band
 * before it issues (crypto/src/csr.ts).
 */
import Database from 'better-sqlite3';
import {
  parseCertificate,
  parseCertificateRequest,
  sha256,
  toB64u,
  toHex,
  fromB64u,
  verifyCertificateIssuedBy,
  verifyCertificateRequest,
} from '@medledger/crypto';
import { LedgerError, getOrg, memberIdOf, type StateReader } from '@medledger/core';

/** A request as the node keeps it and the API serves it. */
export interface StoredCertificateRequest {
  id: string;
  org: string;
  status: 'pending' | 'issued';
  requested: { commonName: string; role: string; attributes: Record<string, string> };
  /** DER of the request, base64url. */
  csr: string;
  /** SPKI DER of the requester's key, base64url. */
  publicKey: string;
  encryptionKey?: string;
  receivedAt: number;
  certificate?: string;
  memberId?: string;
}

/** Options of {@link CertificateRequestStore.open}. */
export interface CertificateRequestStoreOptions {
  /** SQLite file (`cert-requests.sqlite` in the node directory). */
  path: string;
  /** The organization this node takes requests for. */
  org: string;
  /** The committed state (the organization's root key). */
  state: () => StateReader;
  /** At most this many pending requests (default 1000): anyone may send one. */
  maxPending?: number;
  now?: () => number;
}

const SCHEMA = `CREATE TABLE IF NOT EXISTS requests (
  id TEXT PRIMARY KEY,
  csr BLOB NOT NULL,
  encryption_key TEXT,
  received_at INTEGER NOT NULL,
  certificate BLOB
)`;

type Row = {
  id: string;
  csr: Buffer;
  encryption_key: string | null;
  received_at: number;
  certificate: Buffer | null;
};

/** The organization's certificate requests, durable in SQLite. */
export class CertificateRequestStore {
  readonly #db: Database.Database;
  readonly #o: CertificateRequestStoreOptions;

  private constructor(db: Database.Database, o: CertificateRequestStoreOptions) {
    this.#db = db;
    this.#o = o;
  }

  /** Opens (creating if needed) the store. */
  static open(o: CertificateRequestStoreOptions): CertificateRequestStore {
    const db = new Database(o.path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(SCHEMA);
    return new CertificateRequestStore(db, o);
  }

  close(): void {
    this.#db.close();
  }

  #ownOrg(org: string): void {
    if (org !== this.#o.org)
      throw new LedgerError(
        { code: 'WRONG_ORG', org },
        `this node takes certificate requests for ${this.#o.org} only; send yours to ${org}'s node`,
      );
  }

  /**
   * Keeps a request after checking it: a PKCS#10 request for this organization, signed by the
   * key it carries. Answers the kept request (and whether it is new).
   * @throws LedgerError CSR_INVALID (malformed, bad self-signature), WRONG_ORG, TOO_MANY_REQUESTS
   */
  async submit(
    org: string,
    csr: Uint8Array,
    encryptionKey?: string,
  ): Promise<{ created: boolean; request: StoredCertificateRequest }> {
    this.#ownOrg(org);
    let info;
    try {
      info = parseCertificateRequest(csr);
    } catch (e) {
      throw new LedgerError(
        { code: 'CSR_INVALID' },
        `not a medledger certificate request: ${(e as Error).message}`,
      );
    }
    if (!(await verifyCertificateRequest(csr)))
      throw new LedgerError(
        { code: 'CSR_INVALID' },
        'the certificate request is not signed by the key it carries (bad self-signature): it was altered or forged',
      );
    if (info.org !== org)
      throw new LedgerError(
        { code: 'WRONG_ORG', org: info.org },
        `the certificate request asks organization ${info.org}, but was sent to ${org}`,
      );
    const id = toHex(sha256(csr));
    const existing = this.get(org, id);
    if (existing) return { created: false, request: existing };
    const pending = (
      this.#db.prepare('SELECT count(*) AS n FROM requests WHERE certificate IS NULL').get() as {
        n: number;
      }
    ).n;
    if (pending >= (this.#o.maxPending ?? 1000))
      throw new LedgerError(
        { code: 'TOO_MANY_REQUESTS' },
        `${org} has ${pending} certificate requests waiting; try again once its administrators have answered them`,
      );
    this.#db
      .prepare('INSERT INTO requests (id, csr, encryption_key, received_at) VALUES (?, ?, ?, ?)')
      .run(id, Buffer.from(csr), encryptionKey ?? null, (this.#o.now ?? Date.now)());
    return { created: true, request: this.get(org, id)! };
  }

  /** A request, or undefined. */
  get(org: string, id: string): StoredCertificateRequest | undefined {
    this.#ownOrg(org);
    const row = this.#db.prepare('SELECT * FROM requests WHERE id = ?').get(id) as Row | undefined;
    return row && this.#view(row);
  }

  /** The requests of one status, oldest first (at most 500). */
  list(org: string, status: 'pending' | 'issued' = 'pending'): StoredCertificateRequest[] {
    this.#ownOrg(org);
    const where = status === 'pending' ? 'certificate IS NULL' : 'certificate IS NOT NULL';
    const rows = this.#db
      .prepare(`SELECT * FROM requests WHERE ${where} ORDER BY received_at, id LIMIT 500`)
      .all() as Row[];
    return rows.map((r) => this.#view(r));
  }

  /**
   * Keeps the certificate the organization issued for a request: it must verify under the
   * organization's root key on the ledger and certify the request's key.
   * @throws LedgerError NOT_FOUND, CERT_MISMATCH
   */
  issue(org: string, id: string, certificate: Uint8Array): StoredCertificateRequest {
    const row = this.#row(org, id);
    if (row.certificate !== null) {
      if (Buffer.compare(row.certificate, Buffer.from(certificate)) === 0) return this.#view(row);
      throw new LedgerError(
        { code: 'CONFLICT' },
        `certificate request ${id} was already answered with another certificate`,
      );
    }
    const requested = parseCertificateRequest(row.csr);
    let info;
    try {
      info = parseCertificate(certificate);
    } catch (e) {
      throw new LedgerError(
        { code: 'CERT_MISMATCH' },
        `not a medledger certificate: ${(e as Error).message}`,
      );
    }
    const root = getOrg(this.#o.state(), org)?.rootPublicKey;
    if (root === undefined || !verifyCertificateIssuedBy(certificate, fromB64u(root)))
      throw new LedgerError({ code: 'CERT_MISMATCH' }, `the certificate is not signed by ${org}'s root key`);
    if (info.org !== org || info.isCA)
      throw new LedgerError(
        { code: 'CERT_MISMATCH' },
        `the certificate is not a member certificate of ${org}`,
      );
    if (toB64u(info.publicKey) !== toB64u(requested.publicKey))
      throw new LedgerError(
        { code: 'CERT_MISMATCH' },
        'the certificate is for another key than the one in the request',
      );
    this.#db.prepare('UPDATE requests SET certificate = ? WHERE id = ?').run(Buffer.from(certificate), id);
    return this.get(org, id)!;
  }

  #row(org: string, id: string): Row {
    this.#ownOrg(org);
    const row = this.#db.prepare('SELECT * FROM requests WHERE id = ?').get(id) as Row | undefined;
    if (!row) throw new LedgerError({ code: 'NOT_FOUND' }, `no certificate request ${id} at ${org}`);
    return row;
  }

  #view(row: Row): StoredCertificateRequest {
    const info = parseCertificateRequest(row.csr);
    const cert = row.certificate ? new Uint8Array(row.certificate) : undefined;
    return {
      id: row.id,
      org: info.org,
      status: cert ? 'issued' : 'pending',
      requested: { commonName: info.commonName, role: info.role, attributes: info.attributes },
      csr: toB64u(new Uint8Array(row.csr)),
      publicKey: toB64u(info.publicKey),
      ...(row.encryption_key === null ? {} : { encryptionKey: row.encryption_key }),
      receivedAt: row.received_at,
      ...(cert ? { certificate: toB64u(cert), memberId: memberIdOf(cert) } : {}),
    };
  }
}
