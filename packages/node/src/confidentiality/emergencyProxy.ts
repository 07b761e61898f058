/**
 * The node's emergency proxy (threshold PRE, Umbral): when an allowed `emergency.request`
 * names a set-up in which this organization's node (`node:<org>`) holds a kfrag, the service
 * opens its sealed kfrag with the node's proxy X25519 key, re-encrypts the record's capsule
 * (client `proxyReencryptTx`: refuses denied requests and revoked kfrags, verifies the kfrag)
 * and posts the cfrag signed with the node key. It sees the capsule only, never the record.
 *
 * Events: 'cfrag' ({requestId, txId}), 'refused' ({requestId, code, message}), 'error'.
 * Key custody: the X25519 private key and the node key live in this process, like the node key
 * that signs blocks; whoever controls the node process controls this proxy's share.
 */
import { EventEmitter } from 'node:events';
import type { EncryptionKeyPair, JsonValue } from '@medledger/crypto';
import { EmergencyRefusal, Wallet, proxyReencryptTx, publishKeysTx } from '@medledger/client';
import type { LedgerEvent, SignedTx } from '@medledger/core';
import { ckeys, type EmergencySetup } from '@medledger/core/contracts/confidentiality/state';
import type { LedgerView } from '../ledgerView.js';
import { nodeLedgerSource } from './source.js';

export interface EmergencyProxyOptions {
  /** PKCS#8 DER of the node key (the one listed in genesis for this organization). */
  nodeKey: Uint8Array;
  /** The proxy's X25519 key pair; publish its public key with `publishKeyTx()`. */
  encryption: EncryptionKeyPair;
}

export class EmergencyProxyService extends EventEmitter {
  readonly id: string;
  readonly #node: LedgerView;
  readonly #wallet: Wallet;
  readonly #enc: EncryptionKeyPair;
  readonly #onEvent = (e: LedgerEvent): void => {
    if (e.type === 'emergency.requested' && e.allow === true && typeof e.requestId === 'string')
      void this.answer(e.requestId);
  };

  constructor(node: LedgerView, o: EmergencyProxyOptions) {
    super();
    this.#node = node;
    this.id = `node:${node.org}`;
    this.#wallet = new Wallet({ signerId: this.id, privateKey: o.nodeKey });
    this.#enc = o.encryption;
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

  /** Starts answering emergency requests as they commit. */
  start(): this {
    this.#node.on('ledger-event', this.#onEvent);
    return this;
  }

  stop(): void {
    this.#node.off('ledger-event', this.#onEvent);
  }

  /**
   * Answers one request if this node is one of its set-up's proxies.
   * @returns the cfrag transaction id, or undefined if this node is not a proxy or refused.
   */
  async answer(requestId: string): Promise<string | undefined> {
    try {
      const req = this.#node.stateValue(ckeys.request(requestId)) as { setupId?: string } | undefined;
      const setup =
        req?.setupId === undefined
          ? undefined
          : (this.#node.stateValue(ckeys.setup(req.setupId)) as EmergencySetup | undefined);
      if (!setup || !setup.proxies.some((x) => x.proxy === this.id)) return undefined;
      const tx = await proxyReencryptTx(
        { wallet: this.#wallet, chainId: this.#node.chainId },
        nodeLedgerSource(this.#node),
        requestId,
        this.#enc.privateKey,
      );
      const r = await this.#node.submit(tx);
      this.emit('cfrag', { requestId, txId: r.txId });
      return r.txId;
    } catch (e) {
      if (e instanceof EmergencyRefusal) {
        this.emit('refused', { requestId, code: e.code, message: e.message } satisfies Record<
          string,
          JsonValue
        >);
        return undefined;
      }
      if (this.listenerCount('error') > 0) this.emit('error', e);
      return undefined;
    }
  }
}
