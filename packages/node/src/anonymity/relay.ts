/**
 * The node as relay and attester of anonymous transactions. Group-signed, ring-signed and
 * predicate-proven transactions carry their own anonymous authorisation; the node wraps them
 * in a transaction signed by its node key (`node:<org>`), so the core's P-256 pipeline is
 * unchanged and the ledger learns only "relayed by node N". Before relaying, the node runs the
 * transaction's contract against its current state (a dry run on a throw-away overlay), so a
 * forged or stale anonymous transaction is refused at the door with the contract's own code
 * instead of taking a slot in a block; the contract runs again, authoritatively, at commit.
 *
 * Threat model: the relay sees the anonymous payload and the network address it came from;
 * it cannot tell which member signed it (that is the point) but could drop or delay it. A
 * member who distrusts one node relays through another. Relaying is not rate-limited here.
 */
import { Wallet } from '@medledger/client';
import {
  LedgerError,
  StateOverlay,
  resolveSigner,
  txIdOf,
  type SignedTx,
  rejectionCode,
  type TxType,
} from '@medledger/core';
import type { JsonValue } from '@medledger/crypto';
import type { Receipt } from '@medledger/client';
import type { LedgerView } from '../ledgerView.js';

/** Transaction types a node relays for anonymous authors. */
export const RELAYED_TYPES: readonly TxType[] = ['anon.group.submit', 'anon.ring.submit'];

export interface RelayResult {
  txId: string;
  receipt?: Receipt;
}

export class AnonymousRelay {
  readonly wallet: Wallet;
  readonly #node: LedgerView;
  readonly #now: () => number;

  /**
   * @param nodeKey PKCS#8 DER of the node key of `org` (the relaying organization).
   * @param org defaults to the node's organization.
   */
  constructor(node: LedgerView, nodeKey: Uint8Array, now: () => number = Date.now, org: string = node.org) {
    this.#node = node;
    this.#now = now;
    this.wallet = new Wallet({ signerId: `node:${org}`, privateKey: nodeKey });
  }

  /** Builds the node-signed transaction for a payload. */
  build(type: TxType, payload: { [k: string]: JsonValue }): SignedTx {
    return this.wallet.txFromJson({ chainId: this.#node.chainId, type, payload, createdAt: this.#now() });
  }

  /**
   * Runs the contract of `tx` against the current state without keeping its writes.
   * @throws LedgerError with the contract's code (e.g. BAD_GROUP_SIGNATURE, KEY_IMAGE_USED).
   */
  dryRun(tx: SignedTx): void {
    const node = this.#node;
    const contract = node.contracts.get(tx.body.type);
    if (!contract) throw new LedgerError({ code: 'UNKNOWN_TYPE' }, `no contract for ${tx.body.type}`);
    const payload = contract.parse(tx.body.payload);
    const signer = resolveSigner(node.store, this.wallet.signerId);
    if (!signer)
      throw new LedgerError({ code: 'UNKNOWN_SIGNER' }, `${this.wallet.signerId} is not in genesis`);
    const r = contract.execute(
      {
        state: new StateOverlay(node.store),
        tx,
        txId: txIdOf(tx.body),
        signers: [signer],
        height: node.head().height + 1,
        time: Math.max(this.#now(), node.head().time),
        index: 0,
        params: node.genesis.params,
        emit: () => undefined,
      },
      payload,
    );
    if (r.code !== 'OK')
      throw new LedgerError({ code: rejectionCode(r.code) }, 'message' in r ? r.message : r.code);
  }

  /** Dry-runs, signs and submits; waits up to `waitMs` for the receipt. */
  async submit(type: TxType, payload: { [k: string]: JsonValue }, waitMs = 0): Promise<RelayResult> {
    const tx = this.build(type, payload);
    this.dryRun(tx);
    const r = await this.#node.submit(tx);
    if (r.status === 'committed') return { txId: r.txId, receipt: r.receipt };
    const receipt = waitMs > 0 ? await this.#node.waitForReceipt(r.txId, waitMs) : undefined;
    return receipt ? { txId: r.txId, receipt } : { txId: r.txId };
  }

  /** {@link submit} for the anonymous types a node relays for anyone ({@link RELAYED_TYPES}). */
  relay(type: string, payload: unknown, waitMs = 0): Promise<RelayResult> {
    if (!(RELAYED_TYPES as readonly string[]).includes(type))
      throw new LedgerError(
        { code: 'MALFORMED_REQUEST' },
        `this node relays only ${RELAYED_TYPES.join(', ')}`,
      );
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
      throw new LedgerError({ code: 'MALFORMED_REQUEST' }, 'payload must be an object');
    return this.submit(type as TxType, payload as { [k: string]: JsonValue }, waitMs);
  }
}
