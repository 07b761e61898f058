/**
 * The node's emergency proxy (threshold PRE, Umbral): when an allowed `emergency.request`
 * names a set-up in which this organization's node (`node:<org>`) holds a kfrag, the service
 * opens its sealed kfrag with the node's proxy X25519 key, re-encrypts the record's capsule
 * (client `proxyReencryptTx`: refuses denied requests and revoked kfrags, verifies the kfrag)
 * and posts the cfrag signed with the node key. It sees the capsule only, never the record.
 *
 * It follows the feed of committed blocks from its cursor, and saves the cursor past a block
 * only once the cfrags it posted for that block's requests have committed: a request committed
 * while the proxy was down, or answered by a transaction a crash lost, is answered when it
 * starts again. Replays are harmless: it skips a request the ledger shows it answered already
 * (or one past the re-encryption window), and the contract refuses a second cfrag of a kfrag.
 *
 * Events: 'cfrag' ({requestId, txId}), 'refused' ({requestId, code, message}), 'error'.
 * Key custody: the X25519 private key and the node key live in this process, like the node key
 * that signs blocks; whoever controls the node process controls this proxy's share.
 */
import { EventEmitter } from 'node:events';
import type { EncryptionKeyPair, JsonValue } from '@medledger/crypto';
import { EmergencyRefusal, Wallet, proxyReencryptTx, publishKeysTx } from '@medledger/client';
import type { SignedTx } from '@medledger/core';
import {
  EMERGENCY_WINDOW_MS,
  ckeys,
  type EmergencyRequest,
  type EmergencySetup,
} from '@medledger/core/contracts/confidentiality';
import type { FeedBlock, FeedCursor, Follower, LedgerView } from '../ledgerView.js';
import { memoryCursor } from '../feed/cursors.js';
import { nodeLedgerSource } from './source.js';

export interface EmergencyProxyOptions {
  /** PKCS#8 DER of the node key (the one listed in genesis for this organization). */
  nodeKey: Uint8Array;
  /** The proxy's X25519 key pair; publish its public key with `publishKeyTx()`. */
  encryption: EncryptionKeyPair;
  /** Where it keeps its position in the feed (default: in memory, from genesis). */
  cursor?: FeedCursor;
  /** How long to wait for a posted cfrag to commit before trying the block again (30 s). */
  receiptWaitMs?: number;
}

export class EmergencyProxyService extends EventEmitter {
  readonly id: string;
  readonly #node: LedgerView;
  readonly #wallet: Wallet;
  readonly #enc: EncryptionKeyPair;
  readonly #cursor: FeedCursor;
  readonly #receiptWaitMs: number;
  #follower: Follower | undefined;

  constructor(node: LedgerView, o: EmergencyProxyOptions) {
    super();
    this.#node = node;
    this.id = `node:${node.org}`;
    this.#wallet = new Wallet({ signerId: this.id, privateKey: o.nodeKey });
    this.#enc = o.encryption;
    this.#cursor = o.cursor ?? memoryCursor();
    this.#receiptWaitMs = o.receiptWaitMs ?? 30_000;
  }

  /** The X25519 public key patients seal this proxy's kfrags to. */
  get encryptionPublicKey(): Uint8Array {
    return this.#enc.publicKey;
  }

  /** `keys.publish {x25519}` signed by the node key: patients seal kfrags to it. */
  publishKeyTx(): SignedTx {
    return publishKeysTx(
      { wallet: this.#wallet, chainId: this.#node.chainId },
      { x25519: this.#enc.publicKey },
    );
  }

  /** Answers every allowed emergency request committed after its cursor, then each new one. */
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

  /** Resolves once every durable block has been handled (its cfrags committed). */
  async synced(): Promise<void> {
    await this.#follower?.synced();
  }

  async #onBlock(b: FeedBlock): Promise<void> {
    for (const e of b.events) {
      if (e.type !== 'emergency.requested' || e.allow !== true || typeof e.requestId !== 'string') continue;
      const txId = await this.#answer(e.requestId);
      if (txId === undefined) continue;
      // The cursor passes this block only once the answer is on the ledger: a crash before
      // that answers again after the restart.
      if (!(await this.#node.waitForReceipt(txId, this.#receiptWaitMs)))
        throw new Error(`the cfrag ${txId} for request ${e.requestId} did not commit in time`);
    }
    this.#cursor.save(b.height);
  }

  /**
   * Answers one request if this node is one of its set-up's proxies.
   * @returns the cfrag transaction id, or undefined if this node is not a proxy or refused.
   */
  async answer(requestId: string): Promise<string | undefined> {
    try {
      return await this.#answer(requestId);
    } catch (e) {
      if (this.listenerCount('error') > 0) this.emit('error', e);
      return undefined;
    }
  }

  /** Like {@link answer}, but an unexpected failure (not a refusal) throws. */
  async #answer(requestId: string): Promise<string | undefined> {
    const req = this.#node.stateValue(ckeys.request(requestId)) as EmergencyRequest | undefined;
    const setup =
      req === undefined
        ? undefined
        : (this.#node.stateValue(ckeys.setup(req.setupId)) as EmergencySetup | undefined);
    if (!req || !setup || !setup.proxies.some((x) => x.proxy === this.id)) return undefined;
    // Already answered (a replay after a restart), or too late for the contract to accept.
    if (req.cfrags.some((c) => c.proxy === this.id)) return undefined;
    if (this.#node.head().time - req.time >= EMERGENCY_WINDOW_MS) {
      this.#refused(requestId, 'REQUEST_EXPIRED', 'the request is older than the re-encryption window');
      return undefined;
    }
    let tx: SignedTx;
    try {
      tx = await proxyReencryptTx(
        { wallet: this.#wallet, chainId: this.#node.chainId },
        nodeLedgerSource(this.#node),
        requestId,
        this.#enc.privateKey,
      );
    } catch (e) {
      if (!(e instanceof EmergencyRefusal)) throw e;
      this.#refused(requestId, e.code, e.message);
      return undefined;
    }
    const r = await this.#node.submit(tx);
    this.emit('cfrag', { requestId, txId: r.txId });
    return r.txId;
  }

  #refused(requestId: string, code: string, message: string): void {
    this.emit('refused', { requestId, code, message } satisfies Record<string, JsonValue>);
  }
}
