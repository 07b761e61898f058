/**
 * Threshold proxy re-encryption for delegated and emergency access: Umbral (Nuñez,
 * "Umbral: a threshold proxy re-encryption scheme", NuCypher 2018), via
 * @nucypher/umbral-pre 0.10.0 (secp256k1, WASM). A record is encrypted once to the patient
 * (the delegator). The patient gives n proxies (GP, family member, hospital node) one
 * re-encryption key fragment (kfrag) each for a grantee (an emergency doctor); any m of them
 * transform the capsule into capsule fragments (cfrags) that only the grantee can combine
 * and open. Proxies never see the record or a key that opens it.
 *
 * Revocation: every kfrag has an id (tagged SHA-256 of its bytes, hex); the patient
 * publishes revoked ids (on the ledger) and `preReencrypt` refuses a revoked kfrag. kfrags
 * are verified by the proxy (signed by the patient's signing key, bound to delegator and
 * grantee) and cfrags by the grantee before use.
 *
 * Threat model. Protects against: up to m − 1 colluding proxies (they learn nothing of the
 * record, nor can they decrypt with the grantee's public key); fewer than m cfrags; a
 * grantee other than the one the kfrags were made for; forged or altered kfrags and cfrags
 * (signature and correctness-proof checks). Does NOT protect against: m colluding proxies
 * together with the grantee's secret key, or m proxies colluding with each other and the
 * grantee; a proxy that ignores the revocation list (revocation relies on honest proxies:
 * to revoke against dishonest ones, re-encrypt the record under a new key); a grantee who
 * copies the record once he has read it. Randomness comes from umbral's own OS CSPRNG and
 * cannot be injected. Memory: umbral objects live in the WASM heap, which never shrinks and
 * has no finalizer; every object made here is freed in a `finally` (see `preLiveObjects`).
 */
import * as umbral from '@nucypher/umbral-pre';
import { assertBytes, assertInt } from './assert.js';
import { toHex } from './bytes.js';
import { hashTagged } from './hash.js';
import { hkdfSha256 } from './primitives.js';
import { decodeFields, encodeFields } from './wire.js';

type Freeable = { free(): void };
let live = 0;

/** Registers an object for freeing at scope exit. */
type Own = <T extends Freeable>(o: T) => T;
/** Calls a method that takes ownership of `o` (umbral's `verify`), so the scope must not free it. */
type Consume = <R>(o: Freeable, call: () => R) => R;

/** Runs `fn` with a scope whose umbral objects are all freed when it returns or throws. */
function scoped<R>(fn: (own: Own, consume: Consume) => R): R {
  const objs: Freeable[] = [];
  const own: Own = (o) => {
    objs.push(o);
    live++;
    return o;
  };
  const consume: Consume = (o, call) => {
    const i = objs.indexOf(o);
    if (i >= 0) {
      objs.splice(i, 1);
      live--;
    }
    return call(); // wasm-bindgen moves `o` into Rust even when the call throws
  };
  try {
    return fn(own, consume);
  } finally {
    for (const o of objs.reverse()) {
      o.free();
      live--;
    }
  }
}

/** Number of umbral WASM objects created here and not yet freed (0 between calls). */
export function preLiveObjects(): number {
  return live;
}

function parse<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch {
    throw new TypeError(`${what} is malformed`);
  }
}

/** A PRE key pair: 32-byte big-endian secret scalar, 33-byte compressed public key. */
export interface PreKeyPair {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

/** Creates a secp256k1 key pair for Umbral (encryption or kfrag signing). */
export function generatePreKeyPair(): PreKeyPair {
  return scoped((own) => {
    const sk = own(umbral.SecretKey.random());
    return { secretKey: sk.toBEBytes(), publicKey: own(sk.publicKey()).toCompressedBytes() };
  });
}

const SEED_INFO = new TextEncoder().encode('medledger/pre-key/v1');

/**
 * A member's Umbral key pair derived from a 32-byte secret they already hold (their wallet's
 * X25519 key), so the same receiving key comes back at every sign-in without storing another
 * secret: HKDF-SHA256 (RFC 5869) with its own info string, so the two keys are independent;
 * an output that is not a valid secp256k1 scalar (probability about 2^-128) moves on to the
 * next counter.
 * @throws RangeError if `seed` is not 32 bytes
 * @example const { publicKey } = preKeyPairFromSeed(wallet.encryption.privateKey);
 */
export function preKeyPairFromSeed(seed: Uint8Array): PreKeyPair {
  assertBytes(seed, 'seed', 32);
  for (let i = 0; ; i++) {
    const secretKey = hkdfSha256(seed, new Uint8Array([i]), SEED_INFO, 32);
    try {
      return scoped((own) => {
        const k = own(umbral.SecretKey.fromBEBytes(secretKey));
        return { secretKey, publicKey: own(k.publicKey()).toCompressedBytes() };
      });
    } catch {
      if (i >= 8) throw new RangeError('no valid key from this seed');
    }
  }
}

const sk = (b: Uint8Array, what: string): umbral.SecretKey => {
  assertBytes(b, what);
  return parse(what, () => umbral.SecretKey.fromBEBytes(b));
};
const pk = (b: Uint8Array, what: string): umbral.PublicKey => {
  assertBytes(b, what);
  return parse(what, () => umbral.PublicKey.fromCompressedBytes(b));
};

/** A record encrypted to the delegator: the capsule (key encapsulation) and the DEM body. */
export class PreCiphertext {
  constructor(
    readonly capsule: Uint8Array,
    readonly ciphertext: Uint8Array,
  ) {}
  toBytes(): Uint8Array {
    return encodeFields('ml-pre-ct/1', [this.capsule, this.ciphertext]);
  }
  /** @throws TypeError on malformed input. */
  static fromBytes(b: Uint8Array): PreCiphertext {
    const [c, ct] = decodeFields('ml-pre-ct/1', b, 'PRE ciphertext', 2) as [Uint8Array, Uint8Array];
    scoped((own) => own(parse('PRE capsule', () => umbral.Capsule.fromBytes(c))));
    return new PreCiphertext(c, ct);
  }
}

/**
 * Encrypts `plaintext` to the delegator's public key.
 * @example const ct = preEncrypt(patient.publicKey, record);
 */
export function preEncrypt(delegatingPk: Uint8Array, plaintext: Uint8Array): PreCiphertext {
  assertBytes(plaintext, 'plaintext');
  return scoped((own) => {
    const [capsule, ct] = umbral.encrypt(own(pk(delegatingPk, 'delegating public key')), plaintext);
    own(capsule);
    return new PreCiphertext(capsule.toBytes(), ct);
  });
}

/** The delegator opens his own ciphertext. @throws Error if the key is wrong or data altered. */
export function preDecryptOriginal(delegatingSk: Uint8Array, ct: PreCiphertext): Uint8Array {
  return scoped((own) => {
    const capsule = own(parse('PRE capsule', () => umbral.Capsule.fromBytes(ct.capsule)));
    try {
      return umbral.decryptOriginal(own(sk(delegatingSk, 'delegating secret key')), capsule, ct.ciphertext);
    } catch {
      throw new Error('PRE decryption failed');
    }
  });
}

/** The revocation id of a kfrag: hex SHA-256 under a medledger tag. */
export function preKFragId(kfrag: Uint8Array): string {
  assertBytes(kfrag, 'kfrag');
  return toHex(hashTagged('medledger/pre-kfrag/v1', kfrag));
}

/** Parameters of `preGenerateKFrags`. */
export interface PreGenerateKFragsParameters {
  delegatingSecretKey: Uint8Array;
  /** Signs the kfrags so proxies and the grantee can check they come from the delegator. */
  signingSecretKey: Uint8Array;
  receivingPublicKey: Uint8Array;
  threshold: number;
  shares: number;
}

/**
 * Makes `shares` kfrags, any `threshold` of which let the grantee decrypt.
 * @throws RangeError unless 1 ≤ threshold ≤ shares ≤ 255.
 * @example preGenerateKFrags({ delegatingSecretKey, signingSecretKey, receivingPublicKey: doctorPk, threshold: 2, shares: 3 })
 */
export function preGenerateKFrags(p: PreGenerateKFragsParameters): Array<{ id: string; kfrag: Uint8Array }> {
  assertInt(p.shares, 'shares', 1, 255);
  assertInt(p.threshold, 'threshold', 1, p.shares);
  return scoped((own) => {
    const signer = own(new umbral.Signer(own(sk(p.signingSecretKey, 'signing secret key'))));
    const frags = umbral.generateKFrags(
      own(sk(p.delegatingSecretKey, 'delegating secret key')),
      own(pk(p.receivingPublicKey, 'receiving public key')),
      signer,
      p.threshold,
      p.shares,
      true,
      true,
    );
    return frags.map((f) => {
      const kfrag = own(f).toBytes();
      return { id: preKFragId(kfrag), kfrag };
    });
  });
}

/** The public keys a proxy or grantee checks fragments against. */
export interface PreParties {
  delegatingPublicKey: Uint8Array;
  receivingPublicKey: Uint8Array;
  /** The delegator's kfrag-signing public key. */
  verifyingPublicKey: Uint8Array;
}

/**
 * A proxy re-encrypts the capsule with its kfrag, after checking the kfrag is not revoked
 * and was made by the delegator for this grantee.
 * @returns the cfrag bytes for the grantee.
 * @throws Error('kfrag revoked') / Error('kfrag verification failed'); TypeError on malformed input.
 */
export function preReencrypt(
  ct: PreCiphertext,
  kfrag: Uint8Array,
  parties: PreParties,
  revokedKFragIds: ReadonlySet<string> = new Set(),
): Uint8Array {
  if (revokedKFragIds.has(preKFragId(kfrag))) throw new Error('kfrag revoked');
  return scoped((own, consume) => {
    const kf = own(parse('kfrag', () => umbral.KeyFrag.fromBytes(kfrag)));
    const capsule = own(parse('PRE capsule', () => umbral.Capsule.fromBytes(ct.capsule)));
    const [v, d, r] = keys(own, parties);
    let vkf: umbral.VerifiedKeyFrag;
    try {
      vkf = own(consume(kf, () => kf.verify(v, d, r)));
    } catch {
      throw new Error('kfrag verification failed');
    }
    return own(umbral.reencrypt(capsule, vkf)).toBytes();
  });
}

function keys(
  own: <T extends Freeable>(o: T) => T,
  p: PreParties,
): [umbral.PublicKey, umbral.PublicKey, umbral.PublicKey] {
  return [
    own(pk(p.verifyingPublicKey, 'verifying public key')),
    own(pk(p.delegatingPublicKey, 'delegating public key')),
    own(pk(p.receivingPublicKey, 'receiving public key')),
  ];
}

/**
 * The grantee verifies the cfrags and decrypts. Needs `threshold` distinct valid cfrags.
 * @throws Error('cfrag verification failed') if any cfrag is invalid; RangeError if fewer
 *   than `threshold` distinct cfrags; Error('PRE decryption failed') otherwise.
 */
export function preDecryptReencrypted(
  receivingSk: Uint8Array,
  ct: PreCiphertext,
  cfrags: readonly Uint8Array[],
  parties: PreParties,
  threshold: number,
): Uint8Array {
  assertInt(threshold, 'threshold', 1, 255);
  const distinct = new Map(cfrags.map((c) => (assertBytes(c, 'cfrag'), [toHex(c), c])));
  if (distinct.size < threshold)
    throw new RangeError(`need ${threshold} distinct cfrags, got ${distinct.size}`);
  return scoped((own, consume) => {
    const capsule = own(parse('PRE capsule', () => umbral.Capsule.fromBytes(ct.capsule)));
    const [v, d, r] = keys(own, parties);
    const verified = [...distinct.values()].map((c) => {
      const cf = own(parse('cfrag', () => umbral.CapsuleFrag.fromBytes(c)));
      try {
        return own(consume(cf, () => cf.verify(capsule, v, d, r)));
      } catch {
        throw new Error('cfrag verification failed');
      }
    });
    try {
      return umbral.decryptReencrypted(
        own(sk(receivingSk, 'receiving secret key')),
        d,
        capsule,
        verified,
        ct.ciphertext,
      );
    } catch {
      throw new Error('PRE decryption failed');
    }
  });
}
