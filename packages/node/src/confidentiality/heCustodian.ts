/**
 * Custody of patients' Paillier secret keys at their chosen organization's node (a patient who
 * published `keys.publish {he, heHolder: <org>}`). When the ledger accepts an insurer's
 * `he.claim`, the custodian releases that claim's total, sealed to the insurer (client
 * `releaseTotalTx`: it re-derives the aggregate from the items on the ledger and decrypts only
 * that). It offers no way to decrypt anything else: no route takes a ciphertext. A patient
 * who keeps his key himself runs `releaseTotalTx` on his device instead.
 *
 * Threat model: the custodian sees every total it releases and could decrypt items if it
 * wanted (it holds the key): the patient trusts it as he would trust his own device. The
 * insurer never holds the key.
 */
import { EventEmitter } from 'node:events';
import { HeRefusal, Wallet, releaseTotalTx } from '@medledger/client';
import type { HeSecretKey } from '@medledger/crypto/he';
import type { LedgerEvent } from '@medledger/core';
import type { LedgerView } from '../ledgerView.js';
import { nodeLedgerSource } from './source.js';

export class HeCustodianService extends EventEmitter {
  readonly #node: LedgerView;
  readonly #wallet: Wallet;
  readonly #keys = new Map<string, HeSecretKey>();
  readonly #onEvent = (e: LedgerEvent): void => {
    if (e.type === 'he.claim.requested' && typeof e.claimId === 'string' && typeof e.patient === 'string')
      void this.release(e.claimId, e.patient);
  };

  /** @param nodeKey PKCS#8 DER of this organization's node key. */
  constructor(node: LedgerView, nodeKey: Uint8Array) {
    super();
    this.#node = node;
    this.#wallet = new Wallet({ signerId: `node:${node.org}`, privateKey: nodeKey });
  }

  /** Takes custody of a patient's HE secret key. */
  hold(patient: string, sk: HeSecretKey): void {
    this.#keys.set(patient, sk);
  }

  start(): this {
    this.#node.on('ledger-event', this.#onEvent);
    return this;
  }

  stop(): void {
    this.#node.off('ledger-event', this.#onEvent);
  }

  /** Releases one claim's total if this node holds the patient's key. */
  async release(claimId: string, patient: string): Promise<string | undefined> {
    const sk = this.#keys.get(patient);
    if (!sk) return undefined;
    try {
      const tx = await releaseTotalTx(
        { wallet: this.#wallet, chainId: this.#node.chainId },
        nodeLedgerSource(this.#node),
        claimId,
        sk,
      );
      const r = await this.#node.submit(tx);
      this.emit('released', { claimId, txId: r.txId });
      return r.txId;
    } catch (e) {
      if (e instanceof HeRefusal) this.emit('refused', { claimId, code: e.code, message: e.message });
      else if (this.listenerCount('error') > 0) this.emit('error', e);
      return undefined;
    }
  }
}
