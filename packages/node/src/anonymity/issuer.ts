/**
 * An organization's anonymous-credential issuing service, run by its node. It holds the BBS
 * issuer secret key and the revocation accumulator (VB) with its secret key, off the ledger;
 * the public key and every accumulator update are on the ledger (`anon.issuer.register`,
 * `anon.issuer.accumulator`), so every node verifies presentations against the same
 * accumulator value at a given height, and holders update their witnesses from the ledger.
 *
 * Issuance is named: the member authenticates with its ledger key (signed request), the
 * issuer signs the attributes the ledger says it has (role, organization; expiry no later than
 * the member certificate) plus those `attributesOf` adds (e.g. a birth date from the
 * organization's own registry), blind over the member's holder secret. The issuer therefore
 * knows which credential id it gave to whom (it needs that to revoke), but presentations never
 * show the id, and it cannot compute the member's pseudonyms.
 *
 * With `persist`, the issuer hands its whole state (keys, accumulator, the register of issued
 * credentials, revoked members, updates not yet committed) to the caller before an update
 * leaves for the ledger (issuerState.ts; the node seals it in services.sqlite), and
 * {@link CredentialIssuer.publishPending} re-sends, after a restart, an update the ledger
 * never committed — the accumulator on the ledger and the issuer's never part ways.
 */
import {
  RevocationRegistry,
  generateIssuerKeys,
  isIssuerPublicKey,
  issueCredential,
  revocationUpdateToJson,
  type AttributeValue,
  type IssuanceRequest,
  type IssuedCredential,
  type IssuerKeys,
  type RevocationUpdate,
} from '@medledger/crypto/credentials';
import { randomBytes, toB64u } from '@medledger/crypto';
import type { Wallet } from '@medledger/client';
import { LedgerError, type MemberEntry, type SignedTx, rejectionCode } from '@medledger/core';
import type { LedgerView } from '../ledgerView.js';
import { AnonymousRelay } from './relay.js';

const DAY = 86_400_000;
const NONCE_TTL_MS = 5 * 60_000;

export interface CredentialIssuerOptions {
  node: LedgerView;
  /** The issuing organization. */
  org: string;
  /** PKCS#8 DER of that organization's node key (signs accumulator updates). */
  nodeKey: Uint8Array;
  keys?: IssuerKeys;
  registry?: RevocationRegistry;
  /** Longest validity of a credential (default 365 days); never past the member certificate. */
  validityMs?: number;
  /** Extra attributes of a member's credential (strings, or non-negative integers; dates YYYYMMDD). */
  attributesOf?: (member: MemberEntry) => Record<string, AttributeValue> | undefined;
  now?: () => number;
  /** Restored register: credential ids issued per member, revoked members, unconfirmed updates. */
  restored?: Pick<IssuerState, 'issued' | 'revokedMembers' | 'pending'>;
  /** Called with the whole state after each change, before the change leaves for the ledger. */
  persist?: (state: IssuerState) => void;
}

/** A credential issuer's state (secret: keys and accumulator secret). */
export interface IssuerState {
  keys: IssuerKeys;
  registry: RevocationRegistry;
  /** Credential ids issued, per member id. */
  issued: Map<string, Uint8Array[]>;
  /** Members revoked by {@link CredentialIssuer.revokeMember}: never issued a credential again. */
  revokedMembers: Set<string>;
  /** Accumulator updates made but not yet seen committed, oldest first. */
  pending: RevocationUpdate[];
}

/** What a member receives: the issued credential, its accumulator witness and the update count. */
export interface IssuedToMember {
  credential: IssuedCredential;
  witness: Uint8Array;
  /** Number of accumulator updates on the ledger including this one: replay updates from here. */
  seq: number;
  txId: string;
}

export class CredentialIssuer {
  readonly org: string;
  readonly publicKey: Uint8Array;
  readonly #o: CredentialIssuerOptions;
  readonly #keys: IssuerKeys;
  readonly #registry: RevocationRegistry;
  readonly #relay: AnonymousRelay;
  readonly #now: () => number;
  readonly #nonces = new Map<string, { memberId: string; expiresAt: number }>();
  readonly #issued: Map<string, Uint8Array[]>;
  readonly #revokedMembers: Set<string>;
  #pending: RevocationUpdate[];
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(o: CredentialIssuerOptions, keys: IssuerKeys, registry: RevocationRegistry) {
    this.#o = o;
    this.org = o.org;
    this.#keys = keys;
    this.publicKey = keys.publicKey;
    this.#registry = registry;
    this.#issued = o.restored?.issued ?? new Map();
    this.#revokedMembers = o.restored?.revokedMembers ?? new Set();
    this.#pending = o.restored?.pending ?? [];
    this.#now = o.now ?? Date.now;
    this.#relay = new AnonymousRelay(o.node, o.nodeKey, this.#now, o.org);
  }

  /** Creates the service; generates issuer keys and an empty accumulator unless given. */
  static async create(o: CredentialIssuerOptions): Promise<CredentialIssuer> {
    const keys = o.keys ?? (await generateIssuerKeys());
    if (!(await isIssuerPublicKey(keys.publicKey))) throw new RangeError('issuer public key is not valid');
    return new CredentialIssuer(o, keys, o.registry ?? (await RevocationRegistry.create()));
  }

  /** The accumulator's public key and current value (what registration publishes). */
  accumulatorStatus(): { publicKey: Uint8Array; accumulated: Uint8Array } {
    return this.#registry.status();
  }

  /** The `anon.issuer.register` transaction, signed by the organization root key wallet. */
  registrationTx(orgWallet: Wallet): SignedTx {
    if (orgWallet.signerId !== `org:${this.org}`) throw new RangeError(`sign with org:${this.org}`);
    const status = this.#registry.status();
    return orgWallet.tx({
      chainId: this.#o.node.chainId,
      type: 'anon.issuer.register',
      payload: {
        publicKey: toB64u(this.publicKey),
        accumulatorPublicKey: toB64u(status.publicKey),
        accumulated: toB64u(status.accumulated),
      },
      createdAt: this.#now(),
    });
  }

  /** A one-time issuance nonce for an authenticated member of this organization. */
  nonce(member: MemberEntry): Uint8Array {
    this.#eligible(member);
    const now = this.#now();
    for (const [k, v] of this.#nonces) if (v.expiresAt < now) this.#nonces.delete(k);
    const n = randomBytes(32);
    this.#nonces.set(toB64u(n), { memberId: member.id, expiresAt: now + NONCE_TTL_MS });
    return n;
  }

  #eligible(member: MemberEntry): void {
    if (member.org !== this.org)
      throw new LedgerError(
        { code: 'FORBIDDEN' },
        `credentials of ${this.org} are issued to its own members`,
      );
    if (member.revokedAt !== undefined) throw new LedgerError({ code: 'FORBIDDEN' }, 'member is revoked');
    if (this.#revokedMembers.has(member.id))
      throw new LedgerError(
        { code: 'CREDENTIAL_REVOKED', memberId: member.id },
        `${this.org} revoked this member's credentials`,
      );
  }

  #persist(): void {
    this.#o.persist?.({
      keys: this.#keys,
      registry: this.#registry,
      issued: this.#issued,
      revokedMembers: this.#revokedMembers,
      pending: this.#pending,
    });
  }

  /**
   * Issues a credential to an authenticated member for its blind issuance request, adds the
   * credential id to the accumulator and publishes the update (waits for it to commit, so
   * the witness verifies against the ledger's value when this returns).
   * @throws LedgerError FORBIDDEN (not a member of this org, unknown nonce), RangeError (bad proof)
   */
  issue(member: MemberEntry, nonce: Uint8Array, request: IssuanceRequest): Promise<IssuedToMember> {
    this.#eligible(member);
    const n = this.#nonces.get(toB64u(nonce));
    this.#nonces.delete(toB64u(nonce));
    if (!n || n.memberId !== member.id || n.expiresAt < this.#now())
      throw new LedgerError({ code: 'FORBIDDEN' }, 'unknown, expired or foreign issuance nonce');
    return this.#serial(async () => {
      const now = this.#now();
      const expiresAt = Math.min(member.notAfter, now + (this.#o.validityMs ?? 365 * DAY));
      const credential = await issueCredential({
        issuerSecretKey: this.#keys.secretKey,
        request,
        issuerNonce: nonce,
        role: member.role,
        organization: this.org,
        expiresAt,
        attributes: this.#o.attributesOf?.(member) ?? {},
      });
      const { witness, update } = await this.#registry.add(credential.credentialId);
      const list = this.#issued.get(member.id) ?? [];
      list.push(credential.credentialId);
      this.#issued.set(member.id, list);
      this.#pending.push(update);
      this.#persist();
      const { txId, seq } = await this.#publishPending();
      return { credential, witness, seq, txId: txId ?? '' };
    });
  }

  /** Credential ids issued to a member (to revoke them when the member leaves). */
  credentialsOf(memberId: string): Uint8Array[] {
    return [...(this.#issued.get(memberId) ?? [])];
  }

  /** Revokes a credential: removes it from the accumulator and publishes the update. */
  revoke(credentialId: Uint8Array): Promise<{ txId?: string; seq: number }> {
    return this.#serial(async () => {
      this.#pending.push(await this.#registry.revoke(credentialId));
      this.#persist();
      return this.#publishPending();
    });
  }

  /**
   * Revokes every credential issued to a member and refuses the member new ones (also after a
   * restart). Returns how many credentials it revoked.
   */
  revokeMember(memberId: string): Promise<{ revoked: number; txId?: string; seq: number }> {
    return this.#serial(async () => {
      this.#revokedMembers.add(memberId);
      let revoked = 0;
      for (const id of this.#issued.get(memberId) ?? [])
        if (this.#registry.has(id)) {
          this.#pending.push(await this.#registry.revoke(id));
          revoked++;
        }
      this.#persist();
      return { revoked, ...(await this.#publishPending()) };
    });
  }

  /** True if the member's credentials were revoked. */
  isRevokedMember(memberId: string): boolean {
    return this.#revokedMembers.has(memberId);
  }

  /**
   * Publishes the accumulator updates not yet committed (after a restart: those a stopped node
   * made but the ledger never took), dropping those the ledger already shows.
   */
  publishPendingUpdates(): Promise<number> {
    return this.#serial(async () => {
      const n = this.#pending.length;
      if (n > 0) await this.#publishPending();
      return n;
    });
  }

  #seq(): number {
    return (this.#o.node.stateValue(`anon:issuer:${this.org}`) as { seq: number } | undefined)?.seq ?? 0;
  }

  /**
   * Publishes the pending updates from the one that chains from the ledger's value (earlier
   * ones committed before a restart); keeps them all if the ledger refuses them.
   */
  async #publishPending(): Promise<{ txId?: string; seq: number }> {
    const acc = (this.#o.node.stateValue(`anon:issuer:${this.org}`) as { accumulated: string } | undefined)
      ?.accumulated;
    const last = this.#pending.at(-1);
    const from = this.#pending.findIndex((u) => toB64u(u.before) === acc);
    if (from > 0) this.#pending.splice(0, from);
    else if (from < 0 && last !== undefined && toB64u(last.after) === acc) this.#pending = [];
    if (this.#pending.length === 0) {
      this.#persist();
      return { seq: this.#seq() };
    }
    const r = await this.#publish(this.#pending);
    this.#pending = [];
    this.#persist();
    return r;
  }

  async #publish(updates: RevocationUpdate[]): Promise<{ txId: string; seq: number }> {
    const r = await this.#relay.submit(
      'anon.issuer.accumulator',
      { updates: updates.map(revocationUpdateToJson) },
      10_000,
    );
    if (r.receipt?.code !== 'OK')
      throw new LedgerError(
        { code: rejectionCode(r.receipt?.code ?? 'TIMEOUT') },
        `accumulator update ${r.txId} did not commit (${r.receipt?.message ?? 'no receipt'})`,
      );
    const entry = this.#o.node.stateValue(`anon:issuer:${this.org}`) as { seq: number } | undefined;
    return { txId: r.txId, seq: entry?.seq ?? 0 };
  }

  #serial<T>(f: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(f, f);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
