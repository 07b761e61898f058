/**
 * Signers: what holds a member's P-256 key and signs for it. Two implementations give the
 * same signature bytes, the 64-byte low-S r || s form that `verifyP256` (and so every node)
 * accepts:
 *
 * - {@link createKeySigner}: a PKCS#8 key imported into the platform's key object (Node's
 *   OpenSSL `KeyObject`; pure JS in a browser bundle). Signs synchronously: the CLI, the node
 *   and tests, at the speed they have today.
 * - {@link createWebCryptoSigner}: a WebCrypto `CryptoKey` (ECDSA P-256, SHA-256), which may
 *   be non-extractable, so that script in the page cannot read it (issue 13: keys made in the
 *   browser). Signs asynchronously. Works with Node 20's `globalThis.crypto.subtle` too.
 *
 * WebCrypto returns r || s (IEEE P1363), like OpenSSL with `dsaEncoding: 'ieee-p1363'`, but
 * either form of s (FIPS 186-5 allows both); the signer folds s into the low half, as
 * `signP256` does, so that a signature has one encoding.
 */
import {
  importP256PrivateKey,
  isLowSP256,
  negateP256S,
  p256PublicKeyOf,
  signP256,
  type P256PrivateKey,
} from '@medledger/crypto';

/** A private key as the client's functions take it: PKCS#8 DER, or already imported. */
export type SigningKey = Uint8Array | P256PrivateKey;

/**
 * What signs a member's requests: a key held in this process, or a {@link Signer} (a
 * browser's non-extractable WebCrypto key, which signs only asynchronously).
 */
export type RequestKey = SigningKey | Signer;

/** True if `k` is a {@link Signer} rather than key bytes or an imported key. */
export function isSigner(k: RequestKey): k is Signer {
  return (
    typeof (k as Partial<Signer>).sign === 'function' &&
    (k as Partial<Signer>).publicKey instanceof Uint8Array
  );
}

/** Signs with one P-256 key; the private key may never leave it. */
export interface Signer {
  /** SPKI DER of the public key (uncompressed point). */
  readonly publicKey: Uint8Array;
  /** ECDSA P-256 over SHA-256(`message`): 64 bytes r || s, s ≤ n/2. */
  sign(message: Uint8Array): Promise<Uint8Array>;
}

/** A signer that can also sign synchronously (a key held in this process). */
export interface SyncSigner extends Signer {
  signSync(message: Uint8Array): Uint8Array;
}

/** True if `s` can sign synchronously. */
export function isSyncSigner(s: Signer): s is SyncSigner {
  return typeof (s as Partial<SyncSigner>).signSync === 'function';
}

/**
 * A signer over a key held in this process.
 * @throws TypeError if `privateKey` is not a P-256 PKCS#8 key
 * @example const signer = createKeySigner(wallet.privateKey); signer.signSync(txId)
 */
export function createKeySigner(privateKey: SigningKey): SyncSigner {
  const key = privateKey instanceof Uint8Array ? importP256PrivateKey(privateKey) : privateKey;
  const signSync = (message: Uint8Array): Uint8Array => signP256(key, message);
  return {
    publicKey: p256PublicKeyOf(key),
    signSync,
    sign: async (message) => signSync(message),
  };
}

/** The WebCrypto algorithm of medledger's keys. */
export const WEBCRYPTO_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;

/**
 * The parts of a WebCrypto `CryptoKey` the signer reads. Structural, so that the client
 * compiles without the DOM library; a browser's and Node's `CryptoKey` both fit.
 */
export interface WebCryptoKey {
  readonly type: string;
  readonly extractable: boolean;
  readonly usages: readonly string[];
  readonly algorithm: { readonly name: string; readonly namedCurve?: string };
}

/** A WebCrypto key pair (`CryptoKeyPair`). */
export interface WebCryptoKeyPair<K extends WebCryptoKey = WebCryptoKey> {
  privateKey: K;
  publicKey: K;
}

/** The subset of `SubtleCrypto` the WebCrypto signer uses (structural, as {@link WebCryptoKey}). */
export interface WebCryptoSubtle<K extends WebCryptoKey = WebCryptoKey> {
  sign(algorithm: { name: 'ECDSA'; hash: 'SHA-256' }, key: K, data: Uint8Array): Promise<ArrayBuffer>;
  exportKey(format: 'spki', key: K): Promise<ArrayBuffer>;
  generateKey(
    algorithm: typeof WEBCRYPTO_P256,
    extractable: boolean,
    usages: ('sign' | 'verify')[],
  ): Promise<WebCryptoKeyPair<K>>;
}

function defaultSubtle(): WebCryptoSubtle {
  const subtle = (globalThis as { crypto?: { subtle?: unknown } }).crypto?.subtle;
  if (subtle === undefined) {
    // Browsers expose crypto.subtle only in a secure context (https:, or http://localhost).
    throw new TypeError('WebCrypto is not available here (crypto.subtle needs a secure context)');
  }
  return subtle as WebCryptoSubtle;
}

/**
 * A signer over a WebCrypto key pair (ECDSA, P-256). The private key may be non-extractable;
 * the public key must be extractable (its SPKI names the signer on the ledger).
 * @throws TypeError if the keys are not ECDSA P-256 keys for signing
 * @example
 * const pair = await generateWebCryptoKeyPair();
 * const signer = await createWebCryptoSigner(pair);
 */
export async function createWebCryptoSigner(
  keys: WebCryptoKeyPair,
  subtle: WebCryptoSubtle = defaultSubtle(),
): Promise<Signer> {
  for (const k of [keys.privateKey, keys.publicKey]) {
    const alg = k.algorithm;
    if (alg.name !== 'ECDSA' || alg.namedCurve !== 'P-256')
      throw new TypeError('key is not an ECDSA P-256 key');
  }
  if (keys.privateKey.type !== 'private' || !keys.privateKey.usages.includes('sign')) {
    throw new TypeError('privateKey is not a private key for signing');
  }
  const publicKey = new Uint8Array(await subtle.exportKey('spki', keys.publicKey));
  return {
    publicKey,
    async sign(message) {
      const sig = new Uint8Array(
        await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, keys.privateKey, message),
      );
      if (sig.length !== 64) throw new Error('WebCrypto returned a signature that is not 64 bytes');
      return isLowSP256(sig) ? sig : negateP256S(sig);
    },
  };
}

/**
 * A fresh P-256 key pair made by WebCrypto, its private key non-extractable (no script,
 * this one included, can export it).
 * @example const signer = await createWebCryptoSigner(await generateWebCryptoKeyPair());
 */
export async function generateWebCryptoKeyPair(
  subtle: WebCryptoSubtle = defaultSubtle(),
): Promise<WebCryptoKeyPair> {
  return await subtle.generateKey(WEBCRYPTO_P256, false, ['sign', 'verify']);
}
