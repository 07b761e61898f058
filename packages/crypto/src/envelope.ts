/**
 * Multi-receiver envelopes for the STT chain (survey §6.2: "one content key per record,
 * wrapped for each receiver"). A record is encrypted once with AES-256-GCM under a fresh
 * random 256-bit content key; the content key is wrapped for each receiver with HPKE
 * (RFC 9180) in base mode with DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and AES-256-GCM:
 * `hpkeSealBase` / `hpkeOpenBase` of primitives.ts (an implementation over node:crypto in Node,
 * `@hpke/core` in a browser; both checked against RFC 9180 Appendix A.1 and each other in
 * `test/rfc9180-hpke-twins.test.ts`).
 *
 * Layout: `body = AES-256-GCM(contentKey, nonce, plaintext, aad)` where `aad` is the caller's
 * context (e.g. the record id). Each wrap is `HPKE.Seal(pkR, info = "medledger/envelope/v1",
 * aad = wrapContext, contentKey)` where `wrapContext` binds the receiver id, the SHA-256 of
 * `nonce || body` and the caller's `aad`, so a wrap cannot be relabelled to another receiver
 * nor moved to another envelope. Re-sharing (`addReceivers`) unwraps the content key and wraps
 * it for new receivers without touching the body: one more edge in the record's transmission
 * DAG, at the cost of one HPKE seal per new receiver.
 *
 * Crypto-shredding (erasure, GDPR Art. 17): the body is useless without a wrapped key. Drop
 * every wrap (`shredEnvelope`) and ciphertext left on an immutable ledger is unreadable, as
 * long as the wraps themselves were stored where they can be deleted (node state or the
 * off-chain key store, not inside an immutable block) and no receiver kept the content key or
 * the plaintext.
 *
 * Threat model: protects the confidentiality and integrity of the record against everyone who
 * holds no receiver private key (other members, node operators, anyone reading the chain),
 * and binds the body to its `aad`. It does NOT authenticate the sender (base mode): any
 * receiver knows the content key and could build a different body under it, so authorship
 * comes from the signed transaction that carries the envelope. It does not hide the number
 * of receivers, their ids, or the body length. Removing a receiver does not revoke a key
 * already unwrapped: to exclude someone for the future, seal a new envelope with a new key.
 * No forward secrecy for receiver keys: a leaked receiver private key opens every envelope
 * ever wrapped for it.
 */
import { assertBytes, assertString } from './assert.js';
import { concatBytes, fromB64u, toB64u, utf8, type RandomSource } from './bytes.js';
import {
  aes256GcmDecrypt,
  aes256GcmEncrypt,
  hpkeOpenBase,
  hpkeSealBase,
  sha256Raw,
  x25519PublicKeyRaw,
} from './primitives.js';
import { randomBytes } from './random.js';

/** Format version written in every envelope. */
export const ENVELOPE_VERSION = 1;
/** The HPKE suite of every wrap, written in the JSON form. */
export const ENVELOPE_SUITE = 'HPKE-base/X25519-HKDF-SHA256/HKDF-SHA256/AES-256-GCM';
/** Bytes of a content key (AES-256). */
export const CONTENT_KEY_BYTES = 32;
/** Bytes of the body nonce (AES-GCM). */
export const ENVELOPE_NONCE_BYTES = 12;
/** Bytes of an AES-GCM tag. */
export const ENVELOPE_TAG_BYTES = 16;
/** Bytes of an HPKE `enc` for X25519. */
export const ENVELOPE_ENC_BYTES = 32;
/** Bytes of a wrapped content key: the key plus an AES-GCM tag. */
export const WRAPPED_KEY_BYTES = CONTENT_KEY_BYTES + ENVELOPE_TAG_BYTES;
/** Longest receiver id accepted, in UTF-8 bytes. */
export const MAX_RECEIVER_ID_BYTES = 256;

const INFO = utf8('medledger/envelope/v1');
const WRAP_TAG = utf8('medledger/envelope-wrap/v1');

/** An X25519 key pair as raw 32-byte strings. */
export interface EncryptionKeyPair {
  /** Raw X25519 scalar — secret. */
  privateKey: Uint8Array;
  /** Raw X25519 u-coordinate. */
  publicKey: Uint8Array;
}

/** A receiver to wrap the content key for. */
export interface EnvelopeReceiver {
  /** The receiver's member id (or any stable, non-secret label), unique in the envelope. */
  id: string;
  /** Raw 32-byte X25519 public key. */
  publicKey: Uint8Array;
}

/** A receiver's key, used to open an envelope. */
export interface EnvelopeReceiverKey {
  id: string;
  /** Raw 32-byte X25519 private key — secret. */
  privateKey: Uint8Array;
}

/** The content key wrapped for one receiver. */
export interface WrappedKey {
  id: string;
  /** HPKE encapsulated key (the ephemeral X25519 public key), 32 bytes. */
  enc: Uint8Array;
  /** HPKE ciphertext of the content key, 48 bytes. */
  wrappedKey: Uint8Array;
}

/** A record encrypted once, with its content key wrapped for each receiver. */
export interface Envelope {
  version: typeof ENVELOPE_VERSION;
  /** AES-GCM nonce of the body, 12 bytes. */
  nonce: Uint8Array;
  /** AES-256-GCM ciphertext of the record followed by its 16-byte tag. */
  ciphertext: Uint8Array;
  /** One wrap per receiver; empty once shredded. */
  receivers: WrappedKey[];
}

/** The JSON form of an {@link Envelope}: every byte string is base64url without padding. */
export interface EnvelopeJson {
  version: typeof ENVELOPE_VERSION;
  suite: typeof ENVELOPE_SUITE;
  nonce: string;
  ciphertext: string;
  receivers: { id: string; enc: string; wrappedKey: string }[];
}

/** Parameters of {@link sealEnvelope}. */
export interface SealEnvelopeParameters {
  plaintext: Uint8Array;
  receivers: readonly EnvelopeReceiver[];
  /** Context bound to the body and to every wrap (e.g. the UTF-8 record id). */
  aad: Uint8Array;
  /** Source of the content key, nonce and ephemeral keys (default: the OS CSPRNG). */
  random?: RandomSource;
}

/**
 * Generates an X25519 key pair for receiving envelopes.
 * @param random source of the 32-byte private key (default: the OS CSPRNG)
 * @example const bob = generateEncryptionKeyPair(); // share bob.publicKey
 */
export function generateEncryptionKeyPair(random: RandomSource = randomBytes): EncryptionKeyPair {
  const privateKey = random(32);
  assertBytes(privateKey, 'random output', 32);
  return { privateKey: privateKey.slice(), publicKey: encryptionPublicKeyOf(privateKey) };
}

/**
 * The raw X25519 public key of a raw X25519 private key.
 * @throws TypeError / RangeError unless `privateKey` is 32 bytes
 */
export function encryptionPublicKeyOf(privateKey: Uint8Array): Uint8Array {
  assertBytes(privateKey, 'privateKey', 32);
  return x25519PublicKeyRaw(privateKey);
}

function assertReceiverId(id: unknown, name: string): asserts id is string {
  assertString(id, name, true);
  if (utf8(id).length > MAX_RECEIVER_ID_BYTES) {
    throw new RangeError(`${name} must be at most ${MAX_RECEIVER_ID_BYTES} bytes`);
  }
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

/** HPKE aad of a wrap: binds the receiver id, the body and the caller's context. */
function wrapContext(id: string, nonce: Uint8Array, ciphertext: Uint8Array, aad: Uint8Array): Uint8Array {
  const idBytes = utf8(id);
  const body = sha256Raw(concatBytes(nonce, ciphertext));
  return concatBytes(WRAP_TAG, u32(idBytes.length), idBytes, body, u32(aad.length), aad);
}

async function wrapFor(
  receivers: readonly EnvelopeReceiver[],
  contentKey: Uint8Array,
  nonce: Uint8Array,
  ciphertext: Uint8Array,
  aad: Uint8Array,
  random: RandomSource,
): Promise<WrappedKey[]> {
  const out: WrappedKey[] = [];
  for (const r of receivers) {
    const ekm = random(32);
    assertBytes(ekm, 'random output', 32);
    let sealed: { enc: Uint8Array; ct: Uint8Array };
    try {
      sealed = await hpkeSealBase(
        r.publicKey,
        INFO,
        wrapContext(r.id, nonce, ciphertext, aad),
        contentKey,
        ekm,
      );
    } catch {
      // e.g. a low-order public key, whose shared secret would be all zeros (RFC 9180 §7.1.4)
      throw new TypeError('receiver publicKey is not usable for X25519');
    }
    out.push({ id: r.id, enc: sealed.enc, wrappedKey: sealed.ct });
  }
  return out;
}

function checkReceivers(receivers: unknown, existing: readonly WrappedKey[] = []): EnvelopeReceiver[] {
  if (!Array.isArray(receivers)) throw new TypeError('receivers must be an array');
  const seen = new Set(existing.map((w) => w.id));
  const out: EnvelopeReceiver[] = [];
  for (const r of receivers as unknown[]) {
    if (typeof r !== 'object' || r === null) throw new TypeError('receiver must be an object');
    const { id, publicKey } = r as { id?: unknown; publicKey?: unknown };
    assertReceiverId(id, 'receiver id');
    assertBytes(publicKey, 'receiver publicKey', 32);
    if (seen.has(id)) throw new RangeError('duplicate receiver id');
    seen.add(id);
    out.push({ id, publicKey });
  }
  return out;
}

function checkEnvelope(e: unknown): asserts e is Envelope {
  if (typeof e !== 'object' || e === null) throw new TypeError('envelope must be an object');
  const env = e as Partial<Envelope>;
  if (env.version !== ENVELOPE_VERSION) throw new TypeError('unsupported envelope version');
  assertBytes(env.nonce, 'envelope nonce', ENVELOPE_NONCE_BYTES);
  assertBytes(env.ciphertext, 'envelope ciphertext');
  if (env.ciphertext.length < ENVELOPE_TAG_BYTES) throw new RangeError('envelope ciphertext too short');
  if (!Array.isArray(env.receivers)) throw new TypeError('envelope receivers must be an array');
}

/**
 * Encrypts `plaintext` once under a fresh content key and wraps that key for each receiver.
 * @param params.receivers distinct ids with raw X25519 public keys (may be empty: nobody can open it)
 * @param params.aad context bound to the body and to every wrap; the same bytes open it
 * @throws TypeError / RangeError on malformed inputs, a duplicate receiver id, or a public key
 *   that X25519 rejects
 * @example
 * const env = await sealEnvelope({ plaintext, receivers: [{ id: 'dr-bob', publicKey }], aad: utf8(recordId) });
 */
export async function sealEnvelope(params: SealEnvelopeParameters): Promise<Envelope> {
  if (typeof params !== 'object' || params === null) throw new TypeError('params must be an object');
  const { plaintext, aad } = params;
  const random = params.random ?? randomBytes;
  assertBytes(plaintext, 'plaintext');
  assertBytes(aad, 'aad');
  const receivers = checkReceivers(params.receivers);
  const contentKey = random(CONTENT_KEY_BYTES);
  assertBytes(contentKey, 'random output', CONTENT_KEY_BYTES);
  const nonceRaw = random(ENVELOPE_NONCE_BYTES);
  assertBytes(nonceRaw, 'random output', ENVELOPE_NONCE_BYTES);
  const nonce = nonceRaw.slice();
  const ciphertext = aes256GcmEncrypt(contentKey, nonce, plaintext, aad);
  try {
    const wraps = await wrapFor(receivers, contentKey, nonce, ciphertext, aad, random);
    return { version: ENVELOPE_VERSION, nonce, ciphertext, receivers: wraps };
  } finally {
    contentKey.fill(0);
  }
}

/** Unwraps the content key for `receiver` and checks it against the body. */
async function unwrap(
  envelope: Envelope,
  receiver: EnvelopeReceiverKey,
  aad: Uint8Array,
): Promise<Uint8Array> {
  checkEnvelope(envelope);
  if (typeof receiver !== 'object' || receiver === null) throw new TypeError('receiver must be an object');
  assertReceiverId(receiver.id, 'receiver id');
  assertBytes(receiver.privateKey, 'receiver privateKey', 32);
  assertBytes(aad, 'aad');
  const wrap = envelope.receivers.find((w) => w.id === receiver.id);
  if (!wrap) throw new Error('not a receiver');
  let contentKey: Uint8Array;
  try {
    contentKey = await hpkeOpenBase(
      receiver.privateKey,
      wrap.enc,
      INFO,
      wrapContext(wrap.id, envelope.nonce, envelope.ciphertext, aad),
      wrap.wrappedKey,
    );
  } catch {
    throw new Error('decryption failed');
  }
  if (contentKey.length !== CONTENT_KEY_BYTES) throw new Error('decryption failed');
  return contentKey;
}

function decryptBody(envelope: Envelope, contentKey: Uint8Array, aad: Uint8Array): Uint8Array {
  return aes256GcmDecrypt(contentKey, envelope.nonce, envelope.ciphertext, aad);
}

/**
 * Opens an envelope as one of its receivers.
 * @param aad the context the envelope was sealed with
 * @returns the plaintext
 * @throws Error('not a receiver') if no wrap carries `receiver.id`; Error('decryption failed')
 *   if the key, the aad or any byte of the envelope is wrong; TypeError/RangeError on
 *   malformed inputs
 * @example const record = await openEnvelope(env, { id: 'dr-bob', privateKey }, utf8(recordId));
 */
export async function openEnvelope(
  envelope: Envelope,
  receiver: EnvelopeReceiverKey,
  aad: Uint8Array,
): Promise<Uint8Array> {
  const contentKey = await unwrap(envelope, receiver, aad);
  try {
    return decryptBody(envelope, contentKey, aad);
  } finally {
    contentKey.fill(0);
  }
}

/**
 * Re-shares an envelope: an existing receiver unwraps the content key and wraps it for new
 * receivers; the body is not re-encrypted. The existing receiver's wrap is checked by
 * decrypting the body first, so a bad key is never propagated.
 * @returns a new envelope with the new wraps appended (the input is not modified)
 * @throws the errors of {@link openEnvelope}; RangeError('duplicate receiver id') if a new id
 *   is already a receiver
 * @example const env2 = await addReceivers(env, { id: 'dr-bob', privateKey }, [{ id: 'lab-1', publicKey }], aad);
 */
export async function addReceivers(
  envelope: Envelope,
  receiver: EnvelopeReceiverKey,
  newReceivers: readonly EnvelopeReceiver[],
  aad: Uint8Array,
  random: RandomSource = randomBytes,
): Promise<Envelope> {
  checkEnvelope(envelope);
  const fresh = checkReceivers(newReceivers, envelope.receivers);
  const contentKey = await unwrap(envelope, receiver, aad);
  try {
    decryptBody(envelope, contentKey, aad).fill(0);
    const wraps = await wrapFor(fresh, contentKey, envelope.nonce, envelope.ciphertext, aad, random);
    return {
      version: ENVELOPE_VERSION,
      nonce: envelope.nonce.slice(),
      ciphertext: envelope.ciphertext.slice(),
      receivers: [...envelope.receivers.map(copyWrap), ...wraps],
    };
  } finally {
    contentKey.fill(0);
  }
}

function copyWrap(w: WrappedKey): WrappedKey {
  return { id: w.id, enc: w.enc.slice(), wrappedKey: w.wrappedKey.slice() };
}

/**
 * Drops the wraps of the given receivers (no key material is needed). This stops future
 * readers of this copy only; a receiver that already unwrapped the key keeps it.
 * @example const env2 = removeReceivers(env, ['lab-1']);
 */
export function removeReceivers(envelope: Envelope, ids: readonly string[]): Envelope {
  checkEnvelope(envelope);
  const drop = new Set(ids);
  return {
    version: ENVELOPE_VERSION,
    nonce: envelope.nonce.slice(),
    ciphertext: envelope.ciphertext.slice(),
    receivers: envelope.receivers.filter((w) => !drop.has(w.id)).map(copyWrap),
  };
}

/**
 * Crypto-shredding: drops every wrapped key. The remaining body (e.g. the copy on the
 * immutable ledger) cannot be decrypted by anyone who did not keep the content key.
 * @example store.replace(recordId, shredEnvelope(env)); // then delete every stored wrap
 */
export function shredEnvelope(envelope: Envelope): Envelope {
  return removeReceivers(
    envelope,
    envelope.receivers.map((w) => w.id),
  );
}

/** True when no wrapped key remains: the body is unreadable without a kept content key. */
export function isShredded(envelope: Envelope): boolean {
  checkEnvelope(envelope);
  return envelope.receivers.length === 0;
}

/** The ids that can open the envelope, in wrap order. */
export function envelopeReceiverIds(envelope: Envelope): string[] {
  checkEnvelope(envelope);
  return envelope.receivers.map((w) => w.id);
}

/**
 * The JSON form of an envelope (byte strings as base64url).
 * @example JSON.stringify(envelopeToJson(env))
 */
export function envelopeToJson(envelope: Envelope): EnvelopeJson {
  checkEnvelope(envelope);
  return {
    version: ENVELOPE_VERSION,
    suite: ENVELOPE_SUITE,
    nonce: toB64u(envelope.nonce),
    ciphertext: toB64u(envelope.ciphertext),
    receivers: envelope.receivers.map((w) => ({
      id: w.id,
      enc: toB64u(w.enc),
      wrappedKey: toB64u(w.wrappedKey),
    })),
  };
}

function field(obj: Record<string, unknown>, key: string, where: string): string {
  const v = obj[key];
  if (typeof v !== 'string') throw new TypeError(`${where}.${key} must be a string`);
  return v;
}

function bytesField(obj: Record<string, unknown>, key: string, where: string, length?: number): Uint8Array {
  let b: Uint8Array;
  try {
    b = fromB64u(field(obj, key, where));
  } catch {
    throw new TypeError(`${where}.${key} must be base64url without padding`);
  }
  if (length !== undefined && b.length !== length) {
    throw new TypeError(`${where}.${key} must decode to ${length} bytes, got ${b.length}`);
  }
  return b;
}

function exactKeys(obj: Record<string, unknown>, keys: readonly string[], where: string): void {
  for (const k of Object.keys(obj))
    if (!keys.includes(k)) throw new TypeError(`${where} has unknown field ${k}`);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parses and validates the JSON form of an envelope (a parsed object, not a string).
 * @throws TypeError naming the first bad field: wrong type, unknown field, unsupported
 *   version or suite, bad base64url, wrong length, empty/too long/duplicate receiver id
 * @example const env = envelopeFromJson(JSON.parse(text));
 */
export function envelopeFromJson(json: unknown): Envelope {
  if (!isPlainObject(json)) throw new TypeError('envelope must be a JSON object');
  exactKeys(json, ['version', 'suite', 'nonce', 'ciphertext', 'receivers'], 'envelope');
  if (json.version !== ENVELOPE_VERSION) throw new TypeError(`envelope.version must be ${ENVELOPE_VERSION}`);
  if (json.suite !== ENVELOPE_SUITE) throw new TypeError(`envelope.suite must be ${ENVELOPE_SUITE}`);
  const nonce = bytesField(json, 'nonce', 'envelope', ENVELOPE_NONCE_BYTES);
  const ciphertext = bytesField(json, 'ciphertext', 'envelope');
  if (ciphertext.length < ENVELOPE_TAG_BYTES) {
    throw new TypeError(`envelope.ciphertext must be at least ${ENVELOPE_TAG_BYTES} bytes`);
  }
  if (!Array.isArray(json.receivers)) throw new TypeError('envelope.receivers must be an array');
  const seen = new Set<string>();
  const receivers = (json.receivers as unknown[]).map((r, i): WrappedKey => {
    const where = `envelope.receivers[${i}]`;
    if (!isPlainObject(r)) throw new TypeError(`${where} must be an object`);
    exactKeys(r, ['id', 'enc', 'wrappedKey'], where);
    const id = field(r, 'id', where);
    if (id.length === 0) throw new TypeError(`${where}.id must not be empty`);
    if (utf8(id).length > MAX_RECEIVER_ID_BYTES) {
      throw new TypeError(`${where}.id must be at most ${MAX_RECEIVER_ID_BYTES} bytes`);
    }
    if (seen.has(id)) throw new TypeError(`${where}.id is a duplicate`);
    seen.add(id);
    return {
      id,
      enc: bytesField(r, 'enc', where, ENVELOPE_ENC_BYTES),
      wrappedKey: bytesField(r, 'wrappedKey', where, WRAPPED_KEY_BYTES),
    };
  });
  return { version: ENVELOPE_VERSION, nonce, ciphertext, receivers };
}
