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
 * Keys live in memory here; persisting them (sealed, like the node key) is the deployment's
 * job: `RevocationRegistry.toJson()` and the issuer key pair.
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
import { LedgerError, type MemberEntry, type SignedTx } from '@medledger/core';
import type { LedgerView } from '../ledgerView.js';
import { HttpError } from '../api/errors.js';
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
  readonly #issued = new Map<string, Uint8Array[]>();
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(o: CredentialIssuerOptions, keys: IssuerKeys, registry: RevocationRegistry) {
    this.#o = o;
    this.org = o.org;
    this.#keys = keys;
    this.publicKey = keys.publicKey;
    this.#registry = registry;
    this.#now = o.now ?? Date.now;
    this.#relay = new AnonymousRelay(o.node, o.nodeKey, this.#now, o.org);
  }

  /** Creates the service; generates issuer keys and an empty accumulator unless given. */
  static async create(o: CredentialIssuerOptions): Promise<CredentialIssuer> {
    const keys = o.keys ?? (await generateIssuerKeys());
    if (!(await isIssuerPublicKey(keys.publicKey))) throw new RangeError('issuer public key is not valid');
    return new CredentialIssuer(o, keys, o.registry ?? (await RevocationRegistry.create()));
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
      throw new HttpError('FORBIDDEN', `credentials of ${this.org} are issued to its own members`);
    if (member.revokedAt !== undefined) throw new HttpError('FORBIDDEN', 'member is revoked');
  }

  /**
   * Issues a credential to an authenticated member for its blind issuance request, adds the
   * credential id to the accumulator and publishes the update (waits for it to commit, so
   * the witness verifies against the ledger's value when this returns).
   * @throws HttpError FORBIDDEN (not a member of this org, unknown nonce), RangeError (bad proof)
   */
  issue(member: MemberEntry, nonce: Uint8Array, request: IssuanceRequest): Promise<IssuedToMember> {
    this.#eligible(member);
    const n = this.#nonces.get(toB64u(nonce));
    this.#nonces.delete(toB64u(nonce));
    if (!n || n.memberId !== member.id || n.expiresAt < this.#now())
      throw new HttpError('FORBIDDEN', 'unknown, expired or foreign issuance nonce');
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
      const { txId, seq } = await this.#publish([update]);
      const list = this.#issued.get(member.id) ?? [];
      list.push(credential.credentialId);
      this.#issued.set(member.id, list);
      return { credential, witness, seq, txId };
    });
  }

  /** Credential ids issued to a member (to revoke them when the member leaves). */
  credentialsOf(memberId: string): Uint8Array[] {
    return [...(this.#issued.get(memberId) ?? [])];
  }

  /** Revokes a credential: removes it from the accumulator and publishes the update. */
  revoke(credentialId: Uint8Array): Promise<{ txId: string; seq: number }> {
    return this.#serial(async () => this.#publish([await this.#registry.revoke(credentialId)]));
  }

  async #publish(updates: RevocationUpdate[]): Promise<{ txId: string; seq: number }> {
    const r = await this.#relay.submit(
      'anon.issuer.accumulator',
      { updates: updates.map(revocationUpdateToJson) },
      10_000,
    );
    if (r.receipt?.code !== 'OK')
      throw new LedgerError(
        { code: r.receipt?.code ?? 'TIMEOUT' },
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
