/**
 * Custody of patients' Paillier secret keys at their chosen organization's node (a patient who
 * published `keys.publish {he, heHolder: <org>}`). When the ledger accepts an insurer's
 * `he.claim`, the custodian releases that claim's total, sealed to the insurer (client
 * `releaseTotalTx`: it re-derives the aggregate from the items on the ledger and decrypts only
 * that). It offers no way to decrypt anything else: no route takes a ciphertext. A patient
 * who keeps his key himself runs `releaseTotalTx` on his device instead.
 *
 * It follows the feed of committed blocks from its cursor, like the emergency proxy: the
 * cursor passes a block once the totals it released for that block's claims have committed, so
 * a claim made while the custodian was down is answered when it starts. A claim the ledger
 * shows released already is skipped (and the contract refuses a second release).
 *
 * Threat model: the custodian sees every total it releases and could decrypt items if it
 * wanted (it holds the key): the patient trusts it as he would trust his own device. The
 * insurer never holds the key.
 */
import { EventEmitter } from 'node:events';
import { HeRefusal, Wallet, releaseTotalTx } from '@medledger/client';
import type { HeSecretKey } from '@medledger/crypto/he';
import { ckeys, type HeClaim } from '@medledger/core/contracts/confidentiality';
import type { FeedBlock, FeedCursor, Follower, LedgerView } from '../ledgerView.js';
import { memoryCursor } from '../feed/cursors.js';
import { nodeLedgerSource } from './source.js';

export class HeCustodianService extends EventEmitter {
  readonly #node: LedgerView;
  readonly #wallet: Wallet;
  readonly #keys = new Map<string, HeSecretKey>();
  readonly #cursor: FeedCursor;
  readonly #receiptWaitMs: number;
  #follower: Follower | undefined;

  /**
   * @param nodeKey PKCS#8 DER of this organization's node key.
   * @param o.cursor where it keeps its position in the feed (default: in memory, from genesis)
   */
  constructor(
    node: LedgerView,
    nodeKey: Uint8Array,
    o: { cursor?: FeedCursor; receiptWaitMs?: number } = {},
  ) {
    super();
    this.#node = node;
    this.#wallet = new Wallet({ signerId: `node:${node.org}`, privateKey: nodeKey });
    this.#cursor = o.cursor ?? memoryCursor();
    this.#receiptWaitMs = o.receiptWaitMs ?? 30_000;
  }

  /** Takes custody of a patient's HE secret key. */
  hold(patient: string, sk: HeSecretKey): void {
    this.#keys.set(patient, sk);
  }

  /** Releases the totals of claims committed after its cursor, then of each new one. */
  start(): this {
    this.#follower ??= this.#node.follow(this.#cursor.load(), (b) => this.#onBlock(b), {
      onError: (e) => {
        if (this.listenerCount('error') > 0) this.emit('error', e);
      },
    });
    return this;
  }

  /** Stops following the feed (after the block in hand). */
  async stop(): Promise<void> {
    const f = this.#follower;
    this.#follower = undefined;
    await f?.close();
  }

  async #onBlock(b: FeedBlock): Promise<void> {
    for (const e of b.events) {
      if (e.type !== 'he.claim.requested' || typeof e.claimId !== 'string' || typeof e.patient !== 'string')
        continue;
      const txId = await this.#release(e.claimId, e.patient);
      if (txId !== undefined && !(await this.#node.waitForReceipt(txId, this.#receiptWaitMs)))
        throw new Error(`the total ${txId} for claim ${e.claimId} did not commit in time`);
    }
    this.#cursor.save(b.height);
  }

  /** Releases one claim's total if this node holds the patient's key. */
  async release(claimId: string, patient: string): Promise<string | undefined> {
    try {
      return await this.#release(claimId, patient);
    } catch (e) {
      if (this.listenerCount('error') > 0) this.emit('error', e);
      return undefined;
    }
  }

  /** Like {@link release}, but an unexpected failure (not a refusal) throws. */
  async #release(claimId: string, patient: string): Promise<string | undefined> {
    const sk = this.#keys.get(patient);
    if (!sk) return undefined;
    const claim = this.#node.stateValue(ckeys.claim(claimId)) as HeClaim | undefined;
    if (claim !== undefined && claim.status !== 'requested') return undefined; // released already (a replay)
    let tx;
    try {
      tx = await releaseTotalTx(
        { wallet: this.#wallet, chainId: this.#node.chainId },
        nodeLedgerSource(this.#node),
        claimId,
        sk,
      );
    } catch (e) {
      if (!(e instanceof HeRefusal)) throw e;
      this.emit('refused', { claimId, code: e.code, message: e.message });
      return undefined;
    }
    const r = await this.#node.submit(tx);
    this.emit('released', { claimId, txId: r.txId });
    return r.txId;
  }
}
