/**
 * Public-key encryption with keyword search: Boneh, Di Crescenzo, Ostrovsky & Persiano,
 * "Public Key Encryption with Keyword Search", EUROCRYPT 2004 (BDOP, §3.1), adapted to the
 * type-III pairing of BLS12-381. BDOP uses a symmetric pairing e: G × G → GT; here the
 * keyword hashes to G1 and the public key lives in G2:
 *   keys       sk = α,  pk = g2^α ∈ G2
 *   index      r fresh: A = g2^r ∈ G2,  B = H2(e(H1(w), pk^r))  (H2 = tagged SHA-256, 32 bytes)
 *   trapdoor   T_w = H1(w)^α ∈ G1
 *   test       H2(e(T_w, A)) = B
 * (correct since e(H1(w)^α, g2^r) = e(H1(w), g2^(αr))). One pairing per index per test.
 * Records carry one index per keyword (e.g. ICD-10 codes); the patient hands a doctor the
 * trapdoor for one keyword, and the doctor (or a storage node on his behalf) finds the
 * records that carry it without learning their other keywords.
 *
 * Threat model. Protects: an index reveals nothing about its keyword to anyone without a
 * matching trapdoor (BDOP Thm 3.1, BDH in the random-oracle model; our type-III variant
 * relies on the co-BDH analogue); a trapdoor matches only its own keyword. Does NOT protect:
 * keyword-guessing — whoever holds a trapdoor can test it against PEKS(pk, w') for every w'
 * of a small dictionary (ICD-10 has about 70,000 codes) and so learns the keyword of the
 * trapdoor (Byun et al. 2006): give trapdoors only to parties trusted with that keyword;
 * access patterns (which records matched) are visible to whoever runs the test; trapdoors do
 * not expire (rotate sk to revoke); the number of keywords per record is visible. The
 * keyword is matched exactly as given: normalize it (e.g. upper-case ICD-10) before use.
 * α is multiplied in constant time; r (single-use) by mcl (see pairing.ts).
 */
import { assertString } from './assert.js';
import { equalBytes, utf8, type RandomSource } from './bytes.js';
import { hashTagged } from './hash.js';
import {
  ctMulG1,
  ctMulG2,
  g1FromBytes,
  g1ToBytes,
  g2FromBytes,
  g2Generator,
  g2ToBytes,
  gtToBytes,
  hashToG1,
  mulG2,
  pairing,
  randomScalar,
  scalarFromBytes,
  scalarToBytes,
  type G1,
  type G2,
  type GT,
} from './pairing.js';
import { randomBytes } from './random.js';
import { decodeFields, encodeFields } from './wire.js';

const hashKeyword = (w: string): G1 => {
  assertString(w, 'keyword', true);
  if (w.length > 256) throw new RangeError('keyword too long');
  return hashToG1('peks/keyword/v1', utf8(w));
};
const h2 = (x: GT): Uint8Array => hashTagged('medledger/peks/h2/v1', gtToBytes(x));

/** The searcher-facing public key (publish it): g2^α. */
export class PeksPublicKey {
  constructor(readonly point: G2) {}
  toBytes(): Uint8Array {
    return encodeFields('ml-peks-pk/1', [g2ToBytes(this.point)]);
  }
  /** @throws TypeError on malformed input. */
  static fromBytes(b: Uint8Array): PeksPublicKey {
    const [p] = decodeFields('ml-peks-pk/1', b, 'PEKS public key', 1) as [Uint8Array];
    return new PeksPublicKey(g2FromBytes(p, 'PEKS public key'));
  }
}

/** The patient's secret key α. */
export class PeksSecretKey {
  constructor(readonly alpha: bigint) {}
  toBytes(): Uint8Array {
    return encodeFields('ml-peks-sk/1', [scalarToBytes(this.alpha)]);
  }
  /** @throws TypeError on malformed input. */
  static fromBytes(b: Uint8Array): PeksSecretKey {
    const [a] = decodeFields('ml-peks-sk/1', b, 'PEKS secret key', 1) as [Uint8Array];
    return new PeksSecretKey(scalarFromBytes(a, 'PEKS secret key'));
  }
  publicKey(): PeksPublicKey {
    return new PeksPublicKey(ctMulG2(g2Generator(), this.alpha));
  }
}

/** An encrypted keyword attached to a record: (A ∈ G2, B 32 bytes). 132 bytes framed. */
export class PeksIndex {
  constructor(
    readonly a: G2,
    readonly b: Uint8Array,
  ) {}
  toBytes(): Uint8Array {
    return encodeFields('ml-peks-ix/1', [g2ToBytes(this.a), this.b]);
  }
  /** @throws TypeError on malformed input. */
  static fromBytes(bytes: Uint8Array): PeksIndex {
    const [a, b] = decodeFields('ml-peks-ix/1', bytes, 'PEKS index', 2) as [Uint8Array, Uint8Array];
    if (b.length !== 32) throw new TypeError('PEKS index: B must be 32 bytes');
    return new PeksIndex(g2FromBytes(a, 'PEKS index A'), b);
  }
}

/** The trapdoor for one keyword, H1(w)^α ∈ G1. Whoever holds it can test indexes for w. */
export class PeksTrapdoor {
  constructor(readonly point: G1) {}
  toBytes(): Uint8Array {
    return encodeFields('ml-peks-td/1', [g1ToBytes(this.point)]);
  }
  /** @throws TypeError on malformed input. */
  static fromBytes(b: Uint8Array): PeksTrapdoor {
    const [p] = decodeFields('ml-peks-td/1', b, 'PEKS trapdoor', 1) as [Uint8Array];
    return new PeksTrapdoor(g1FromBytes(p, 'PEKS trapdoor'));
  }
}

/**
 * Creates a PEKS key pair (call `await initPairing()` first).
 * @example const { secretKey, publicKey } = createPeksKeyPair();
 */
export function createPeksKeyPair(rng: RandomSource = randomBytes): {
  secretKey: PeksSecretKey;
  publicKey: PeksPublicKey;
} {
  const secretKey = new PeksSecretKey(randomScalar(rng));
  return { secretKey, publicKey: secretKey.publicKey() };
}

/**
 * Encrypts one keyword under `pk` (fresh randomness: two indexes of the same keyword differ).
 * @throws TypeError / RangeError on an empty or over-long keyword.
 * @example peksIndex(patientPk, 'C50.9')
 */
export function peksIndex(pk: PeksPublicKey, keyword: string, rng: RandomSource = randomBytes): PeksIndex {
  if (!(pk instanceof PeksPublicKey)) throw new TypeError('pk must be a PeksPublicKey');
  const r = randomScalar(rng);
  return new PeksIndex(mulG2(g2Generator(), r), h2(pairing(hashKeyword(keyword), mulG2(pk.point, r))));
}

/**
 * The trapdoor for `keyword`.
 * @example const td = peksTrapdoor(patientSk, 'C50.9'); // handed to the doctor
 */
export function peksTrapdoor(sk: PeksSecretKey, keyword: string): PeksTrapdoor {
  if (!(sk instanceof PeksSecretKey)) throw new TypeError('sk must be a PeksSecretKey');
  return new PeksTrapdoor(ctMulG1(hashKeyword(keyword), sk.alpha));
}

/** True iff `index` encrypts the keyword of `trapdoor`. One pairing. */
export function peksTest(index: PeksIndex, trapdoor: PeksTrapdoor): boolean {
  if (!(index instanceof PeksIndex) || !(trapdoor instanceof PeksTrapdoor)) {
    throw new TypeError('peksTest takes a PeksIndex and a PeksTrapdoor');
  }
  return equalBytes(h2(pairing(trapdoor.point, index.a)), index.b);
}
