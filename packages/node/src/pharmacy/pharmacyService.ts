/**
 * A pharmacy's node service: it holds the pharmacy's X25519 key (the one its node publishes
 * with `keys.publish {x25519}`), to which prescriptions for this pharmacy are sealed, and opens
 * them for its own pharmacists only: the prescription must name this pharmacy now (after a
 * patient's change, the old pharmacy opens nothing more), the content must match the
 * commitment on the ledger and be a valid FHIR R4 MedicationRequest.
 *
 * Key custody: like the node key, the X25519 key lives in this process; whoever runs the node
 * reads the prescriptions sent to this pharmacy, which is the pharmacy's own system.
 */
import type { EncryptionKeyPair, JsonValue } from '@medledger/crypto';
import { LedgerError, type MemberEntry, type SignedTx } from '@medledger/core';
import { getPrescription } from '@medledger/core/contracts/pharmacy';
import { Wallet, openPrescription, publishKeysTx } from '@medledger/client';
import type { LedgerView } from '../ledgerView.js';
import { validateFhirRecord } from '../records/fhir.js';

export interface PharmacyServiceOptions {
  node: LedgerView;
  /** The pharmacy organization this service acts for. */
  org: string;
  /** PKCS#8 DER of that organization's node key (signs the key publication). */
  nodeKey: Uint8Array;
  encryption: EncryptionKeyPair;
}

export class PharmacyService {
  readonly org: string;
  readonly #node: LedgerView;
  readonly #wallet: Wallet;
  readonly #enc: EncryptionKeyPair;

  constructor(o: PharmacyServiceOptions) {
    this.org = o.org;
    this.#node = o.node;
    this.#wallet = new Wallet({ signerId: `node:${o.org}`, privateKey: o.nodeKey });
    this.#enc = o.encryption;
  }

  /** `keys.publish {x25519}` by the pharmacy's node: prescribers seal to this key. */
  publishKeyTx(): SignedTx {
    return publishKeysTx(
      { wallet: this.#wallet, chainId: this.#node.chainId },
      { x25519: this.#enc.publicKey },
    );
  }

  /**
   * The prescription's content, for a pharmacist of this pharmacy.
   * @throws LedgerError NOT_FOUND, FORBIDDEN (not a pharmacist here), NOT_THIS_PHARMACY (the
   *   patient chose another pharmacy), INVALID_RECORD (content not matching the ledger or not FHIR)
   */
  async content(
    member: MemberEntry,
    rxId: string,
  ): Promise<{ rxId: string; request: { [k: string]: JsonValue }; salt: string; commitment: string }> {
    if (member.org !== this.org || member.role !== 'pharmacist')
      throw new LedgerError({ code: 'FORBIDDEN' }, `only pharmacists of ${this.org} read its prescriptions`);
    const rx = getPrescription(this.#node.store, rxId);
    if (!rx) throw new LedgerError({ code: 'NOT_FOUND' }, `no prescription ${rxId}`);
    if (rx.pharmacy !== this.org)
      throw new LedgerError({ code: 'NOT_THIS_PHARMACY' }, `the patient chose another pharmacy for ${rxId}`);
    let opened: Awaited<ReturnType<typeof openPrescription>>;
    try {
      opened = await openPrescription(rx, { id: 'pharmacy', privateKey: this.#enc.privateKey });
    } catch (e) {
      throw new LedgerError(
        { code: 'INVALID_RECORD' },
        `prescription ${rxId} cannot be opened here: ${(e as Error).message}`,
      );
    }
    const v = validateFhirRecord(opened.request);
    if (!v.ok || v.meta.resourceType !== 'MedicationRequest')
      throw new LedgerError(
        { code: 'INVALID_RECORD' },
        `prescription ${rxId} is not a valid FHIR MedicationRequest`,
      );
    return { rxId, request: opened.request, salt: opened.salt, commitment: rx.commitment };
  }
}
