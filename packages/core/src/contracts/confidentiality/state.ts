/**
 * State of the confidentiality flows (issue 4): published scheme keys, ABE authorities,
 * PRE emergency set-ups and requests, homomorphic expenses and claims, PEKS indexes. Keys:
 *   pubkeys:<signerId>            PublishedKeys of a member (or `node:<org>`)
 *   abe:authority:<org>           AbeAuthorityEntry (an organization's ABE public key)
 *   prerecord:<recordId>          PreRecordEntry (a record PRE-encrypted to the patient)
 *   emergency:setup:<setupId>     EmergencySetup (threshold, proxies, sealed kfrags, revoked ids)
 *   emergency:request:<txId>      EmergencyRequest (the decision and the cfrags posted)
 *   he:expense:<id>, he:expenses:<patient> (an append-only list, stateList.ts), he:claim:<claimId>
 *   peks:index:<recordId>, peks:records:<patient>
 *
 * Contracts check only what they can check synchronously without a pairing engine or
 * Umbral's WASM: framing, sizes, who signs, consent, revocation, disjointness. The algebra
 * (points on the curve, kfrag/cfrag proofs, GCM tags) is checked by the party that uses it
 * (the proxy verifies its kfrag, the grantee its cfrags, the decryptor the ciphertext).
 */
import { fromB64u, type JsonValue } from '@medledger/crypto';
import { decodeFields, fieldString } from '@medledger/crypto/wire';
import { malformed } from '../../errors.js';
import type { StateReader } from '../../state.js';
import { B64U, str } from '../../validate.js';

export const C = 'INVALID_PAYLOAD';

/** Public keys a member (or a node) publishes for the confidentiality schemes (base64url). */
export interface PublishedKeys {
  [k: string]: JsonValue | undefined;
  /** Umbral (secp256k1) public key: the patient's delegating key, or a grantee's receiving key. */
  pre?: string;
  /** Umbral key that verifies the patient's kfrag signatures. */
  preVerifying?: string;
  /** Paillier public key (the patient's expenses are encrypted under it). */
  he?: string;
  /** Organization whose node holds the Paillier secret key in custody (absent: the patient). */
  heHolder?: string;
  /** PEKS public key (keyword indexes of the patient's records). */
  peks?: string;
  /** X25519 key a node proxy receives its sealed kfrags with (members use their enrolled key). */
  x25519?: string;
}

export interface AbeAuthorityEntry {
  [k: string]: JsonValue;
  org: string;
  publicKey: string;
  version: number;
  txId: string;
  height: number;
}

export interface PreRecordEntry {
  [k: string]: JsonValue;
  recordId: string;
  patient: string;
  subject: string;
  category: string;
  resourceType: string;
  org: string;
  author: string;
  /** Umbral capsule (base64url): all a proxy needs; the body stays in the transaction. */
  capsule: string;
  txId: string;
  height: number;
}

export interface EmergencyProxy {
  [k: string]: JsonValue;
  /** Member id, or `node:<org>` for an organization's node. */
  proxy: string;
  kfragId: string;
  /** The kfrag sealed to the proxy (HPKE envelope JSON, one receiver: the proxy). */
  sealed: { [k: string]: JsonValue };
}

export interface EmergencySetup {
  [k: string]: JsonValue;
  setupId: string;
  patient: string;
  grantId: string;
  delegatingPublicKey: string;
  verifyingPublicKey: string;
  receivingPublicKey: string;
  threshold: number;
  proxies: EmergencyProxy[];
  revoked: string[];
  txId: string;
  height: number;
}

export interface PostedCFrag {
  [k: string]: JsonValue;
  proxy: string;
  kfragId: string;
  cfrag: string;
  txId: string;
  height: number;
  time: number;
}

export interface EmergencyRequest {
  [k: string]: JsonValue;
  requestId: string;
  setupId: string;
  recordId: string;
  patient: string;
  requester: string;
  allow: boolean;
  code: string;
  /** The doctor's coded reason (processRequestEmergency.ts EMERGENCY_REASONS), if given. */
  reason?: string;
  threshold: number;
  cfrags: PostedCFrag[];
  height: number;
  time: number;
}

export interface HeExpense {
  [k: string]: JsonValue;
  expenseId: string;
  patient: string;
  org: string;
  author: string;
  /** EncryptedAmount bytes (one item), base64url. */
  amount: string;
  txId: string;
  height: number;
  time: number;
  claimId: string | null;
}

export interface HeClaim {
  [k: string]: JsonValue;
  claimId: string;
  patient: string;
  insurer: string;
  insurerOrg: string;
  expenseIds: string[];
  /** heSum of the items, computed by the contract (EncryptedAmount bytes, base64url). */
  aggregate: string;
  count: number;
  status: 'requested' | 'released';
  /** The total and its Paillier randomness, sealed to the insurer (HPKE envelope JSON). */
  sealed: { [k: string]: JsonValue } | null;
  txId: string;
  height: number;
  time: number;
}

export interface PeksIndexEntry {
  [k: string]: JsonValue;
  recordId: string;
  patient: string;
  author: string;
  indexes: string[];
  txId: string;
  height: number;
}

export const ckeys = {
  pubkeys: (id: string): string => `pubkeys:${id}`,
  abeAuthority: (org: string): string => `abe:authority:${org}`,
  preRecord: (id: string): string => `prerecord:${id}`,
  setup: (id: string): string => `emergency:setup:${id}`,
  request: (txId: string): string => `emergency:request:${txId}`,
  expense: (id: string): string => `he:expense:${id}`,
  expenses: (patient: string): string => `he:expenses:${patient}`,
  claim: (id: string): string => `he:claim:${id}`,
  peksIndex: (recordId: string): string => `peks:index:${recordId}`,
  peksRecords: (patient: string): string => `peks:records:${patient}`,
};

const get =
  <T>(key: (id: string) => string) =>
  (s: StateReader, id: string): T | undefined =>
    s.get(key(id)) as T | undefined;

export const getPublishedKeys = get<PublishedKeys>(ckeys.pubkeys);
export const getAbeAuthority = get<AbeAuthorityEntry>(ckeys.abeAuthority);
export const getPreRecord = get<PreRecordEntry>(ckeys.preRecord);
export const getEmergencySetup = get<EmergencySetup>(ckeys.setup);
export const getEmergencyRequest = get<EmergencyRequest>(ckeys.request);
export const getHeExpense = get<HeExpense>(ckeys.expense);
export const getHeClaim = get<HeClaim>(ckeys.claim);
export const getPeksIndex = get<PeksIndexEntry>(ckeys.peksIndex);
export const getList = (s: StateReader, key: string): string[] => (s.get(key) as string[] | undefined) ?? [];

/** Least number of items in a decrypted total (a single item would be its own total). */
export const HE_MIN_TERMS = 2;
/** How long after an emergency request proxies may post cfrags for it (block time). */
export const EMERGENCY_WINDOW_MS = 60 * 60 * 1000;
/** Most proxies in one emergency set-up. */
export const EMERGENCY_MAX_PROXIES = 16;

/** A base64url field decoded, with a byte bound; throws INVALID_PAYLOAD naming the path. */
export function b64(v: unknown, path: string, maxBytes: number): Uint8Array {
  const s = str(v, path, C, Math.ceil((maxBytes * 4) / 3) + 4, B64U);
  let b: Uint8Array;
  try {
    b = fromB64u(s);
  } catch {
    return malformed(C, path, 'must be canonical base64url');
  }
  if (b.length > maxBytes) malformed(C, path, `must be at most ${maxBytes} bytes`);
  return b;
}

/**
 * Checks the framing of a scheme object (crypto/wire.ts) without decoding its points:
 * the tag, the field count and the exact length of each field (undefined: any length).
 */
export function framed(
  bytes: Uint8Array,
  tag: string,
  lengths: readonly (number | undefined)[],
  path: string,
): Uint8Array[] {
  let f: Uint8Array[];
  try {
    f = decodeFields(tag, bytes, path, lengths.length);
  } catch (e) {
    return malformed(C, path, (e as Error).message);
  }
  f.forEach((x, i) => {
    const want = lengths[i];
    if (want !== undefined && x.length !== want) malformed(C, path, `field ${i} must be ${want} bytes`);
  });
  return f;
}

/** The string in a framed field, as a payload error. */
export function framedString(b: Uint8Array, path: string): string {
  try {
    return fieldString(b, path);
  } catch (e) {
    return malformed(C, path, (e as Error).message);
  }
}

/** A compressed secp256k1 public key (Umbral). */
export function umbralPublicKey(v: unknown, path: string): string {
  const b = b64(v, path, 33);
  if (b.length !== 33 || (b[0] !== 2 && b[0] !== 3)) malformed(C, path, 'must be a 33-byte compressed key');
  return v as string;
}
