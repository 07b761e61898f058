/**
 * The regulator's node service for doctor shopping (crypto/rxlink.ts, threat model in
 * crypto/docs/prescriptions.md). For every committed controlled prescription it opens the
 * link request (the patient id sealed to this node's X25519 key), computes the consortium-wide
 * pseudonym under its link key, and checks the pseudonym's other controlled prescriptions: one
 * from a different prescriber written within `windowMs` of it and not cancelled by then raises
 * an alert, written to the ledger (`rx.alert`) sealed to the regulator's officers and node.
 * The pseudonym index exists only here and is rebuilt from the ledger at start: alert ids are
 * keyed HMACs of the prescriptions they name, so a replay raises nothing twice.
 *
 * Events: 'alert' ({alertId, txId, count}), 'error'.
 */
import { EventEmitter } from 'node:events';
import { fromB64u, type EncryptionKeyPair } from '@medledger/crypto';
import { alertIdOf, openLinkRequest, regulatorPseudonym } from '@medledger/crypto/rxlink';
import { getMember, resolveSigner, type SignedTx, isTxOf } from '@medledger/core';
import { getAlert, getPrescription, type AlertEntry } from '@medledger/core/contracts/pharmacy';
import { Wallet, publishKeysTx, sealAlert, type AlertContent } from '@medledger/client';
import type { LedgerView } from '../ledgerView.js';
import { followTxs, type FedTx, type TxFeed } from '../supply/txFeed.js';

export interface RegulatorServiceOptions {
  node: LedgerView;
  /** The regulator organization. */
  org: string;
  /** PKCS#8 DER of its node key: signs the alerts and the key publication. */
  nodeKey: Uint8Array;
  /** Its node's X25519 key: link requests are sealed to it. */
  encryption: EncryptionKeyPair;
  /** The HMAC link key (32 bytes, `generateRxLinkKey`): never leaves this service. */
  linkKey: Uint8Array;
  /** Member ids of the regulator's officers who receive alerts (enrolled encryption keys). */
  officers: string[];
  /** Two controlled prescriptions written this close in time overlap. Default 30 days. */
  windowMs?: number;
}

interface Linked {
  rxId: string;
  prescriber: string;
  prescriberOrg: string;
  writtenAt: number;
  quantity: number;
}

export class RegulatorService extends EventEmitter {
  readonly org: string;
  readonly windowMs: number;
  readonly #o: RegulatorServiceOptions;
  readonly #wallet: Wallet;
  readonly #index = new Map<string, Linked[]>();
  readonly #alerts: string[] = [];
  #feed: TxFeed | undefined;

  constructor(o: RegulatorServiceOptions) {
    super();
    this.#o = o;
    this.org = o.org;
    this.windowMs = o.windowMs ?? 30 * 86_400_000;
    this.#wallet = new Wallet({ signerId: `node:${o.org}`, privateKey: o.nodeKey });
  }

  /** `keys.publish {x25519}` by the regulator's node: prescribers seal link requests to it. */
  publishKeyTx(): SignedTx {
    return publishKeysTx(
      { wallet: this.#wallet, chainId: this.#o.node.chainId },
      { x25519: this.#o.encryption.publicKey },
    );
  }

  /** Replays the ledger, then follows it. */
  start(): this {
    this.#feed = followTxs(this.#o.node, ['rx.write', 'rx.alert'], (t) => this.#onTx(t), {
      onError: (e) => this.emit('error', e),
    });
    return this;
  }

  /** Resolves once every announced block is handled (alerts submitted, not yet committed). */
  idle(): Promise<void> {
    return this.#feed?.idle() ?? Promise.resolve();
  }

  close(): void {
    this.#feed?.close();
  }

  /** The alerts recorded on the ledger, oldest first (sealed). */
  alerts(): AlertEntry[] {
    return this.#alerts
      .map((id) => getAlert(this.#o.node.store, id))
      .filter((a): a is AlertEntry => a !== undefined);
  }

  async #onTx(t: FedTx): Promise<void> {
    if (t.code !== 'OK') return;
    const p = t.tx.body.payload as {
      rxId?: string;
      alertId?: string;
      controlled?: boolean;
      quantity?: number;
    };
    if (isTxOf(t.tx.body, 'rx.alert')) {
      if (p.alertId !== undefined && !this.#alerts.includes(p.alertId)) this.#alerts.push(p.alertId);
      return;
    }
    if (p.controlled !== true || p.rxId === undefined) return;
    const node = this.#o.node;
    const rx = getPrescription(node.store, p.rxId);
    if (!rx || rx.link === null || rx.regulator !== this.org) return;
    let patient: string;
    try {
      patient = await openLinkRequest(rx.link, this.#o.encryption.privateKey, rx.rxId);
    } catch {
      this.emit('error', new Error(`link request of ${rx.rxId} does not open with this regulator's key`));
      return;
    }
    const pseudonym = regulatorPseudonym(this.#o.linkKey, patient);
    const me: Linked = {
      rxId: rx.rxId,
      prescriber: rx.prescriber,
      prescriberOrg: resolveSigner(node.store, rx.prescriber)?.org ?? rx.prescriberOrg,
      writtenAt: t.time,
      quantity: rx.quantity,
    };
    const linked = this.#index.get(pseudonym) ?? [];
    const overlapping = linked.filter((e) => {
      const cancelledAt = getPrescription(node.store, e.rxId)?.cancelledAt ?? null;
      return (
        e.prescriber !== me.prescriber &&
        Math.abs(e.writtenAt - me.writtenAt) <= this.windowMs &&
        (cancelledAt === null || cancelledAt > me.writtenAt)
      );
    });
    linked.push(me);
    this.#index.set(pseudonym, linked);
    if (overlapping.length === 0) return;
    const involved = [...overlapping, me];
    const alertId = alertIdOf(
      this.#o.linkKey,
      involved.map((e) => e.rxId),
    );
    if (getAlert(node.store, alertId)) return;
    const content: AlertContent = { pseudonym, windowMs: this.windowMs, prescriptions: involved };
    const receivers = [{ id: 'regulator', publicKey: this.#o.encryption.publicKey }];
    for (const id of this.#o.officers) {
      const k = getMember(node.store, id)?.encryptionKey;
      if (k !== undefined) receivers.push({ id, publicKey: fromB64u(k) });
    }
    const sealed = await sealAlert(alertId, content, receivers);
    const tx = this.#wallet.tx({
      chainId: node.chainId,
      type: 'rx.alert',
      payload: { alertId, count: involved.length, sealed },
      createdAt: Date.now(),
    });
    const r = await node.submit(tx);
    this.emit('alert', { alertId, txId: r.txId, count: involved.length });
  }
}
