/**
 * Decentralized (multi-authority) ciphertext-policy attribute-based encryption: Rouselakis &
 * Waters, "Efficient Statically-Secure Large-Universe Multi-Authority Attribute-Based
 * Encryption", FC 2015 (RW15, §4), which refines Lewko & Waters, "Decentralizing
 * Attribute-Based Encryption", EUROCRYPT 2011 — the scheme of §6.2.2 of the survey. Every
 * organization is an authority for its own attributes (`doctor@hospitalB`); there is no
 * central authority and no coordination between authorities beyond the public parameters.
 *
 * Type-III adaptation (ours; RW15 is written for a symmetric pairing): H(GID) and F(u) hash
 * to G1, user keys are (K ∈ G1, K' ∈ G2), and a ciphertext row for leaf x with attribute u
 * of authority θ is
 *   C1 = e(g1,g2)^λx · e(g1,g2)^(αθ·tx),  C2 = g2^(−tx),  C3 = g2^(yθ·tx) · g2^ωx,  C4 = F(u)^tx
 * where λx are shares of the secret z and ωx shares of 0 (abe-policy.ts). Decryption with the
 * plan coefficients cx computes
 *   Π C1^cx · e(H(GID), Π C3^cx) · Π e(K^cx, C2) · e(C4^cx, K') = e(g1,g2)^z,
 * as ONE multi-pairing (2·|plan| + 1 Miller loops, one final exponentiation); for AND/OR
 * policies every cx is 1 and no exponentiation is done. The RW15 proof (static security,
 * random oracles, q-type assumption) is for the symmetric setting; this transcription keeps
 * its algebra but has no separate proof.
 *
 * Hybrid: SHA-256(e(g1,g2)^z) is the one-time AES-256-GCM key of the record; the GCM
 * additional data covers the policy and every ABE component, so any change is rejected.
 *
 * Threat model. Protects the record against anyone whose attributes — from one GID — do not
 * satisfy the policy, including users pooling keys issued to different GIDs (collusion: the
 * e(H(GID), g2)^ωx terms only cancel within one GID) and corrupted authorities other than
 * those needed to satisfy the policy. Does NOT protect: against an authority issuing itself
 * (or anyone) the attributes it controls; revocation (re-encrypt or use short-lived
 * attributes); a user sharing all his keys; GID theft (the GID must be bound to the user's
 * certificate); the policy, which is public in the ciphertext; authority public keys must be
 * authenticated (take them from the ledger). Long-term secrets are multiplied in constant
 * time; see pairing.ts for the side-channel scope.
 */
import { assertBytes } from './assert.js';
import { concatBytes, utf8, type RandomSource } from './bytes.js';
import { hashTagged } from './hash.js';
import {
  attributeAuthority,
  parsePolicy,
  planPolicy,
  policyLeaves,
  policyToString,
  shareSecret,
  type PolicyNode,
} from './abe-policy.js';
import { AbeAuthorityPublicKey, AbeUserKey, hashAttribute, hashGid } from './abe-keys.js';
import {
  addG2,
  g1FromBytes,
  g1Generator,
  g1ToBytes,
  g2FromBytes,
  g2Generator,
  g2ToBytes,
  gtFromBytes,
  gtPow,
  gtToBytes,
  modR,
  mulG1,
  mulG2,
  mulGT,
  multiPairing,
  pairing,
  randomScalar,
  type G1,
  type G2,
  type GT,
} from './pairing.js';
import { aes256GcmDecrypt, aes256GcmEncrypt } from './primitives.js';
import { randomBytes } from './random.js';
import { decodeFields, encodeFields, fieldString } from './wire.js';

export * from './abe-keys.js';

const TAG = 'ml-abe-ct/1';

/** One ciphertext row (one policy leaf). */
export interface AbeRow {
  readonly c1: GT;
  readonly c2: G2;
  readonly c3: G2;
  readonly c4: G1;
}

/** An ABE-encrypted record: the policy, one row per policy leaf, and the AES-GCM payload. */
export class AbeCiphertext {
  constructor(
    /** Canonical policy string (public). */
    readonly policy: string,
    readonly rows: readonly AbeRow[],
    readonly iv: Uint8Array,
    /** AES-256-GCM ciphertext with its 16-byte tag appended. */
    readonly sealed: Uint8Array,
  ) {}
  /** Bytes covered by the GCM additional data: everything but the payload. */
  headerBytes(): Uint8Array {
    const f: Uint8Array[] = [utf8(this.policy), this.iv];
    for (const r of this.rows) f.push(gtToBytes(r.c1), g2ToBytes(r.c2), g2ToBytes(r.c3), g1ToBytes(r.c4));
    return encodeFields(TAG, f);
  }
  toBytes(): Uint8Array {
    return encodeFields(TAG, [this.headerBytes(), this.sealed]);
  }
  /** @throws TypeError on malformed input (bad framing, points, or rows not matching the policy). */
  static fromBytes(b: Uint8Array): AbeCiphertext {
    const what = 'ABE ciphertext';
    const [header, sealed] = decodeFields(TAG, b, what, 2) as [Uint8Array, Uint8Array];
    const f = decodeFields(TAG, header, what, undefined, 2);
    const policy = fieldString(f[0]!, what);
    const tree = parsePolicy(policy);
    if (policyToString(tree) !== policy) throw new TypeError(`${what}: policy is not in canonical form`);
    const n = policyLeaves(tree).length;
    if (f.length !== 2 + 4 * n) throw new TypeError(`${what}: row count does not match the policy`);
    if (f[1]!.length !== 12) throw new TypeError(`${what}: iv must be 12 bytes`);
    if (sealed.length < 16) throw new TypeError(`${what}: payload too short`);
    const rows: AbeRow[] = [];
    for (let i = 0; i < n; i++) {
      const o = 2 + 4 * i;
      rows.push({
        c1: gtFromBytes(f[o]!, `${what} C1`),
        c2: g2FromBytes(f[o + 1]!, `${what} C2`),
        c3: g2FromBytes(f[o + 2]!, `${what} C3`),
        c4: g1FromBytes(f[o + 3]!, `${what} C4`),
      });
    }
    return new AbeCiphertext(policy, rows, f[1]!, sealed);
  }
}

const kdf = (z: GT): Uint8Array => hashTagged('medledger/abe-dem/v1', gtToBytes(z));
let eggCache: GT | undefined;
const egg = (): GT => (eggCache ??= pairing(g1Generator(), g2Generator()));

/** Options of `abeEncrypt`. */
export interface AbeEncryptOptions {
  /** Extra data authenticated (not encrypted) with the record, e.g. the record id. */
  aad?: Uint8Array;
  rng?: RandomSource;
}

/**
 * Encrypts `plaintext` once for `policy`.
 * @param authorities public keys of (at least) every authority named in the policy.
 * @throws TypeError on a malformed policy or a missing authority key.
 * @example abeEncrypt('(doctor@hospitalB AND oncology@hospitalB) OR researcher@institute', [hbPk, instPk], record)
 */
export function abeEncrypt(
  policy: string | PolicyNode,
  authorities: readonly AbeAuthorityPublicKey[],
  plaintext: Uint8Array,
  opts: AbeEncryptOptions = {},
): AbeCiphertext {
  assertBytes(plaintext, 'plaintext');
  const rng = opts.rng ?? randomBytes;
  const tree = typeof policy === 'string' ? parsePolicy(policy) : parsePolicy(policyToString(policy));
  const pks = new Map<string, AbeAuthorityPublicKey>();
  for (const a of authorities) {
    if (!(a instanceof AbeAuthorityPublicKey))
      throw new TypeError('authorities must be AbeAuthorityPublicKey');
    pks.set(a.authority, a);
  }
  const leaves = policyLeaves(tree);
  const z = randomScalar(rng);
  const lambda = shareSecret(tree, z, rng);
  const omega = shareSecret(tree, 0n, rng);
  const g2 = g2Generator();
  const rows = leaves.map((attr, x): AbeRow => {
    const pk = pks.get(attributeAuthority(attr));
    if (!pk) throw new TypeError(`no public key for the authority of ${attr}`);
    const tx = randomScalar(rng);
    const c3 = mulG2(pk.gY, tx);
    const w = omega[x]!;
    return {
      c1: mulGT(gtPow(egg(), lambda[x]!), gtPow(pk.eAlpha, tx)),
      c2: mulG2(g2, modR(-tx)),
      c3: w === 0n ? c3 : addG2(c3, mulG2(g2, w)),
      c4: mulG1(hashAttribute(attr), tx),
    };
  });
  const iv = rng(12);
  assertBytes(iv, 'random bytes', 12);
  const ct = new AbeCiphertext(policyToString(tree), rows, iv, new Uint8Array(0));
  const key = kdf(gtPow(egg(), z));
  const body = aes256GcmEncrypt(
    key,
    iv,
    plaintext,
    concatBytes(ct.headerBytes(), opts.aad ?? new Uint8Array(0)),
  );
  return new AbeCiphertext(ct.policy, rows, iv, body);
}

/**
 * The pairing count of decrypting `ct` with these attributes (2·|plan| + 1), or `null` if
 * they do not satisfy the policy. Used by benchmarks.
 */
export function abeDecryptPairings(ct: AbeCiphertext, attributes: Iterable<string>): number | null {
  const plan = planPolicy(parsePolicy(ct.policy), new Set(attributes));
  return plan ? 2 * plan.length + 1 : null;
}

/**
 * Decrypts with the attribute keys of ONE user (one GID).
 * @throws TypeError if the keys mix GIDs; RangeError if they do not satisfy the policy;
 *   Error('ABE decryption failed') if authentication fails (tampering, or keys that do not
 *   belong together).
 * @example abeDecrypt(ct, [doctorKey, oncologyKey])
 */
export function abeDecrypt(ct: AbeCiphertext, keys: readonly AbeUserKey[], aad?: Uint8Array): Uint8Array {
  if (!(ct instanceof AbeCiphertext)) throw new TypeError('ct must be an AbeCiphertext');
  if (keys.length === 0) throw new RangeError('no attribute keys given');
  const byAttr = new Map<string, AbeUserKey>();
  for (const k of keys) {
    if (!(k instanceof AbeUserKey)) throw new TypeError('keys must be AbeUserKey');
    if (k.gid !== keys[0]!.gid) throw new TypeError('attribute keys belong to different GIDs');
    byAttr.set(k.attribute, k);
  }
  const tree = parsePolicy(ct.policy);
  const leaves = policyLeaves(tree);
  const plan = planPolicy(tree, new Set(byAttr.keys()));
  if (!plan) throw new RangeError('attribute keys do not satisfy the policy');
  const pairs: Array<readonly [G1, G2]> = [];
  let c1: GT | undefined;
  let c3: G2 | undefined;
  for (const { leaf, coeff } of plan) {
    const row = ct.rows[leaf]!;
    const key = byAttr.get(leaves[leaf]!)!;
    const one = coeff === 1n;
    const r1 = one ? row.c1 : gtPow(row.c1, coeff);
    const r3 = one ? row.c3 : mulG2(row.c3, coeff);
    c1 = c1 ? mulGT(c1, r1) : r1;
    c3 = c3 ? addG2(c3, r3) : r3;
    pairs.push(
      [one ? key.k : mulG1(key.k, coeff), row.c2],
      [one ? row.c4 : mulG1(row.c4, coeff), key.kPrime],
    );
  }
  pairs.push([hashGid(keys[0]!.gid), c3!]);
  const z = mulGT(c1!, multiPairing(pairs));
  if (ct.sealed.length < 16) throw new TypeError('ABE ciphertext payload too short');
  try {
    return aes256GcmDecrypt(
      kdf(z),
      ct.iv,
      ct.sealed,
      concatBytes(ct.headerBytes(), aad ?? new Uint8Array(0)),
    );
  } catch {
    throw new Error('ABE decryption failed');
  }
}
