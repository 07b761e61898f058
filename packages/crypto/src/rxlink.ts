/**
 * Regulator linkage of controlled-substance prescriptions (survey §7.2, "doctor shopping";
 * threat model in docs/prescriptions.md). A patient's controlled prescriptions are linked
 * across prescribers and pharmacies by a consortium-wide pseudonym that only the regulator
 * can compute:
 *
 *   pseudonym = hex(HMAC-SHA256(linkKey, "medledger/rx-pseudonym/v1" || patientId))
 *
 * with `linkKey` a 32-byte secret held by the regulator's node alone (keyed-hash
 * pseudonymisation, ENISA "Pseudonymisation techniques and best practices", 2019, §4.3;
 * HMAC, RFC 2104). The prescriber never computes it: with each controlled prescription it
 * puts on the ledger a *link request*, the patient id sealed to the regulator's X25519 key in
 * an HPKE envelope (RFC 9180, envelope.ts) whose aad binds the prescription id, so a request
 * cannot be moved to another prescription. The regulator's node opens it, computes the
 * pseudonym and keeps its index of pseudonym → prescriptions off the ledger; it writes only
 * alerts, sealed to the regulator, under ids that are HMACs of the prescriptions they name
 * (`alertIdOf`), so nobody else can test which prescriptions an alert links.
 *
 * Why not an OPRF (RFC 9497): with an OPRF the prescriber, not the regulator, ends up holding
 * the pseudonym (it unblinds the output), so two colluding prescribers could compare
 * pseudonyms of their patients, and every controlled prescription would need an online round
 * trip to the regulator. An OPRF would hide the patient id from the regulator; prescription
 * drug monitoring programmes receive patient identities for controlled dispensations by law,
 * so that is not the party to hide it from here.
 *
 * Protects: every party but the regulator (other prescribers and pharmacies, node operators,
 * ledger readers) from linking two controlled prescriptions to the same patient through the
 * ledger: link requests are HPKE ciphertexts under fresh ephemeral keys, pseudonyms never
 * leave the regulator, alert ids are keyed. Does NOT protect: against the regulator (it sees
 * patient ids of controlled prescriptions, by design); against linkage by metadata (the same
 * prescriber, times, quantities); against a prescriber who seals a wrong patient id (that
 * prescription escapes linkage; the prescriber signed it and is accountable); a leaked
 * `linkKey` links every controlled prescription for good (rotate it: old pseudonyms then no
 * longer match new ones, so the regulator re-derives its index from the ledger).
 */
import { assertBytes, assertString } from './assert.js';
import { concatBytes, fromUtf8, toHex, utf8, type RandomSource } from './bytes.js';
import { canonicalize } from './jcs.js';
import {
  envelopeFromJson,
  envelopeToJson,
  openEnvelope,
  sealEnvelope,
  type EnvelopeJson,
} from './envelope.js';
import { hmacSha256 } from './primitives.js';
import { randomBytes } from './random.js';

/** Bytes of the regulator's link key. */
export const RX_LINK_KEY_BYTES = 32;
/** The envelope receiver label of a link request (the regulator's node). */
export const RX_LINK_RECEIVER = 'regulator';
const PSEUDONYM_TAG = utf8('medledger/rx-pseudonym/v1');
const ALERT_TAG = utf8('medledger/rx-alert-id/v1');
const linkAad = (rxId: string): Uint8Array => utf8(`medledger/rx-link/v1:${rxId}`);

function hmacHex(key: Uint8Array, ...data: Uint8Array[]): string {
  return toHex(hmacSha256(key, concatBytes(...data)));
}

/**
 * A fresh link key for the regulator's node (secret: it links every controlled prescription).
 * @example const linkKey = generateRxLinkKey();
 */
export function generateRxLinkKey(random: RandomSource = randomBytes): Uint8Array {
  const k = random(RX_LINK_KEY_BYTES);
  assertBytes(k, 'random output', RX_LINK_KEY_BYTES);
  return k.slice();
}

/**
 * The consortium-wide pseudonym of a patient: 64 hex characters. Only the holder of `linkKey`
 * can compute it.
 * @throws TypeError / RangeError unless `linkKey` is 32 bytes and `patientId` a non-empty string
 * @example index.get(regulatorPseudonym(linkKey, patientId))
 */
export function regulatorPseudonym(linkKey: Uint8Array, patientId: string): string {
  assertBytes(linkKey, 'linkKey', RX_LINK_KEY_BYTES);
  assertString(patientId, 'patientId', true);
  return hmacHex(linkKey, PSEUDONYM_TAG, utf8(patientId));
}

/**
 * The id of an alert naming a set of prescriptions: an HMAC under the link key of their
 * sorted ids, so the same set always gives the same id (an alert is raised once) and nobody
 * without the key can test which prescriptions an alert names.
 * @throws RangeError on an empty list
 */
export function alertIdOf(linkKey: Uint8Array, rxIds: readonly string[]): string {
  assertBytes(linkKey, 'linkKey', RX_LINK_KEY_BYTES);
  if (!Array.isArray(rxIds) || rxIds.length === 0) throw new RangeError('rxIds must not be empty');
  for (const id of rxIds) assertString(id, 'rxId', true);
  return hmacHex(linkKey, ALERT_TAG, utf8(canonicalize([...new Set(rxIds)].sort())));
}

/** Parameters of {@link sealLinkRequest}. */
export interface SealLinkRequestParameters {
  rxId: string;
  patientId: string;
  /** The regulator node's X25519 public key (published on the ledger). */
  regulatorPublicKey: Uint8Array;
  random?: RandomSource;
}

/**
 * The link request of a controlled prescription: the patient id sealed to the regulator,
 * bound to the prescription id.
 * @throws TypeError / RangeError on malformed inputs
 * @example payload.link = await sealLinkRequest({ rxId, patientId, regulatorPublicKey });
 */
export async function sealLinkRequest(p: SealLinkRequestParameters): Promise<EnvelopeJson> {
  assertString(p.rxId, 'rxId', true);
  assertString(p.patientId, 'patientId', true);
  assertBytes(p.regulatorPublicKey, 'regulatorPublicKey', 32);
  const env = await sealEnvelope({
    plaintext: utf8(p.patientId),
    receivers: [{ id: RX_LINK_RECEIVER, publicKey: p.regulatorPublicKey }],
    aad: linkAad(p.rxId),
    ...(p.random ? { random: p.random } : {}),
  });
  return envelopeToJson(env);
}

/**
 * Opens a link request with the regulator node's X25519 private key.
 * @returns the patient id
 * @throws Error('decryption failed') for another prescription id, another key or any altered byte;
 *   TypeError for a malformed envelope
 */
export async function openLinkRequest(
  link: unknown,
  regulatorPrivateKey: Uint8Array,
  rxId: string,
): Promise<string> {
  assertString(rxId, 'rxId', true);
  const pt = await openEnvelope(
    envelopeFromJson(link),
    { id: RX_LINK_RECEIVER, privateKey: regulatorPrivateKey },
    linkAad(rxId),
  );
  return fromUtf8(pt);
}
