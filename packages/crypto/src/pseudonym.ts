/**
 * Per-episode pseudonyms (survey §5, "pseudonymity"; the keyed-hash pseudonymisation of
 * ENISA's "Pseudonymisation techniques and best practices", 2019, §4.3). Each care episode
 * gets a random 32-byte key; the records of that episode carry
 * `pseudonym = base64url(HMAC-SHA256(episodeKey, "medledger/pseudonym/v1" || patientId))`.
 * A doctor given one episode's key can tie exactly that episode's pseudonym to the patient;
 * pseudonyms of different episodes are independent PRF outputs and cannot be linked to each
 * other or to the patient without the keys.
 *
 * Research linkage exists only if the patient grants it: the patient's wallet holds a
 * `linkageSecret`; for one study it derives `studyKey = HMAC(linkageSecret,
 * "medledger/linkage-key/v1" || studyId)` and releases it (e.g. in an envelope) to the CDOs
 * that export records for that study. They tag exports with `linkagePseudonym(studyKey,
 * patientId)`, so the researcher links that patient's records across CDOs and episodes
 * within the study, and only there. Without the release nobody can compute it; studies are
 * unlinkable to each other.
 *
 * Threat model: protects against linking records across episodes (or studies) by anyone who
 * does not hold the keys, including every reader of the ledger, and against recovering the
 * patient id from a pseudonym (HMAC is a PRF; the id space is small, so the key, not the id,
 * must stay secret). It does NOT hide that records with the same pseudonym belong to the same
 * episode (that is the point), nor protect against linkage through the record contents
 * (dates, rare diagnoses, free text), and a leaked episode key links that episode for good.
 */
import { assertBytes, assertString } from './assert.js';
import { concatBytes, equalBytes, fromB64u, toB64u, utf8, type RandomSource } from './bytes.js';
import { hmacSha256 } from './primitives.js';
import { randomBytes } from './random.js';

/** Bytes of an episode key, a linkage secret and a study key. */
export const PSEUDONYM_KEY_BYTES = 32;
const PSEUDONYM_TAG = utf8('medledger/pseudonym/v1');
const LINKAGE_KEY_TAG = utf8('medledger/linkage-key/v1');
const LINKAGE_TAG = utf8('medledger/linkage/v1');

function hmac(key: Uint8Array, ...data: Uint8Array[]): Uint8Array {
  return hmacSha256(key, concatBytes(...data));
}

function fresh(random: RandomSource): Uint8Array {
  const k = random(PSEUDONYM_KEY_BYTES);
  assertBytes(k, 'random output', PSEUDONYM_KEY_BYTES);
  return k.slice();
}

/**
 * A fresh random key for one care episode (secret: it links the episode to the patient).
 * @example const episodeKey = generateEpisodeKey();
 */
export function generateEpisodeKey(random: RandomSource = randomBytes): Uint8Array {
  return fresh(random);
}

/**
 * The pseudonym of `patientId` in the episode keyed by `episodeKey`:
 * base64url(HMAC-SHA256(episodeKey, "medledger/pseudonym/v1" || utf8(patientId))), 43 chars.
 * @throws TypeError / RangeError unless `episodeKey` is 32 bytes and `patientId` a non-empty string
 * @example record.subject = pseudonym(episodeKey, 'patient-42');
 */
export function pseudonym(episodeKey: Uint8Array, patientId: string): string {
  assertBytes(episodeKey, 'episodeKey', PSEUDONYM_KEY_BYTES);
  assertString(patientId, 'patientId', true);
  return toB64u(hmac(episodeKey, PSEUDONYM_TAG, utf8(patientId)));
}

function matches(expected: Uint8Array, candidate: string): boolean {
  if (typeof candidate !== 'string') return false;
  let got: Uint8Array;
  try {
    got = fromB64u(candidate);
  } catch {
    return false;
  }
  return equalBytes(expected, got);
}

/**
 * Whether `candidate` is the pseudonym of `patientId` under `episodeKey` (constant-time in
 * the pseudonym bytes). False for a wrong key, a wrong patient or a malformed string.
 * @example isPseudonymOf(episodeKey, 'patient-42', record.subject) // true for that episode only
 */
export function isPseudonymOf(episodeKey: Uint8Array, patientId: string, candidate: string): boolean {
  assertBytes(episodeKey, 'episodeKey', PSEUDONYM_KEY_BYTES);
  assertString(patientId, 'patientId', true);
  return matches(hmac(episodeKey, PSEUDONYM_TAG, utf8(patientId)), candidate);
}

/**
 * Of a list of pseudonyms (e.g. the subjects of records on the ledger), the indexes that
 * belong to `patientId` in the episode of `episodeKey`: what a doctor holding that key can link.
 * @example linkEpisode(episodeKey, 'patient-42', records.map((r) => r.subject))
 */
export function linkEpisode(
  episodeKey: Uint8Array,
  patientId: string,
  pseudonyms: readonly string[],
): number[] {
  assertBytes(episodeKey, 'episodeKey', PSEUDONYM_KEY_BYTES);
  assertString(patientId, 'patientId', true);
  const mine = hmac(episodeKey, PSEUDONYM_TAG, utf8(patientId));
  const out: number[] = [];
  pseudonyms.forEach((p, i) => {
    if (matches(mine, p)) out.push(i);
  });
  return out;
}

/**
 * A fresh random linkage secret for a patient's wallet (secret: never leaves the patient
 * except as study keys derived from it).
 */
export function generateLinkageSecret(random: RandomSource = randomBytes): Uint8Array {
  return fresh(random);
}

/**
 * The study key a patient releases to grant research linkage for one study:
 * HMAC-SHA256(linkageSecret, "medledger/linkage-key/v1" || utf8(studyId)).
 * @throws TypeError / RangeError unless `linkageSecret` is 32 bytes and `studyId` non-empty
 * @example const studyKey = deriveStudyKey(wallet.linkageSecret, 'study-2025-diabetes');
 */
export function deriveStudyKey(linkageSecret: Uint8Array, studyId: string): Uint8Array {
  assertBytes(linkageSecret, 'linkageSecret', PSEUDONYM_KEY_BYTES);
  assertString(studyId, 'studyId', true);
  return hmac(linkageSecret, LINKAGE_KEY_TAG, utf8(studyId));
}

/**
 * The researcher-facing linkage pseudonym of a patient in a study:
 * base64url(HMAC-SHA256(studyKey, "medledger/linkage/v1" || utf8(patientId))). Computable
 * only by holders of the study key the patient released.
 * @example exported.linkageId = linkagePseudonym(studyKey, 'patient-42');
 */
export function linkagePseudonym(studyKey: Uint8Array, patientId: string): string {
  assertBytes(studyKey, 'studyKey', PSEUDONYM_KEY_BYTES);
  assertString(patientId, 'patientId', true);
  return toB64u(hmac(studyKey, LINKAGE_TAG, utf8(patientId)));
}
