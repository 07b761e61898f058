/**
 * Additively homomorphic encryption for totals: Paillier, "Public-Key Cryptosystems Based on
 * Composite Degree Residuosity Classes", EUROCRYPT 1999 (simple variant g = n + 1), via
 * paillier-bigint 3.4.3. Hospitals encrypt each expense (integer cents) under a key held by
 * the patient (or a trustee); the insurer multiplies the ciphertexts — adding the amounts —
 * without seeing any item, and only the total is ever decrypted.
 *
 * Why Paillier and not BFV (node-seal 6.0.3, see he-bfv.ts) for this API — measured here by
 * `medledger bench crypto` (docs/confidentiality.md): BFV encrypts 4,096 slots in ~3.5 ms
 * against ~75 ms for one Paillier encryption, but a BFV ciphertext is ~88 KB (n = 4096,
 * zstd) against 512 bytes, and these ciphertexts go into ledger transactions, one per
 * expense, kept for years. Paillier sums are exact over a 2048-bit plaintext space, so
 * overflow is ruled out by a bound (below) instead of a 40-bit plain modulus and a noise
 * budget; there are no parameters to get wrong. BFV remains the better tool for very long
 * vectors (federated learning on large models): he-bfv.ts has it.
 *
 * Overflow bounds (explicit): an amount is an integer in [0, HE_MAX_AMOUNT] (2^53 − 1 cents);
 * a ciphertext carries its public term count, at most HE_MAX_TERMS (2^32); a total is thus
 * below 2^85, far below n ≥ 2^2047, so sums never wrap; decryption re-checks the bound and
 * rejects a result above count × HE_MAX_AMOUNT (a forged or wrapped ciphertext). Vectors
 * are packed: 64-bit slots, values below 2^40, at most 2^24 − 1 terms per slot, so carries
 * never cross a slot (31 slots per ciphertext with a 2048-bit n).
 *
 * Threat model. Protects the items against the aggregator (insurer, FL server) and the
 * ledger: IND-CPA under the decisional composite residuosity assumption. Does NOT protect:
 * the key holder sees what it decrypts, and would see an item if given a single-item
 * ciphertext (decrypt only sums with count ≥ the agreed minimum, enforced by the caller);
 * ciphertexts are malleable (anyone can add), so bind them into signed transactions; there
 * is no proof that an encrypted amount is honest (no range proof): a hospital can encrypt any
 * value within the bounds. Key generation uses paillier-bigint's own CSPRNG; encryption
 * randomness is injectable.
 */
import * as paillier from 'paillier-bigint';
import { assertInt } from './assert.js';
import { toHex, type RandomSource } from './bytes.js';
import { randomBytes } from './random.js';
import { decodeFields, encodeFields, fieldU32, fieldUint, u32Bytes, uintToBytes } from './wire.js';

/** Largest amount one ciphertext may hold: 2^53 − 1 cents. */
export const HE_MAX_AMOUNT = BigInt(Number.MAX_SAFE_INTEGER);
/** Largest number of amounts in one sum. */
export const HE_MAX_TERMS = 2 ** 32;
/** Vector packing: slot width, value bound and terms per slot. */
export const HE_SLOT_BITS = 64;
export const HE_VECTOR_MAX_VALUE = 2n ** 40n - 1n;
export const HE_VECTOR_MAX_TERMS = 2 ** 24 - 1;
const MIN_BITS = 2048;

/** The public (encryption and addition) key: the modulus n; g = n + 1. */
export class HePublicKey {
  readonly key: paillier.PublicKey;
  readonly n2: bigint;
  constructor(readonly n: bigint) {
    if (n.toString(2).length < MIN_BITS || n % 2n === 0n)
      throw new TypeError(`modulus must be an odd integer of at least ${MIN_BITS} bits`);
    this.key = new paillier.PublicKey(n, n + 1n);
    this.n2 = n * n;
  }
  /** Slots per packed vector ciphertext. */
  get slots(): number {
    return Math.floor((this.n.toString(2).length - 1) / HE_SLOT_BITS);
  }
  toBytes(): Uint8Array {
    return encodeFields('ml-he-pk/1', [uintToBytes(this.n)]);
  }
  /** @throws TypeError on malformed input. */
  static fromBytes(b: Uint8Array): HePublicKey {
    const [n] = decodeFields('ml-he-pk/1', b, 'HE public key', 1) as [Uint8Array];
    return new HePublicKey(fieldUint(n, 'HE public key'));
  }
}

/** The secret key: the primes p, q. */
export class HeSecretKey {
  readonly publicKey: HePublicKey;
  readonly key: paillier.PrivateKey;
  readonly #p: bigint;
  readonly #q: bigint;
  constructor(p: bigint, q: bigint) {
    if (p === q || p < 3n || q < 3n) throw new TypeError('invalid Paillier primes');
    this.#p = p;
    this.#q = q;
    this.publicKey = new HePublicKey(p * q);
    const lambda = (p - 1n) * (q - 1n);
    this.key = new paillier.PrivateKey(lambda, modInv(lambda, this.publicKey.n), this.publicKey.key, p, q);
  }
  toBytes(): Uint8Array {
    return encodeFields('ml-he-sk/1', [uintToBytes(this.#p), uintToBytes(this.#q)]);
  }
  /** @throws TypeError on malformed input. */
  static fromBytes(b: Uint8Array): HeSecretKey {
    const [p, q] = decodeFields('ml-he-sk/1', b, 'HE secret key', 2) as [Uint8Array, Uint8Array];
    return new HeSecretKey(fieldUint(p, 'HE secret key'), fieldUint(q, 'HE secret key'));
  }
}

function modInv(a: bigint, m: bigint): bigint {
  let [r0, r1, s0, s1] = [a % m, m, 1n, 0n];
  while (r1 !== 0n) {
    const qt = r0 / r1;
    [r0, r1, s0, s1] = [r1, r0 - qt * r1, s1, s0 - qt * s1];
  }
  if (r0 !== 1n) throw new TypeError('invalid Paillier primes');
  return ((s0 % m) + m) % m;
}

/**
 * Generates a Paillier key pair (2048-bit n by default; 0.3-6 s).
 * @example const { publicKey, secretKey } = await createHeKeyPair();
 */
export async function createHeKeyPair(
  bits = 2048,
): Promise<{ publicKey: HePublicKey; secretKey: HeSecretKey }> {
  assertInt(bits, 'bits', MIN_BITS, 8192);
  const kp = await paillier.generateRandomKeys(bits, true);
  // paillier-bigint keeps the primes it generated in (untyped-private) _p, _q
  const { _p: p, _q: q } = kp.privateKey as unknown as { _p: bigint; _q: bigint };
  const secretKey = new HeSecretKey(p, q);
  if (secretKey.publicKey.n !== kp.publicKey.n) throw new Error('paillier-bigint key layout changed');
  return { publicKey: secretKey.publicKey, secretKey };
}

/** An encrypted amount or sum of `count` amounts. */
export class EncryptedAmount {
  constructor(
    readonly c: bigint,
    readonly count: number,
  ) {
    assertInt(count, 'count', 1, HE_MAX_TERMS);
  }
  toBytes(): Uint8Array {
    return encodeFields('ml-he-amt/1', [u32Bytes(this.count - 1), uintToBytes(this.c)]);
  }
  /** @throws TypeError on malformed input. */
  static fromBytes(b: Uint8Array): EncryptedAmount {
    const [n, c] = decodeFields('ml-he-amt/1', b, 'encrypted amount', 2) as [Uint8Array, Uint8Array];
    return new EncryptedAmount(fieldUint(c, 'encrypted amount'), fieldU32(n, 'encrypted amount') + 1);
  }
}

/** Paillier encryption randomness in [2, n) (shared with he-vector.ts). */
export function paillierRandomness(pk: HePublicKey, rng: RandomSource): bigint {
  const len = Math.ceil(pk.n.toString(2).length / 8) + 16;
  for (;;) {
    const r = BigInt(`0x${toHex(rng(len))}`) % pk.n;
    if (r > 1n) return r; // gcd(r, n) ≠ 1 would factor n: probability ~2^-1024
  }
}
function checkCt(pk: HePublicKey, c: bigint): void {
  if (c <= 0n || c >= pk.n2) throw new RangeError('ciphertext out of range for this key');
}

/**
 * Encrypts an amount in integer cents.
 * @throws RangeError outside [0, HE_MAX_AMOUNT].
 * @example heEncrypt(patientHePk, 12_550n) // 125.50
 */
export function heEncrypt(
  pk: HePublicKey,
  cents: bigint | number,
  rng: RandomSource = randomBytes,
): EncryptedAmount {
  if (typeof cents === 'number') assertInt(cents, 'cents');
  else if (typeof cents !== 'bigint') throw new TypeError('cents must be a bigint or an integer');
  const m = BigInt(cents);
  if (m < 0n || m > HE_MAX_AMOUNT) throw new RangeError('amount must be in [0, 2^53 - 1] cents');
  return new EncryptedAmount(pk.key.encrypt(m, paillierRandomness(pk, rng)), 1);
}

/**
 * Adds encrypted amounts (the insurer's operation; needs only the public key).
 * @throws RangeError if the term count would exceed HE_MAX_TERMS or a ciphertext is out of range.
 */
export function heSum(pk: HePublicKey, items: readonly EncryptedAmount[]): EncryptedAmount {
  if (items.length === 0) throw new RangeError('nothing to sum');
  let count = 0;
  for (const x of items) {
    checkCt(pk, x.c);
    count += x.count;
  }
  if (count > HE_MAX_TERMS) throw new RangeError('too many terms: the sum bound would be exceeded');
  return new EncryptedAmount(pk.key.addition(...items.map((x) => x.c)), count);
}

/**
 * Decrypts a (sum of) amount(s) in cents.
 * @throws RangeError if the result exceeds count × HE_MAX_AMOUNT (forged or wrapped ciphertext).
 */
export function heDecrypt(sk: HeSecretKey, x: EncryptedAmount): bigint {
  checkCt(sk.publicKey, x.c);
  const m = sk.key.decrypt(x.c);
  if (m > BigInt(x.count) * HE_MAX_AMOUNT)
    throw new RangeError('decrypted value exceeds the bound of its term count');
  return m;
}
