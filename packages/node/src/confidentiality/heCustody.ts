/**
 * Patients' deposits of their Paillier secret key with the HE custodian (heCustodian.ts) of
 * the organization they named as `heHolder` in `keys.publish`. The patient seals the key to
 * the node's published X25519 key (`pubkeys:node:<org>`, HPKE, RFC 9180, AAD
 * `heCustodyAad` of the client), so it never travels in clear; the node accepts it only from the
 * patient whose published HE key it matches and who named this organization, keeps it in the
 * sealed service store (orgServices/stateStore.ts) and hands it to the custodian, so custody
 * survives a restart.
 */
import { envelopeFromJson, fromB64u, openEnvelope, toB64u, type JsonValue } from '@medledger/crypto';
import { heCustodyAad } from '@medledger/client';
import { HeSecretKey } from '@medledger/crypto/he';
import { LedgerError, type MemberEntry } from '@medledger/core';
import { ckeys, type PublishedKeys } from '@medledger/core/contracts/confidentiality';
import type { LedgerView } from '../ledgerView.js';
import type { HeCustodianService } from './heCustodian.js';

export interface HeCustodyOptions {
  node: LedgerView;
  org: string;
  custodian: HeCustodianService;
  /** The node's X25519 key pair (the one it publishes as `node:<org>`). */
  encryption: { privateKey: Uint8Array; publicKey: Uint8Array };
  /** Keys held before (from the store): patient id → `HeSecretKey.toBytes()` base64url. */
  held?: Record<string, string>;
  /** Called with every key held, after a deposit, before it is acknowledged. */
  persist: (held: Record<string, string>) => void;
}

/** Accepts patients' deposits and keeps the custodian's keys. */
export class HeCustody {
  readonly #o: HeCustodyOptions;
  readonly #held: Record<string, string>;

  constructor(o: HeCustodyOptions) {
    this.#o = o;
    this.#held = { ...(o.held ?? {}) };
    for (const [patient, sk] of Object.entries(this.#held))
      o.custodian.hold(patient, HeSecretKey.fromBytes(fromB64u(sk)));
  }

  /** True if this node holds the patient's key. */
  holds(patient: string): boolean {
    return patient in this.#held;
  }

  /**
   * Opens a patient's sealed HE secret key and takes custody of it.
   * @throws LedgerError NOT_HE_HOLDER (the patient did not name this organization),
   *   HE_KEY_MISMATCH (not the key the patient published), BAD_INPUT (does not open)
   */
  async deposit(patient: MemberEntry, sealed: unknown): Promise<void> {
    const published = this.#o.node.stateValue(ckeys.pubkeys(patient.id)) as PublishedKeys | undefined;
    if (published?.heHolder !== this.#o.org || published.he === undefined)
      throw new LedgerError(
        { code: 'NOT_HE_HOLDER', patient: patient.id },
        `publish keys.publish {he, heHolder: "${this.#o.org}"} before depositing the HE key here`,
      );
    let sk: HeSecretKey;
    try {
      const pt = await openEnvelope(
        envelopeFromJson(sealed),
        { id: `node:${this.#o.org}`, privateKey: this.#o.encryption.privateKey },
        heCustodyAad(this.#o.org, patient.id),
      );
      sk = HeSecretKey.fromBytes(pt);
    } catch {
      throw new LedgerError(
        { code: 'BAD_INPUT' },
        `the deposit is not an HE secret key sealed to node:${this.#o.org}`,
      );
    }
    if (toB64u(sk.publicKey.toBytes()) !== published.he)
      throw new LedgerError({ code: 'HE_KEY_MISMATCH' }, 'the key is not the one the patient published');
    this.#held[patient.id] = toB64u(sk.toBytes());
    this.#o.persist({ ...this.#held });
    this.#o.custodian.hold(patient.id, sk);
  }

  /** The held keys as stored (secret). */
  toJson(): JsonValue {
    return { ...this.#held };
  }
}
