/**
 * A group manager's service (BBS04, groupsig.ts), run by the managing organization's node:
 * issues member keys to eligible members (authenticated by name: the manager must know who
 * is in the group to open and to revoke), registers the group on the ledger, revokes members
 * with a ledger transaction (key update), and opens group-signed transactions off the ledger.
 *
 * It keeps, per epoch, the group key and the member table (id, A), so it can still open a
 * signature made before a revocation. Only this service holds the opening key: any other
 * party, including other nodes and the group's members, cannot open (openWith with another
 * key finds no member). The issuing key (gamma) can sign in any member's name (BBS04 has no
 * non-frameability), so an opening is evidence against the manager's word, not a proof.
 * A member key goes to the member sealed to its enrolled X25519 key (HPKE, RFC 9180), never in
 * clear. With `persist`, every change (a member added, a revocation) is handed to the caller
 * before it takes effect outside (groupState.ts: the node seals it in services.sqlite), so a
 * restarted manager still opens old signatures and a revoked member cannot join again.
 */
import { envelopeToJson, fromB64u, sealEnvelope, toB64u, type EnvelopeJson } from '@medledger/crypto';
import {
  GroupManager,
  groupMemberKeyToBytes,
  groupPublicKeyToBytes,
  groupRevocationToBytes,
  groupSignatureFromBytes,
  groupVerify,
  openWith,
  type GroupPublicKey,
} from '@medledger/crypto/groupsig';
import { groupKeyAad, type Wallet } from '@medledger/client';
import { LedgerError, type MemberEntry, type SignedTx, rejectionCode } from '@medledger/core';
import {
  GROUP_SUBMIT,
  anonKeys,
  anonymousMessage,
  unsignedPayload,
  type JsonObject,
} from '@medledger/core/contracts/anonymity';
import type { Receipt } from '@medledger/client';
import type { LedgerView } from '../ledgerView.js';
import { AnonymousRelay } from './relay.js';

export interface GroupManagerServiceOptions {
  node: LedgerView;
  /** The managing organization. */
  org: string;
  /** PKCS#8 DER of the managing organization's node key (signs revocations). */
  nodeKey: Uint8Array;
  groupId: string;
  /** Who may join (default: any non-revoked member of the managing organization). */
  eligible?: (member: MemberEntry) => boolean;
  now?: () => number;
  /** A restored manager and its history (groupState.ts); default a new group. */
  restored?: GroupServiceState;
  /** Called with the whole state after each change, before the change is visible outside. */
  persist?: (state: GroupServiceState) => void;
}

/** A group manager service's state: the manager, past epochs, revoked members, revocations. */
export interface GroupServiceState {
  manager: GroupManager;
  epochs: Map<number, { gpk: GroupPublicKey; table: { id: string; A: GroupPublicKey['g1'] }[] }>;
  /** Member ids revoked from the group: they never join again. */
  revoked: Set<string>;
  /** `groupRevocationToBytes` of each revocation, by the epoch it ends. */
  revocations: Map<number, Uint8Array>;
}

export class GroupManagerService {
  readonly groupId: string;
  readonly org: string;
  readonly #o: GroupManagerServiceOptions;
  readonly #gm: GroupManager;
  readonly #relay: AnonymousRelay;
  readonly #state: GroupServiceState;

  constructor(o: GroupManagerServiceOptions) {
    this.#o = o;
    this.groupId = o.groupId;
    this.org = o.org;
    this.#state = o.restored ?? {
      manager: GroupManager.create(o.groupId),
      epochs: new Map(),
      revoked: new Set(),
      revocations: new Map(),
    };
    this.#gm = this.#state.manager;
    this.#relay = new AnonymousRelay(o.node, o.nodeKey, o.now, o.org);
    if (!o.restored) this.#snapshot();
  }

  #snapshot(): void {
    this.#state.epochs.set(this.#gm.publicKey.epoch, {
      gpk: this.#gm.publicKey,
      table: this.#gm.memberTable(),
    });
    this.#o.persist?.(this.#state);
  }

  /** True if the member was revoked from this group. */
  isRevoked(memberId: string): boolean {
    return this.#state.revoked.has(memberId);
  }

  /** Number of current members. */
  get size(): number {
    return this.#gm.size;
  }

  /** The current group public key. */
  get publicKey(): GroupPublicKey {
    return this.#gm.publicKey;
  }

  /** The `anon.group.register` transaction, signed by the managing organization's root key. */
  registrationTx(orgWallet: Wallet, description: string, createdAt = Date.now()): SignedTx {
    if (orgWallet.signerId !== `org:${this.org}`) throw new RangeError(`sign with org:${this.org}`);
    return orgWallet.tx({
      chainId: this.#o.node.chainId,
      type: 'anon.group.register',
      payload: {
        groupId: this.groupId,
        publicKey: toB64u(groupPublicKeyToBytes(this.publicKey)),
        description,
      },
      createdAt,
    });
  }

  /**
   * Issues the member key of an authenticated, eligible member, sealed to the member's
   * enrolled encryption key (AAD {@link groupKeyAad}): only the member opens it.
   * @throws LedgerError FORBIDDEN (not eligible), CONFLICT (already a member); LedgerError
   *   GROUP_MEMBER_REVOKED (revoked from this group), NO_ENCRYPTION_KEY
   */
  async issueSealedMemberKey(member: MemberEntry): Promise<{ epoch: number; sealed: EnvelopeJson }> {
    if (member.encryptionKey === undefined)
      throw new LedgerError(
        { code: 'NO_ENCRYPTION_KEY', memberId: member.id },
        'enroll an encryption key to receive a group member key',
      );
    const receiver = { id: member.id, publicKey: fromB64u(member.encryptionKey) };
    const key = this.issueMemberKey(member);
    const sealed = await sealEnvelope({
      plaintext: key,
      receivers: [receiver],
      aad: groupKeyAad(this.groupId),
    });
    key.fill(0);
    return { epoch: this.publicKey.epoch, sealed: envelopeToJson(sealed) };
  }

  /**
   * Issues the member key of an authenticated, eligible member (84 bytes, secret): in-process
   * callers only; the API hands it out sealed ({@link issueSealedMemberKey}). Throws LedgerError
   * FORBIDDEN otherwise, CONFLICT if already a member, LedgerError GROUP_MEMBER_REVOKED.
   */
  issueMemberKey(member: MemberEntry): Uint8Array {
    const ok = member.revokedAt === undefined && (this.#o.eligible?.(member) ?? member.org === this.org);
    if (!ok) throw new LedgerError({ code: 'FORBIDDEN' }, `member is not eligible for group ${this.groupId}`);
    if (this.#state.revoked.has(member.id))
      throw new LedgerError(
        { code: 'GROUP_MEMBER_REVOKED', groupId: this.groupId },
        `this member was revoked from group ${this.groupId}`,
      );
    let key;
    try {
      key = this.#gm.addMember(member.id);
    } catch {
      throw new LedgerError({ code: 'CONFLICT' }, 'already a member of this group');
    }
    this.#snapshot();
    return groupMemberKeyToBytes(key);
  }

  /** Revokes a member: advances the epoch and commits `anon.group.revoke` (signed by the node key). */
  async revoke(memberId: string, waitMs = 10_000): Promise<Receipt> {
    let r;
    try {
      r = this.#gm.revoke(memberId);
    } catch {
      throw new LedgerError({ code: 'NOT_FOUND', memberId }, `not a current member of group ${this.groupId}`);
    }
    this.#state.revoked.add(memberId);
    this.#state.revocations.set(r.epoch, groupRevocationToBytes(r));
    this.#snapshot();
    return this.#publishRevocation(r.epoch, waitMs);
  }

  /**
   * Publishes the revocations the manager made that the ledger does not show yet (a node that
   * stopped between a revocation and its commit), oldest first. Returns how many it published.
   */
  async publishPending(waitMs = 10_000): Promise<number> {
    const onLedger = (this.#o.node.stateValue(anonKeys.group(this.groupId)) as { epoch: number } | undefined)
      ?.epoch;
    if (onLedger === undefined) return 0;
    let n = 0;
    for (let e = onLedger; e < this.publicKey.epoch; e++) {
      await this.#publishRevocation(e, waitMs);
      n++;
    }
    return n;
  }

  async #publishRevocation(epoch: number, waitMs: number): Promise<Receipt> {
    const bytes = this.#state.revocations.get(epoch);
    if (!bytes) throw new LedgerError({ code: 'NOT_FOUND', epoch }, `no revocation of epoch ${epoch} kept`);
    const res = await this.#relay.submit(
      'anon.group.revoke',
      { groupId: this.groupId, revocation: toB64u(bytes) },
      waitMs,
    );
    if (res.receipt?.code !== 'OK')
      throw new LedgerError(
        { code: rejectionCode(res.receipt?.code ?? 'TIMEOUT') },
        `revocation ${res.txId} did not commit`,
      );
    return res.receipt;
  }

  /**
   * Opens a committed group-signed transaction of this group: the member id, or null if the
   * signature opens to no member of its epoch.
   * @throws LedgerError NOT_FOUND (no such transaction), NOT_GROUP_MANAGER (another group's)
   */
  open(txId: string): string | null {
    const t = this.#o.node.getTxWithProof(txId);
    if (!t || t.tx.body.type !== GROUP_SUBMIT || t.receipt.code !== 'OK')
      throw new LedgerError({ code: 'NOT_FOUND' }, `${txId} is not a committed group-signed transaction`);
    const payload = t.tx.body.payload as JsonObject & { groupId: string; epoch: number; signature: string };
    if (payload.groupId !== this.groupId)
      throw new LedgerError(
        { code: 'NOT_GROUP_MANAGER' },
        `this service manages ${this.groupId}, not ${payload.groupId}`,
      );
    const at = this.#state.epochs.get(payload.epoch);
    if (!at) return null;
    const sig = groupSignatureFromBytes(fromB64u(payload.signature));
    const msg = anonymousMessage(t.tx.body.chainId, GROUP_SUBMIT, unsignedPayload(payload));
    if (!groupVerify(at.gpk, msg, sig)) return null;
    return openWith(this.#gm.openingKey, at.table, sig);
  }
}
