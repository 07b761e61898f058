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
 * Keys are in memory; persisting them sealed is the deployment's job (the crypto module has no
 * serialisation of the manager yet).
 */
import { fromB64u, toB64u } from '@medledger/crypto';
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
import type { Wallet } from '@medledger/client';
import { LedgerError, type MemberEntry, type SignedTx } from '@medledger/core';
import {
  GROUP_SUBMIT,
  anonymousMessage,
  unsignedPayload,
  type JsonObject,
} from '@medledger/core/contracts/anonymity/index';
import type { Receipt } from '@medledger/client';
import type { LedgerView } from '../ledgerView.js';
import { HttpError } from '../api/errors.js';
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
}

export class GroupManagerService {
  readonly groupId: string;
  readonly org: string;
  readonly #o: GroupManagerServiceOptions;
  readonly #gm: GroupManager;
  readonly #relay: AnonymousRelay;
  readonly #epochs = new Map<
    number,
    { gpk: GroupPublicKey; table: { id: string; A: GroupPublicKey['g1'] }[] }
  >();

  constructor(o: GroupManagerServiceOptions) {
    this.#o = o;
    this.groupId = o.groupId;
    this.org = o.org;
    this.#gm = GroupManager.create(o.groupId);
    this.#relay = new AnonymousRelay(o.node, o.nodeKey, o.now, o.org);
    this.#snapshot();
  }

  #snapshot(): void {
    this.#epochs.set(this.#gm.publicKey.epoch, { gpk: this.#gm.publicKey, table: this.#gm.memberTable() });
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
   * Issues the member key of an authenticated, eligible member (84 bytes, secret: send it
   * only over TLS to that member). Throws HttpError FORBIDDEN otherwise, CONFLICT if already
   * a member.
   */
  issueMemberKey(member: MemberEntry): Uint8Array {
    const ok = member.revokedAt === undefined && (this.#o.eligible?.(member) ?? member.org === this.org);
    if (!ok) throw new HttpError('FORBIDDEN', `member is not eligible for group ${this.groupId}`);
    let key;
    try {
      key = this.#gm.addMember(member.id);
    } catch {
      throw new HttpError('CONFLICT', 'already a member of this group');
    }
    this.#snapshot();
    return groupMemberKeyToBytes(key);
  }

  /** Revokes a member: advances the epoch and commits `anon.group.revoke` (signed by the node key). */
  async revoke(memberId: string, waitMs = 10_000): Promise<Receipt> {
    const r = this.#gm.revoke(memberId);
    this.#snapshot();
    const res = await this.#relay.submit(
      'anon.group.revoke',
      { groupId: this.groupId, revocation: toB64u(groupRevocationToBytes(r)) },
      waitMs,
    );
    if (res.receipt?.code !== 'OK')
      throw new LedgerError(
        { code: res.receipt?.code ?? 'TIMEOUT' },
        `revocation ${res.txId} did not commit`,
      );
    return res.receipt;
  }

  /**
   * Opens a committed group-signed transaction of this group: the member id, or null if the
   * signature opens to no member of its epoch.
   * @throws HttpError NOT_FOUND (no such transaction), NOT_GROUP_MANAGER (another group's)
   */
  open(txId: string): string | null {
    const t = this.#o.node.getTxWithProof(txId);
    if (!t || t.tx.body.type !== GROUP_SUBMIT || t.receipt.code !== 'OK')
      throw new HttpError('NOT_FOUND', `${txId} is not a committed group-signed transaction`);
    const payload = t.tx.body.payload as JsonObject & { groupId: string; epoch: number; signature: string };
    if (payload.groupId !== this.groupId)
      throw new HttpError(
        'NOT_GROUP_MANAGER',
        `this service manages ${this.groupId}, not ${payload.groupId}`,
      );
    const at = this.#epochs.get(payload.epoch);
    if (!at) return null;
    const sig = groupSignatureFromBytes(fromB64u(payload.signature));
    const msg = anonymousMessage(t.tx.body.chainId, GROUP_SUBMIT, unsignedPayload(payload));
    if (!groupVerify(at.gpk, msg, sig)) return null;
    return openWith(this.#gm.openingKey, at.table, sig);
  }
}
