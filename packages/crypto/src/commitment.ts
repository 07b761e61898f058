/**
 * Salted hash commitments for the SPV chain (survey §6.3: the ledger holds a commitment to
 * a record that stays in the CDO's EHR store). `commitment = SHA-256(len || tag || salt ||
 * record)` with the domain-separation tag `medledger/record-commitment/v1` of hash.ts and a
 * fresh 32-byte salt per record: a hiding (in the random-oracle model) and binding
 * (collision resistance) commitment. The salt travels off-chain with the record, to whoever
 * is allowed to verify it.
 *
 * Threat model: protects against confirming a guessed record from the ledger (a dictionary
 * of likely lab results or diagnoses is useless without the 256-bit salt), against linking
 * two commitments of the same record, and against a CDO serving a record other than the one
 * it committed to. It does NOT hide the commit time, the committer or the number of records,
 * and anyone given the salt with the record can confirm it forever (treat the salt as part
 * of the record). Erasure: deleting the record and its salt leaves a commitment that reveals
 * nothing usable.
 */
import { assertBytes } from './assert.js';
import { equalBytes, type RandomSource } from './bytes.js';
import { hashTagged } from './hash.js';
import { randomBytes } from './random.js';

/** The hash tag of record commitments (kept here, not in hash.ts's `HashTag`). */
export const RECORD_COMMITMENT_TAG = 'medledger/record-commitment/v1';
/** Bytes of a salt and of a commitment. */
export const COMMITMENT_BYTES = 32;

/** A commitment and the salt that opens it (the salt is secret until disclosure). */
export interface RecordCommitment {
  commitment: Uint8Array;
  salt: Uint8Array;
}

/**
 * Commits to `recordBytes` under a fresh 32-byte salt.
 * @param random source of the salt (default: the OS CSPRNG)
 * @throws TypeError unless `recordBytes` is a Uint8Array
 * @example const { commitment, salt } = commit(canonicalBytes(record)); // commitment on-chain, salt off-chain
 */
export function commit(recordBytes: Uint8Array, random: RandomSource = randomBytes): RecordCommitment {
  assertBytes(recordBytes, 'recordBytes');
  const s = random(COMMITMENT_BYTES);
  assertBytes(s, 'random output', COMMITMENT_BYTES);
  const salt = s.slice();
  return { commitment: hashTagged(RECORD_COMMITMENT_TAG, salt, recordBytes), salt };
}

/**
 * Checks that `commitment` opens to `recordBytes` with `salt` (constant-time comparison).
 * Returns false for a commitment or salt of the wrong length.
 * @throws TypeError if an argument is not a Uint8Array
 * @example if (!verifyCommitment(onChain, served, salt)) throw new Error('record does not match the ledger');
 */
export function verifyCommitment(commitment: Uint8Array, recordBytes: Uint8Array, salt: Uint8Array): boolean {
  assertBytes(commitment, 'commitment');
  assertBytes(recordBytes, 'recordBytes');
  assertBytes(salt, 'salt');
  if (commitment.length !== COMMITMENT_BYTES || salt.length !== COMMITMENT_BYTES) return false;
  return equalBytes(commitment, hashTagged(RECORD_COMMITMENT_TAG, salt, recordBytes));
}
