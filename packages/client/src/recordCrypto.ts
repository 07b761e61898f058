/**
 * Client-side cryptography of record sharing (issue 3): episode subjects (survey §5), the
 * inner layer of STT transmissions (§6.2) and the contexts bound into what a node serves.
 *
 * STT bodies are sealed twice: `inner = AES-256-GCM(releaseKey, record)` under a fresh
 * per-record release key that the sender's node keeps off-chain, then the HPKE envelope
 * (crypto/envelope.ts) wraps `inner` for the receivers. A receiver opens the envelope with
 * its own key, and needs the release key, obtained through an audited `access.request`, to
 * read the record; erasing the release key shreds every copy of the transmission.
 *
 * Both layers are browser-safe: AES-GCM and HPKE come from @medledger/crypto, whose browser
 * build runs them on @noble/ciphers and WebCrypto.
 *
 * Threat model: as crypto/envelope.ts for each layer. A receiver that fetched the release key
 * once can keep it (and the plaintext): erasure stops future reads, not past ones.
 */
import {
  fromB64u,
  isPseudonymOf,
  openAes256Gcm,
  pseudonym,
  randomBytes,
  sealAes256Gcm,
  toB64u,
  toHex,
  fromHex,
  utf8,
  type RandomSource,
} from '@medledger/crypto';

/** Bytes of a release key. */
export const RELEASE_KEY_BYTES = 32;

/**
 * The FHIR-safe subject of a patient in an episode: the hex form of
 * `pseudonym(episodeKey, patientId)` (64 characters, a valid FHIR id and `Patient/<id>`).
 * @example resource.subject = { reference: `Patient/${episodeSubject(episodeKey, patientId)}` };
 */
export function episodeSubject(episodeKey: Uint8Array, patientId: string): string {
  return toHex(fromB64u(pseudonym(episodeKey, patientId)));
}

/**
 * Whether `subject` is the episode subject of `patientId` under `episodeKey` (constant time).
 * False for a wrong key, another patient or a malformed subject.
 */
export function isEpisodeSubject(episodeKey: Uint8Array, patientId: string, subject: string): boolean {
  if (!/^[0-9a-f]{64}$/.test(subject)) return false;
  return isPseudonymOf(episodeKey, patientId, toB64u(fromHex(subject)));
}

const innerAad = (recordId: string): Uint8Array => utf8(`medledger/stt-inner/v1:${recordId}`);

/**
 * Encrypts a record body under a release key: `nonce(12) || ciphertext || tag(16)`.
 * @example const inner = encryptSttBody(releaseKey, canonicalBytes(resource), recordId);
 */
export function encryptSttBody(
  releaseKey: Uint8Array,
  body: Uint8Array,
  recordId: string,
  random: RandomSource = randomBytes,
): Uint8Array {
  if (releaseKey.length !== RELEASE_KEY_BYTES) throw new RangeError('releaseKey must be 32 bytes');
  return sealAes256Gcm(releaseKey, body, innerAad(recordId), random);
}

/**
 * Opens what {@link encryptSttBody} sealed.
 * @throws Error('decryption failed') on a wrong key, record id or any altered byte
 */
export function decryptSttBody(releaseKey: Uint8Array, inner: Uint8Array, recordId: string): Uint8Array {
  try {
    return openAes256Gcm(releaseKey, inner, innerAad(recordId));
  } catch {
    throw new Error('decryption failed');
  }
}

/** Context of the STT envelope on the ledger (the record id). */
export const sttEnvelopeAad = (recordId: string): Uint8Array => utf8(recordId);
/** Context bound into the envelope of an SPV record served by a node. */
export const spvServeAad = (recordId: string, requestTxId: string): Uint8Array =>
  utf8(`medledger/spv-serve/v1:${recordId}:${requestTxId}`);
/**
 * Context bound into the one envelope of the SPV records served together
 * (`POST /v1/access/records`): every request transaction id and its record id, in order.
 */
export const spvBatchServeAad = (items: readonly { recordId: string; requestTxId: string }[]): Uint8Array =>
  utf8(`medledger/spv-serve-batch/v1:${items.map((i) => `${i.recordId}:${i.requestTxId}`).join(',')}`);
/** Context bound into the envelope of a release key served by a node. */
export const releaseServeAad = (recordId: string, requestTxId: string): Uint8Array =>
  utf8(`medledger/stt-release/v1:${recordId}:${requestTxId}`);
