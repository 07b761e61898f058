/**
 * Client side of electronic prescriptions (contracts in core/src/contracts/pharmacy; threat
 * model in crypto/docs/prescriptions.md). Every secret stays where it belongs:
 * - the patient's device makes a fresh P-256 key per prescription and signs pharmacy choices
 *   with it (`createPrescriptionKey`, `signPharmacyChoice`), and re-wraps the content for a new
 *   pharmacy (`pharmacyChangeTx`: the patient opens the envelope with their encryption key);
 * - the prescriber seals the MedicationRequest and its salt to 'patient' and 'pharmacy', and for
 *   a controlled substance seals the patient id to the regulator (`prescriptionTx`);
 * - the pharmacist commits to the prescription as presented (`dispenseTx`), so an altered one
 *   is refused by the ledger.
 */
import {
  addReceivers,
  canonicalBytes,
  commit,
  envelopeFromJson,
  envelopeToJson,
  fromB64u,
  fromUtf8,
  generateP256KeyPair,
  openEnvelope,
  removeReceivers,
  sealEnvelope,
  toB64u,
  toHex,
  utf8,
  type JsonValue,
  type P256KeyPair,
} from '@medledger/crypto';
import { sealLinkRequest } from '@medledger/crypto/rxlink';
import type { SignedTx, TxType } from '@medledger/core';
import { signStatement } from '@medledger/core';
import { wrapHash, type WrapJson } from '@medledger/core/contracts/pharmacy';
import {
  PHARMACY_CHOICE_TAG,
  pharmacyChoice,
  type PrescriptionEntry,
} from '@medledger/core/contracts/pharmacy';
import type { LedgerSource, TxContext } from '../confidentiality.js';

type Json = { [k: string]: JsonValue };

const contentAad = (rxId: string): Uint8Array => utf8(`medledger/rx/v1:${rxId}`);
const build = (c: TxContext, type: TxType, payload: Json): SignedTx =>
  c.wallet.txFromJson({ chainId: c.chainId, type, payload, createdAt: c.createdAt ?? Date.now() });

/** A fresh per-prescription key for the patient's device (secret: it controls the prescription). */
export function createPrescriptionKey(): P256KeyPair {
  return generateP256KeyPair();
}

/** The patient's signature of a pharmacy choice (`seq` 0 at prescribing, then 1, 2, ...). */
export function signPharmacyChoice(
  chainId: string,
  key: P256KeyPair,
  p: { rxId: string; pharmacy: string; seq: number; wrap?: WrapJson },
): string {
  const statement = pharmacyChoice({
    rxId: p.rxId,
    pharmacy: p.pharmacy,
    seq: p.seq,
    wrap: p.wrap ? wrapHash(p.wrap) : null,
  });
  return signStatement(PHARMACY_CHOICE_TAG, chainId, statement, key.privateKey);
}

/** The hex commitment of a MedicationRequest with its salt (base64url). */
export function prescriptionCommitment(request: Json, salt: string): string {
  return toHex(commit(canonicalBytes(request), () => fromB64u(salt)).commitment);
}

/** Where a prescription's keys come from (all public, from the ledger or the patient). */
export interface PrescriptionParameters {
  rxId: string;
  /** The FHIR MedicationRequest (validated by the prescriber's node before it commits). */
  request: Json;
  pharmacy: string;
  /** The pharmacy node's X25519 key (`pubkeys:node:<pharmacy>`). */
  pharmacyKey: Uint8Array;
  /** The patient's enrolled X25519 key. */
  patientEncryptionKey: Uint8Array;
  /** The patient's per-prescription key (SPKI) and their signature of the choice (seq 0). */
  patientKey: Uint8Array;
  choice: string;
  quantity: number;
  refills: number;
  expiresAt: number;
  /** For a controlled substance: the regulator organization, its node's X25519 key and the patient id. */
  controlled?: { regulator: string; regulatorKey: Uint8Array; patientId: string };
}

/**
 * `rx.write`: seals the request and a fresh salt to 'patient' and 'pharmacy' and commits to it.
 * @returns the signed transaction, and the salt the prescriber's node checks the commitment with
 */
export async function prescriptionTx(
  c: TxContext,
  p: PrescriptionParameters,
): Promise<{ tx: SignedTx; salt: string; commitment: string }> {
  const { commitment, salt } = commit(canonicalBytes(p.request));
  const saltB64 = toB64u(salt);
  const env = await sealEnvelope({
    plaintext: canonicalBytes({ request: p.request, salt: saltB64 }),
    receivers: [
      { id: 'patient', publicKey: p.patientEncryptionKey },
      { id: 'pharmacy', publicKey: p.pharmacyKey },
    ],
    aad: contentAad(p.rxId),
  });
  const payload: Json = {
    rxId: p.rxId,
    pharmacy: p.pharmacy,
    patientKey: toB64u(p.patientKey),
    choice: p.choice,
    commitment: toHex(commitment),
    envelope: envelopeToJson(env) as unknown as Json,
    quantity: p.quantity,
    refills: p.refills,
    expiresAt: p.expiresAt,
    controlled: p.controlled !== undefined,
  };
  if (p.controlled) {
    payload.regulator = p.controlled.regulator;
    payload.link = (await sealLinkRequest({
      rxId: p.rxId,
      patientId: p.controlled.patientId,
      regulatorPublicKey: p.controlled.regulatorKey,
    })) as unknown as Json;
  }
  return { tx: build(c, 'rx.write', payload), salt: saltB64, commitment: toHex(commitment) };
}

/**
 * Opens a prescription's content as 'patient' or 'pharmacy' and checks it against the
 * commitment on the ledger.
 * @throws Error('decryption failed') for a wrong key; Error if the content does not match the ledger
 */
export async function openPrescription(
  rx: PrescriptionEntry,
  receiver: { id: 'patient' | 'pharmacy'; privateKey: Uint8Array },
): Promise<{ request: Json; salt: string }> {
  const pt = await openEnvelope(envelopeFromJson(rx.envelope), receiver, contentAad(rx.rxId));
  const { request, salt } = JSON.parse(fromUtf8(pt)) as { request: Json; salt: string };
  if (prescriptionCommitment(request, salt) !== rx.commitment)
    throw new Error(
      `prescription ${rx.rxId}: the sealed content does not match the commitment on the ledger`,
    );
  return { request, salt };
}

/**
 * `rx.pharmacy`, made on the patient's device and relayed by whoever the patient hands it to
 * (`relayer`, typically a pharmacist of the new pharmacy): the content key re-wrapped for the
 * new pharmacy, and the patient's signed, numbered choice.
 */
export async function pharmacyChangeTx(
  relayer: TxContext,
  rx: PrescriptionEntry,
  p: { pharmacy: string; pharmacyKey: Uint8Array; patientEncryptionKey: Uint8Array; patientKey: P256KeyPair },
): Promise<SignedTx> {
  const env = removeReceivers(envelopeFromJson(rx.envelope), ['pharmacy']);
  const next = await addReceivers(
    env,
    { id: 'patient', privateKey: p.patientEncryptionKey },
    [{ id: 'pharmacy', publicKey: p.pharmacyKey }],
    contentAad(rx.rxId),
  );
  const w = next.receivers.find((r) => r.id === 'pharmacy')!;
  const wrap: WrapJson = { id: 'pharmacy', enc: toB64u(w.enc), wrappedKey: toB64u(w.wrappedKey) };
  const seq = rx.consentSeq + 1;
  const choice = signPharmacyChoice(relayer.chainId, p.patientKey, {
    rxId: rx.rxId,
    pharmacy: p.pharmacy,
    seq,
    wrap,
  });
  return build(relayer, 'rx.pharmacy', { rxId: rx.rxId, pharmacy: p.pharmacy, seq, wrap, choice });
}

/**
 * `rx.dispense` by a pharmacist: `request` and `salt` are the prescription as presented (by
 * the patient, or opened from the ledger); their commitment goes into the payload.
 */
export function dispenseTx(
  c: TxContext,
  p: {
    dispenseId: string;
    rxId: string;
    request: Json;
    salt: string;
    quantity: number;
    packs?: { gtin: string; serial: string }[];
  },
): SignedTx {
  return build(c, 'rx.dispense', {
    dispenseId: p.dispenseId,
    rxId: p.rxId,
    quantity: p.quantity,
    commitment: prescriptionCommitment(p.request, p.salt),
    packs: p.packs ?? [],
  });
}

/** `rx.cancel` by the prescriber. */
export function cancelPrescriptionTx(c: TxContext, rxId: string, reason: string): SignedTx {
  return build(c, 'rx.cancel', { rxId, reason });
}

/** The X25519 key a node published (`keys.publish {x25519}`), from the ledger. */
export async function nodeEncryptionKey(source: LedgerSource, org: string): Promise<Uint8Array> {
  const k = (await source.state(`pubkeys:node:${org}`)) as { x25519?: string } | undefined;
  if (k?.x25519 === undefined) throw new Error(`the node of ${org} has published no X25519 key`);
  return fromB64u(k.x25519);
}
