/**
 * Keys of the multi-authority CP-ABE of abe.ts (Rouselakis–Waters 2015, type-III variant):
 * authority key pairs and per-attribute user keys bound to a global identifier (GID), with
 * their byte encodings. See abe.ts for the scheme and its threat model.
 *
 * Authority θ: secret (α, y), public (e(g1,g2)^α, g2^y).
 * User key for attribute u of θ and GID: K = g1^α · H(GID)^y · F(u)^t ∈ G1, K' = g2^t ∈ G2,
 * with H, F hashes to G1 and t fresh. Every multiplication by α, y or t is constant-time.
 */
import { assertString } from './assert.js';
import { utf8, type RandomSource } from './bytes.js';
import { attributeAuthority, isAttribute } from './abe-policy.js';
import {
  addG1,
  ctMulG1,
  ctMulG2,
  g1FromBytes,
  g1Generator,
  g1ToBytes,
  g2FromBytes,
  g2Generator,
  g2ToBytes,
  gtFromBytes,
  gtToBytes,
  hashToG1,
  pairing,
  randomScalar,
  scalarFromBytes,
  scalarToBytes,
  type G1,
  type G2,
  type GT,
} from './pairing.js';
import { randomBytes } from './random.js';
import { decodeFields, encodeFields, fieldString } from './wire.js';

const AUTH_RE = /^[A-Za-z0-9_.-]{1,128}$/;
const GID_MAX = 1024;

function assertAuthorityName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !AUTH_RE.test(name)) {
    throw new TypeError('authority name must be 1-128 characters of [A-Za-z0-9_.-]');
  }
}
function assertGid(gid: unknown): asserts gid is string {
  assertString(gid, 'gid', true);
  if (gid.length > GID_MAX) throw new RangeError('gid too long');
}

/** H(GID) ∈ G1: binds every attribute key of one user together (collusion resistance). */
export const hashGid = (gid: string): G1 => hashToG1('abe/gid/v1', utf8(gid));
/** F(u) ∈ G1 for an attribute `name@authority`. */
export const hashAttribute = (attr: string): G1 => hashToG1('abe/attribute/v1', utf8(attr));

/** The public key of an attribute authority; publish it (e.g. on the ledger). */
export class AbeAuthorityPublicKey {
  constructor(
    readonly authority: string,
    /** e(g1, g2)^α */
    readonly eAlpha: GT,
    /** g2^y */
    readonly gY: G2,
  ) {}
  toBytes(): Uint8Array {
    return encodeFields('ml-abe-apk/1', [utf8(this.authority), gtToBytes(this.eAlpha), g2ToBytes(this.gY)]);
  }
  /** @throws TypeError on malformed input. */
  static fromBytes(b: Uint8Array): AbeAuthorityPublicKey {
    const what = 'ABE authority public key';
    const [a, e, y] = decodeFields('ml-abe-apk/1', b, what, 3) as [Uint8Array, Uint8Array, Uint8Array];
    const name = fieldString(a, what);
    assertAuthorityName(name);
    return new AbeAuthorityPublicKey(
      name,
      gtFromBytes(e, `${what} e(g,g)^alpha`),
      g2FromBytes(y, `${what} g^y`),
    );
  }
}

/** The secret key of an attribute authority (α, y). Keep it in the authority's keystore. */
export class AbeAuthoritySecretKey {
  constructor(
    readonly authority: string,
    readonly alpha: bigint,
    readonly y: bigint,
  ) {}
  toBytes(): Uint8Array {
    return encodeFields('ml-abe-ask/1', [
      utf8(this.authority),
      scalarToBytes(this.alpha),
      scalarToBytes(this.y),
    ]);
  }
  /** @throws TypeError on malformed input. */
  static fromBytes(b: Uint8Array): AbeAuthoritySecretKey {
    const what = 'ABE authority secret key';
    const [a, al, y] = decodeFields('ml-abe-ask/1', b, what, 3) as [Uint8Array, Uint8Array, Uint8Array];
    const name = fieldString(a, what);
    assertAuthorityName(name);
    return new AbeAuthoritySecretKey(name, scalarFromBytes(al, what), scalarFromBytes(y, what));
  }
  /** The matching public key. */
  publicKey(): AbeAuthorityPublicKey {
    return new AbeAuthorityPublicKey(
      this.authority,
      pairing(ctMulG1(g1Generator(), this.alpha), g2Generator()),
      ctMulG2(g2Generator(), this.y),
    );
  }
}

/**
 * Creates an attribute authority (one per organization; no central authority is involved).
 * @param authority the suffix of the attributes it issues: `hospitalB` for `doctor@hospitalB`.
 * @throws TypeError on a malformed name.
 * @example const hb = createAbeAuthority('hospitalB');
 */
export function createAbeAuthority(
  authority: string,
  rng: RandomSource = randomBytes,
): { secretKey: AbeAuthoritySecretKey; publicKey: AbeAuthorityPublicKey } {
  assertAuthorityName(authority);
  const secretKey = new AbeAuthoritySecretKey(authority, randomScalar(rng), randomScalar(rng));
  return { secretKey, publicKey: secretKey.publicKey() };
}

/** A user's key for one attribute, bound to the user's GID. Secret. */
export class AbeUserKey {
  constructor(
    readonly gid: string,
    readonly attribute: string,
    readonly k: G1,
    readonly kPrime: G2,
  ) {}
  toBytes(): Uint8Array {
    return encodeFields('ml-abe-usk/1', [
      utf8(this.gid),
      utf8(this.attribute),
      g1ToBytes(this.k),
      g2ToBytes(this.kPrime),
    ]);
  }
  /** @throws TypeError on malformed input. */
  static fromBytes(b: Uint8Array): AbeUserKey {
    const what = 'ABE user key';
    const [g, a, k, kp] = decodeFields('ml-abe-usk/1', b, what, 4) as [
      Uint8Array,
      Uint8Array,
      Uint8Array,
      Uint8Array,
    ];
    const gid = fieldString(g, what);
    const attr = fieldString(a, what);
    assertGid(gid);
    if (!isAttribute(attr)) throw new TypeError(`${what}: malformed attribute`);
    return new AbeUserKey(gid, attr, g1FromBytes(k, `${what} K`), g2FromBytes(kp, `${what} K'`));
  }
}

/**
 * Issues the key for `attribute` to the user `gid`. The authority must have checked, out of
 * band, that the holder of `gid` has the attribute.
 * @throws TypeError if the attribute is malformed or belongs to another authority.
 * @example issueAbeUserKey(hb.secretKey, 'did:medledger:alice', 'doctor@hospitalB')
 */
export function issueAbeUserKey(
  sk: AbeAuthoritySecretKey,
  gid: string,
  attribute: string,
  rng: RandomSource = randomBytes,
): AbeUserKey {
  if (!(sk instanceof AbeAuthoritySecretKey)) throw new TypeError('sk must be an AbeAuthoritySecretKey');
  assertGid(gid);
  if (attributeAuthority(attribute) !== sk.authority) {
    throw new TypeError('attribute is not issued by this authority');
  }
  const t = randomScalar(rng);
  const k = addG1(
    addG1(ctMulG1(g1Generator(), sk.alpha), ctMulG1(hashGid(gid), sk.y)),
    ctMulG1(hashAttribute(attribute), t),
  );
  return new AbeUserKey(gid, attribute, k, ctMulG2(g2Generator(), t));
}
