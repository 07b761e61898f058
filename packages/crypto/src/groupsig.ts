/**
 * Short group signatures with opening: Boneh, Boyen, Shacham, "Short Group Signatures",
 * CRYPTO 2004 (§5 scheme, §7 revocation), adapted to the type-III pairing of BLS12-381
 * (@noble/curves). Adaptation: no isomorphism psi; g1 in G1 and g2 in G2 are independent
 * generators; the tracing elements T1, T2, T3, the linear-encryption keys h, u, v and the
 * member keys A_i = g1^(1/(gamma + x_i)) are in G1; the issuer key w = g2^gamma is in G2. R3 is
 * computed as a product of two pairings with the exponents moved into G1:
 *   R3 = e(T3^rx * h^(-rd1-rd2), g2) * e(h^(-ra-rb), w).
 * The security argument is BBS04's with q-SDH stated for (G1, G2) pairs and DLIN in G1; we
 * claim no new proof for this adaptation. A signature is 3 G1 points and 6 scalars: 336 bytes.
 *
 * Roles: the issuer (gamma) adds members; the opener (xi1, xi2 with u^xi1 = v^xi2 = h) opens a
 * signature to A_i, which its member table maps to a member id. Both are "the group manager";
 * they can be split between two parties. Revocation: BBS04 §7 key update. Revoking member
 * (A*, x*) publishes (A*, x*, g2' = g2^(1/(gamma + x*))); everyone derives the next group key
 * (g1' = A*, g2', w' = g2 * g2'^(-x*)), each remaining member derives A_i' = (A* / A_i)^(1/(x_i -
 * x*)); the revoked member cannot. Verifiers need only the current group key (epoch), no list.
 *
 * Threat model. Anonymity (CPA-full-anonymity, DLIN in G1): a verifier, other members and the
 * node learn only "a member of this group" and cannot link two signatures; the opener can
 * identify every signer, by design, and an opener colluding with anyone de-anonymises all.
 * The issuer knows every member key (A_i, x_i), so it can sign in a member's name: BBS04 has
 * no non-frameability; a ledger that needs it should also require the member's own signature
 * to an auditor. Traceability (q-SDH): members, even colluding, cannot produce a signature
 * that opens to no member or to a non-colluder. Revocation publishes (A*, x*): that is a
 * signing key for the old epochs, so signatures are only accepted under the current epoch's
 * key (the key is hashed into the challenge); past signatures of the revoked member stay
 * anonymous (DLIN). Side channels: noble's constant-time `multiply` for all secret
 * scalars; mcl-wasm measured about 4x faster here but has no constant-time multiplication,
 * and the signer's x and nonces would leak through timing, so it is not used.
 */
import { assertBytes, assertString } from './assert.js';
import { concatBytes, type RandomSource } from './bytes.js';
import { randomBytes } from './random.js';
import {
  G1,
  G2,
  G1_LEN,
  G2_LEN,
  SCALAR_LEN,
  g1FromBytes,
  g1ToBytes,
  g2FromBytes,
  g2ToBytes,
  hashToG1,
  hashToScalar,
  invert,
  mod,
  mulG1,
  mulG1Public,
  mulG2,
  pairing2,
  pairingsEqual,
  randomScalar,
  scalarFromBytes,
  scalarToBytes,
} from './groupsig-algebra.js';

/** G1 point codec, for callers that store a group's public parts (the algebra stays internal). */
export { g1FromBytes, g1ToBytes };

/** Group public key of one epoch (388 bytes as bytes). */
export interface GroupPublicKey {
  epoch: number;
  g1: G1;
  g2: G2;
  h: G1;
  u: G1;
  v: G1;
  w: G2;
}

/** A member's signing key (A, x) for one epoch. Secret. */
export interface GroupMemberKey {
  epoch: number;
  A: G1;
  x: bigint;
}

/** A group signature (T1, T2, T3, c, s_alpha, s_beta, s_x, s_delta1, s_delta2). */
export interface GroupSignature {
  T1: G1;
  T2: G1;
  T3: G1;
  c: bigint;
  s: [bigint, bigint, bigint, bigint, bigint];
}

/** The published revocation of one member: the next epoch follows from it. */
export interface GroupRevocation {
  epoch: number;
  A: G1;
  x: bigint;
  g2: G2;
}

const DOMAIN = 'medledger/groupsig/bbs04/v1';

/** Bytes of a group public key: epoch u32be || g1 || g2 || h || u || v || w. */
export function groupPublicKeyToBytes(k: GroupPublicKey): Uint8Array {
  const e = new Uint8Array(4);
  new DataView(e.buffer).setUint32(0, k.epoch);
  return concatBytes(
    e,
    g1ToBytes(k.g1),
    g2ToBytes(k.g2),
    g1ToBytes(k.h),
    g1ToBytes(k.u),
    g1ToBytes(k.v),
    g2ToBytes(k.w),
  );
}

/** Parses {@link groupPublicKeyToBytes}; throws `TypeError` on malformed bytes. */
export function groupPublicKeyFromBytes(b: Uint8Array): GroupPublicKey {
  assertBytes(b, 'group public key');
  if (b.length !== 4 + 4 * G1_LEN + 2 * G2_LEN) throw new TypeError('group public key: wrong length');
  let o = 4;
  const take = (n: number): Uint8Array => b.slice(o, (o += n));
  return {
    epoch: new DataView(b.buffer, b.byteOffset, 4).getUint32(0),
    g1: g1FromBytes(take(G1_LEN), 'group public key'),
    g2: g2FromBytes(take(G2_LEN), 'group public key'),
    h: g1FromBytes(take(G1_LEN), 'group public key'),
    u: g1FromBytes(take(G1_LEN), 'group public key'),
    v: g1FromBytes(take(G1_LEN), 'group public key'),
    w: g2FromBytes(take(G2_LEN), 'group public key'),
  };
}

/** Bytes of a member key: epoch u32be || A || x (84 bytes). Secret. */
export function groupMemberKeyToBytes(k: GroupMemberKey): Uint8Array {
  const e = new Uint8Array(4);
  new DataView(e.buffer).setUint32(0, k.epoch);
  return concatBytes(e, g1ToBytes(k.A), scalarToBytes(k.x));
}

/** Parses {@link groupMemberKeyToBytes}; throws `TypeError` on malformed bytes. */
export function groupMemberKeyFromBytes(b: Uint8Array): GroupMemberKey {
  assertBytes(b, 'group member key');
  if (b.length !== 4 + G1_LEN + SCALAR_LEN) throw new TypeError('group member key: wrong length');
  return {
    epoch: new DataView(b.buffer, b.byteOffset, 4).getUint32(0),
    A: g1FromBytes(b.slice(4, 4 + G1_LEN), 'group member key'),
    x: scalarFromBytes(b.slice(4 + G1_LEN), 'group member key'),
  };
}

/** Bytes of a signature: T1 || T2 || T3 || c || s1..s5 (336 bytes). */
export function groupSignatureToBytes(s: GroupSignature): Uint8Array {
  return concatBytes(
    g1ToBytes(s.T1),
    g1ToBytes(s.T2),
    g1ToBytes(s.T3),
    scalarToBytes(s.c),
    ...s.s.map(scalarToBytes),
  );
}

/** Parses {@link groupSignatureToBytes}; throws `TypeError` on malformed bytes. */
export function groupSignatureFromBytes(b: Uint8Array): GroupSignature {
  assertBytes(b, 'group signature');
  if (b.length !== 3 * G1_LEN + 6 * SCALAR_LEN) throw new TypeError('group signature: wrong length');
  const T = [0, 1, 2].map((i) => g1FromBytes(b.slice(i * G1_LEN, (i + 1) * G1_LEN), 'group signature'));
  const sc = [0, 1, 2, 3, 4, 5].map((i) =>
    scalarFromBytes(
      b.slice(3 * G1_LEN + i * SCALAR_LEN, 3 * G1_LEN + (i + 1) * SCALAR_LEN),
      'group signature',
    ),
  );
  return { T1: T[0]!, T2: T[1]!, T3: T[2]!, c: sc[0]!, s: [sc[1]!, sc[2]!, sc[3]!, sc[4]!, sc[5]!] };
}

/** Bytes of a revocation: epoch u32be || A* || x* || g2' (180 bytes). */
export function groupRevocationToBytes(r: GroupRevocation): Uint8Array {
  const e = new Uint8Array(4);
  new DataView(e.buffer).setUint32(0, r.epoch);
  return concatBytes(e, g1ToBytes(r.A), scalarToBytes(r.x), g2ToBytes(r.g2));
}

/** Parses {@link groupRevocationToBytes}; throws `TypeError` on malformed bytes. */
export function groupRevocationFromBytes(b: Uint8Array): GroupRevocation {
  assertBytes(b, 'group revocation');
  if (b.length !== 4 + G1_LEN + SCALAR_LEN + G2_LEN) throw new TypeError('group revocation: wrong length');
  return {
    epoch: new DataView(b.buffer, b.byteOffset, 4).getUint32(0),
    A: g1FromBytes(b.slice(4, 4 + G1_LEN), 'group revocation'),
    x: scalarFromBytes(b.slice(4 + G1_LEN, 4 + G1_LEN + SCALAR_LEN), 'group revocation'),
    g2: g2FromBytes(b.slice(4 + G1_LEN + SCALAR_LEN), 'group revocation'),
  };
}

function challenge(
  gpk: GroupPublicKey,
  msg: Uint8Array,
  sig: Omit<GroupSignature, 'c' | 's'>,
  R: Uint8Array[],
): bigint {
  return hashToScalar(
    DOMAIN,
    groupPublicKeyToBytes(gpk),
    msg,
    g1ToBytes(sig.T1),
    g1ToBytes(sig.T2),
    g1ToBytes(sig.T3),
    ...R,
  );
}

/**
 * Signs `message` for the group. The member key must be of the epoch of `gpk`.
 * @example const sig = groupSign(gpk, memberKey, txBody)
 */
export function groupSign(
  gpk: GroupPublicKey,
  key: GroupMemberKey,
  message: Uint8Array,
  random: RandomSource = randomBytes,
): GroupSignature {
  assertBytes(message, 'message');
  if (key.epoch !== gpk.epoch) throw new RangeError('member key is of another epoch: update it');
  const [a, b, ra, rb, rx, rd1, rd2] = Array.from({ length: 7 }, () => randomScalar(random)) as [
    bigint,
    bigint,
    bigint,
    bigint,
    bigint,
    bigint,
    bigint,
  ];
  const x = key.x;
  const T1 = mulG1(gpk.u, a);
  const T2 = mulG1(gpk.v, b);
  const T3 = key.A.add(mulG1(gpk.h, a + b));
  const R1 = mulG1(gpk.u, ra);
  const R2 = mulG1(gpk.v, rb);
  const R3 = pairing2(mulG1(T3, rx).add(mulG1(gpk.h, -rd1 - rd2)), gpk.g2, mulG1(gpk.h, -ra - rb), gpk.w);
  const R4 = mulG1(T1, rx).add(mulG1(gpk.u, -rd1));
  const R5 = mulG1(T2, rx).add(mulG1(gpk.v, -rd2));
  const c = challenge(gpk, message, { T1, T2, T3 }, [
    g1ToBytes(R1),
    g1ToBytes(R2),
    R3,
    g1ToBytes(R4),
    g1ToBytes(R5),
  ]);
  const s: GroupSignature['s'] = [
    mod(ra + c * a),
    mod(rb + c * b),
    mod(rx + c * x),
    mod(rd1 + c * x * a),
    mod(rd2 + c * x * b),
  ];
  return { T1, T2, T3, c, s };
}

/**
 * True if `sig` is a signature of `message` by a member of the group in `gpk`'s epoch.
 * Never throws on a wrong signature; `TypeError` only if `message` is not bytes.
 */
export function groupVerify(gpk: GroupPublicKey, message: Uint8Array, sig: GroupSignature): boolean {
  assertBytes(message, 'message');
  try {
    const { T1, T2, T3, c } = sig;
    const [sa, sb, sx, sd1, sd2] = sig.s;
    const R1 = mulG1Public(gpk.u, sa).subtract(mulG1Public(T1, c));
    const R2 = mulG1Public(gpk.v, sb).subtract(mulG1Public(T2, c));
    const R3 = pairing2(
      mulG1Public(T3, sx)
        .add(mulG1Public(gpk.h, -sd1 - sd2))
        .subtract(mulG1Public(gpk.g1, c)),
      gpk.g2,
      mulG1Public(gpk.h, -sa - sb).add(mulG1Public(T3, c)),
      gpk.w,
    );
    const R4 = mulG1Public(T1, sx).subtract(mulG1Public(gpk.u, sd1));
    const R5 = mulG1Public(T2, sx).subtract(mulG1Public(gpk.v, sd2));
    return (
      challenge(gpk, message, sig, [g1ToBytes(R1), g1ToBytes(R2), R3, g1ToBytes(R4), g1ToBytes(R5)]) === c
    );
  } catch {
    return false;
  }
}

/** True if a member key is valid for the group key: e(A, w * g2^x) = e(g1, g2). */
export function isGroupMemberKey(gpk: GroupPublicKey, key: GroupMemberKey): boolean {
  try {
    return key.epoch === gpk.epoch && pairingsEqual(key.A, gpk.w.add(mulG2(gpk.g2, key.x)), gpk.g1, gpk.g2);
  } catch {
    return false;
  }
}

/** The opener's secret (xi1, xi2). */
export interface GroupOpeningKey {
  xi1: bigint;
  xi2: bigint;
}

/**
 * Opening: the A of the signer, `T3 / (T1^xi1 * T2^xi2)`. Returns the compressed A (48 bytes);
 * the manager's member table maps it to an identity ({@link GroupManager.open}). Does not
 * check the signature: verify first.
 */
export function openToA(ok: GroupOpeningKey, sig: GroupSignature): Uint8Array {
  return g1ToBytes(sig.T3.subtract(mulG1(sig.T1, ok.xi1).add(mulG1(sig.T2, ok.xi2))));
}

/**
 * Applies a published revocation: the next epoch's group key. Returns `null` if the
 * revocation is not consistent with `gpk` (e(A*, g2) != e(g1, g2'), or wrong epoch).
 */
export function nextGroupPublicKey(gpk: GroupPublicKey, r: GroupRevocation): GroupPublicKey | null {
  if (r.epoch !== gpk.epoch || !pairingsEqual(r.A, gpk.g2, gpk.g1, r.g2)) return null;
  return { ...gpk, epoch: gpk.epoch + 1, g1: r.A, g2: r.g2, w: gpk.g2.add(mulG2(r.g2, -r.x)) };
}

/**
 * A remaining member's key for the next epoch: A' = (A* / A)^(1/(x - x*)). Throws
 * `RangeError` for the revoked member itself (x = x*) or a key of another epoch.
 */
export function updateGroupMemberKey(key: GroupMemberKey, r: GroupRevocation): GroupMemberKey {
  if (key.epoch !== r.epoch) throw new RangeError('revocation is for another epoch');
  const d = mod(key.x - r.x);
  if (d === 0n) throw new RangeError('this member has been revoked');
  return { epoch: key.epoch + 1, A: mulG1(r.A.subtract(key.A), invert(d)), x: key.x };
}

/** @internal Opens with `ok` against a member table (exported for the wrong-key tests). */
export function openWith(
  ok: GroupOpeningKey,
  members: Iterable<{ id: string; A: G1 }>,
  sig: GroupSignature,
): string | null {
  const A = sig.T3.subtract(mulG1(sig.T1, ok.xi1).add(mulG1(sig.T2, ok.xi2)));
  for (const m of members) if (m.A.equals(A)) return m.id;
  return null;
}

/** A group manager's persisted state ({@link GroupManager.exportState}). Secret. */
export interface GroupManagerState {
  gamma: Uint8Array;
  xi1: Uint8Array;
  xi2: Uint8Array;
  /** {@link groupPublicKeyToBytes} of the current epoch. */
  publicKey: Uint8Array;
  members: { id: string; A: Uint8Array; x: Uint8Array }[];
}

interface MemberRecord {
  id: string;
  A: G1;
  x: bigint;
}

/**
 * The group manager: issuer key gamma, opening key (xi1, xi2) and the member table.
 * @example
 * const gm = GroupManager.create('trial-42-sites');
 * const key = gm.addMember('site-A');
 * const sig = groupSign(gm.publicKey, key, msg);
 * gm.open(msg, sig) // 'site-A'
 */
export class GroupManager {
  private constructor(
    private gamma: bigint,
    readonly openingKey: GroupOpeningKey,
    private gpk: GroupPublicKey,
    private readonly members: Map<string, MemberRecord>,
    private readonly random: RandomSource,
  ) {}

  /** A new group; h is hashed from `groupId`, u and v from the opening key. */
  static create(groupId: string, random: RandomSource = randomBytes): GroupManager {
    assertString(groupId, 'groupId', true);
    const gamma = randomScalar(random);
    const xi1 = randomScalar(random);
    const xi2 = randomScalar(random);
    const h = hashToG1(`${DOMAIN}/h`, new TextEncoder().encode(groupId));
    const gpk: GroupPublicKey = {
      epoch: 0,
      g1: G1.BASE,
      g2: G2.BASE,
      h,
      u: mulG1(h, invert(xi1)),
      v: mulG1(h, invert(xi2)),
      w: mulG2(G2.BASE, gamma),
    };
    return new GroupManager(gamma, { xi1, xi2 }, gpk, new Map(), random);
  }

  /** The current group public key. */
  get publicKey(): GroupPublicKey {
    return this.gpk;
  }

  /**
   * The manager's whole state (issuing key, opening key, current group key, member table with
   * each member's x), to persist it. Secret: seal it before it touches a disk.
   */
  exportState(): GroupManagerState {
    return {
      gamma: scalarToBytes(this.gamma),
      xi1: scalarToBytes(this.openingKey.xi1),
      xi2: scalarToBytes(this.openingKey.xi2),
      publicKey: groupPublicKeyToBytes(this.gpk),
      members: [...this.members.values()].map((m) => ({
        id: m.id,
        A: g1ToBytes(m.A),
        x: scalarToBytes(m.x),
      })),
    };
  }

  /**
   * Restores a manager from {@link GroupManager.exportState}. Checks that the issuing key
   * matches the group key (w = g2^gamma), that the opening key matches (u^xi1 = v^xi2 = h) and
   * that every member key is valid (A^(gamma + x) = g1).
   * @throws TypeError on malformed or inconsistent state.
   */
  static fromState(s: GroupManagerState, random: RandomSource = randomBytes): GroupManager {
    const gamma = scalarFromBytes(s.gamma, 'group manager state');
    const xi1 = scalarFromBytes(s.xi1, 'group manager state');
    const xi2 = scalarFromBytes(s.xi2, 'group manager state');
    const gpk = groupPublicKeyFromBytes(s.publicKey);
    if (!mulG2(gpk.g2, gamma).equals(gpk.w)) throw new TypeError('group manager state: issuing key mismatch');
    if (!mulG1(gpk.u, xi1).equals(gpk.h) || !mulG1(gpk.v, xi2).equals(gpk.h))
      throw new TypeError('group manager state: opening key mismatch');
    const members = new Map<string, MemberRecord>();
    for (const m of s.members) {
      assertString(m.id, 'member id', true);
      const A = g1FromBytes(m.A, 'group manager state');
      const x = scalarFromBytes(m.x, 'group manager state');
      if (!mulG1(A, mod(gamma + x)).equals(gpk.g1) || members.has(m.id))
        throw new TypeError('group manager state: invalid member key');
      members.set(m.id, { id: m.id, A, x });
    }
    return new GroupManager(gamma, { xi1, xi2 }, gpk, members, random);
  }

  /** Number of current members. */
  get size(): number {
    return this.members.size;
  }

  /** The member table (id and current A), e.g. to persist it or to audit an opening. */
  memberTable(): { id: string; A: G1 }[] {
    return [...this.members.values()].map((m) => ({ id: m.id, A: m.A }));
  }

  /** Issues a member key to `id` (a registry identity). Throws if `id` is already a member. */
  addMember(id: string): GroupMemberKey {
    assertString(id, 'id', true);
    if (this.members.has(id)) throw new RangeError('already a member');
    let x: bigint;
    do x = randomScalar(this.random);
    while (mod(this.gamma + x) === 0n);
    const A = mulG1(this.gpk.g1, invert(this.gamma + x));
    this.members.set(id, { id, A, x });
    return { epoch: this.gpk.epoch, A, x };
  }

  /**
   * Opens a signature: the member id, or `null` if the signature does not verify under the
   * current key or opens to no current member.
   */
  open(message: Uint8Array, sig: GroupSignature): string | null {
    if (!groupVerify(this.gpk, message, sig)) return null;
    return openWith(this.openingKey, this.members.values(), sig);
  }

  /**
   * Revokes a member (BBS04 §7): advances the epoch and returns the revocation to publish.
   * Costs one G1 multiplication per remaining member (the manager's table is updated).
   */
  revoke(id: string): GroupRevocation {
    const m = this.members.get(id);
    if (!m) throw new RangeError('not a member');
    const inv = invert(this.gamma + m.x);
    const r: GroupRevocation = { epoch: this.gpk.epoch, A: m.A, x: m.x, g2: mulG2(this.gpk.g2, inv) };
    this.members.delete(id);
    for (const o of this.members.values())
      o.A = updateGroupMemberKey({ epoch: r.epoch, A: o.A, x: o.x }, r).A;
    this.gpk = nextGroupPublicKey(this.gpk, r)!;
    return r;
  }
}
