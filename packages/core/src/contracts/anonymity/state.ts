/**
 * Ledger state of the anonymity flows (issue 5). Keys:
 *   anon:issuer:<org>              IssuerEntry: the org's BBS issuer key and revocation accumulator
 *   anon:acc:<org>:<seq>           the seq-th published accumulator update (holders replay them)
 *   anon:group:<groupId>           GroupEntry: BBS04 group public key of the current epoch
 *   anon:grev:<groupId>:<epoch>    the published revocation that ended `epoch`
 *   anon:ringkey:<memberId>        RingKeyEntry: a member's ristretto255 ring public key
 *   anon:ringpk:<hex key>          memberId owning a ring key (one owner per key)
 *   anon:msg:<hex>                 an anonymous message already committed (replay guard)
 *   anon:image:<scope>:<hex>       a key image used in a linkable scope (one answer per key)
 *   anon:trial:<trialId>           TrialEntry: an enrolment needing a predicate
 *   anon:enrol:<trialId>:<hex>     an enrolment, by the hash of its scoped pseudonym
 *   anon:anon-tx:<txId>            AnonTxEntry: who vouched for an anonymous transaction
 *   anon:read:<requester id>       the anon.read.log a presentation's pseudonym logged (replay guard)
 *   anon:opening:<txId>            an opening published by the group manager in a dispute
 */
import type { JsonValue } from '@medledger/crypto';
import type { StateReader } from '../../state.js';

/** An organization's anonymous-credential issuer, as registered on the ledger. */
export interface IssuerEntry {
  org: string;
  /** BBS issuer public key, 96 bytes, base64url. */
  publicKey: string;
  /** VB accumulator manager public key, 96 bytes, base64url. */
  accumulatorPublicKey: string;
  /** Current accumulator value, 48 bytes, base64url: verifiers check non-revocation against it. */
  accumulated: string;
  /** Number of accumulator updates published so far (`anon:acc:<org>:<0..seq-1>`). */
  seq: number;
  registeredAt: number;
  updatedAt: number;
}

/** A published accumulator update (the JSON form of crypto's `RevocationUpdate`). */
export interface AccumulatorUpdateJson {
  op: 'add' | 'remove';
  credentialId: string;
  before: string;
  after: string;
}

/** A group registered by its manager. */
export interface GroupEntry {
  groupId: string;
  /** The managing organization (issuer and opener of the group). */
  manager: string;
  epoch: number;
  /** BBS04 group public key of `epoch`, 388 bytes, base64url. */
  publicKey: string;
  description: string;
  registeredAt: number;
  updatedAt: number;
}

/** A member's registered ring key. */
export interface RingKeyEntry {
  memberId: string;
  org: string;
  role: string;
  /** ristretto255 point, 32 bytes, base64url. */
  publicKey: string;
  registeredAt: number;
}

/** An enrolment that requires a zero-knowledge predicate over a credential. */
export interface TrialEntry {
  trialId: string;
  sponsor: string;
  /** Minimum age in years at the date of enrolment. */
  minAge: number;
  /** Organizations whose credentials are accepted. */
  issuers: string[];
  /** Name of the hidden YYYYMMDD attribute the predicate is over. */
  attribute: string;
  registeredAt: number;
}

/** What the ledger knows about an anonymous transaction: only who vouched for it. */
export interface AnonTxEntry {
  kind: 'group' | 'ring' | 'enrol';
  /** The group, ring digest or trial. */
  subject: string;
  /** The node that relayed it (`node:<org>`). */
  relay: string;
  height: number;
  time: number;
}

export const anonKeys = {
  issuer: (org: string): string => `anon:issuer:${org}`,
  accUpdate: (org: string, seq: number): string => `anon:acc:${org}:${seq}`,
  group: (id: string): string => `anon:group:${id}`,
  groupRevocation: (id: string, epoch: number): string => `anon:grev:${id}:${epoch}`,
  ringKey: (memberId: string): string => `anon:ringkey:${memberId}`,
  ringKeyOwner: (hexKey: string): string => `anon:ringpk:${hexKey}`,
  message: (hex: string): string => `anon:msg:${hex}`,
  keyImage: (scope: string, hex: string): string => `anon:image:${scope}:${hex}`,
  trial: (id: string): string => `anon:trial:${id}`,
  enrolment: (trialId: string, hex: string): string => `anon:enrol:${trialId}:${hex}`,
  anonTx: (txId: string): string => `anon:anon-tx:${txId}`,
  anonRead: (requesterId: string): string => `anon:read:${requesterId}`,
  opening: (txId: string): string => `anon:opening:${txId}`,
};

export const getIssuer = (s: StateReader, org: string): IssuerEntry | undefined =>
  s.get(anonKeys.issuer(org)) as IssuerEntry | undefined;
export const getGroup = (s: StateReader, id: string): GroupEntry | undefined =>
  s.get(anonKeys.group(id)) as GroupEntry | undefined;
export const getRingKey = (s: StateReader, memberId: string): RingKeyEntry | undefined =>
  s.get(anonKeys.ringKey(memberId)) as RingKeyEntry | undefined;
export const getTrial = (s: StateReader, id: string): TrialEntry | undefined =>
  s.get(anonKeys.trial(id)) as TrialEntry | undefined;
export const getAnonTx = (s: StateReader, txId: string): AnonTxEntry | undefined =>
  s.get(anonKeys.anonTx(txId)) as AnonTxEntry | undefined;

/** The accumulator updates of an issuer from `from` (inclusive) to the current one. */
export function getAccumulatorUpdates(s: StateReader, org: string, from = 0): AccumulatorUpdateJson[] {
  const seq = getIssuer(s, org)?.seq ?? 0;
  const out: AccumulatorUpdateJson[] = [];
  for (let i = Math.max(0, from); i < seq; i++) {
    const u = s.get(anonKeys.accUpdate(org, i)) as AccumulatorUpdateJson | undefined;
    if (u) out.push(u);
  }
  return out;
}

/**
 * The UTC calendar date of a time in ms as the integer YYYYMMDD (the form credentials carry
 * dates in). Pure: `time` comes from the block.
 * @example utcDateNumber(Date.UTC(2026, 2, 15, 12)) === 20260315
 */
export function utcDateNumber(time: number): number {
  const d = new Date(time);
  return d.getUTCFullYear() * 10_000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
}

export const asJson = <T>(v: T): JsonValue => v as unknown as JsonValue;
