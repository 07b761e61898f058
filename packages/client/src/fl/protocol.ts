/**
 * A participant's side of a secure-aggregation round (Bonawitz et al. 2017; the ledger's side
 * is core/src/contracts/fl, the arithmetic crypto/src/secagg.ts and shamir.ts). Every secret
 * stays with the caller: the round's two X25519 private keys, the self-mask seed b, the shares
 * dealt to it. What goes on the ledger is public keys, shares sealed to other participants,
 * the masked update and, at unmasking, only the shares the ledger's U3 calls for.
 */
import {
  canonicalBytes,
  concatBytes,
  envelopeFromJson,
  envelopeToJson,
  fromB64u,
  generateEncryptionKeyPair,
  hashTagged,
  maskInput,
  openEnvelope,
  randomBytes,
  sealEnvelope,
  selfMaskCommitment,
  shamirShareFromBytes,
  shamirShareToBytes,
  shamirSplit,
  toB64u,
  toHex,
  utf8,
  vectorToBytes,
  type EncryptionKeyPair,
  type JsonValue,
  type RandomSource,
} from '@medledger/crypto';
import {
  participantX,
  roundContext,
  type FlKeysPost,
  type FlRound,
  type FlSharesPost,
  type FlStudySpec,
} from '@medledger/core/contracts/fl';

/** The secrets a participant keeps for one round (never on the ledger). */
export interface RoundSecrets {
  studyId: string;
  round: number;
  /** Receives the shares dealt to this participant. */
  c: EncryptionKeyPair;
  /** Agrees the pairwise masks. */
  s: EncryptionKeyPair;
  /** Set when dealing: the self-mask seed and this participant's own share of b and s^SK. */
  selfSeed?: Uint8Array;
  own?: { b: Uint8Array; s: Uint8Array };
}

const SHARE_PAIR_VERSION = 1;
const UPDATE_COMMITMENT_TAG = 'medledger/fl/update-commitment/v1';

/** Fresh keys for a round, and the `fl.keys` payload. */
export function createRoundSecrets(
  studyId: string,
  round: number,
  random: RandomSource = randomBytes,
): { secrets: RoundSecrets; keys: { c: string; s: string } } {
  const c = generateEncryptionKeyPair(random);
  const s = generateEncryptionKeyPair(random);
  return { secrets: { studyId, round, c, s }, keys: { c: toB64u(c.publicKey), s: toB64u(s.publicKey) } };
}

/** Additional data of a sealed share pair: the round, the dealer and the recipient. */
function shareAad(context: Uint8Array, from: string, to: string): Uint8Array {
  return concatBytes(context, utf8(`|share|${from}|${to}`));
}

/**
 * Deals t-of-|U1| shares of s^SK and of a fresh self-mask seed b to every member of U1 (the
 * round's `expected` in its shares phase), sealed to each one's `c` key; keeps its own.
 * @returns the `fl.shares` payload parts; `secrets` gains the seed and the own shares
 */
export async function dealShares(p: {
  chainId: string;
  study: FlStudySpec;
  round: FlRound;
  self: string;
  secrets: RoundSecrets;
  keys: { [org: string]: FlKeysPost };
  random?: RandomSource;
}): Promise<{ bCommit: string; shares: { [org: string]: JsonValue } }> {
  const random = p.random ?? randomBytes;
  const context = roundContext(p.chainId, p.study.studyId, p.round.round);
  const holders = p.round.expected;
  const xs = holders.map((o) => participantX(p.study, o));
  const selfSeed = random(32).slice();
  const sShares = shamirSplit(p.secrets.s.privateKey, p.study.threshold, xs, random);
  const bShares = shamirSplit(selfSeed, p.study.threshold, xs, random);
  const shares: { [org: string]: JsonValue } = {};
  for (const [i, org] of holders.entries()) {
    const pair = { s: shamirShareToBytes(sShares[i]!), b: shamirShareToBytes(bShares[i]!) };
    if (org === p.self) {
      p.secrets.own = pair;
      continue;
    }
    const c = p.keys[org]?.c;
    if (c === undefined) throw new Error(`no round keys of ${org}`);
    const env = await sealEnvelope({
      plaintext: concatBytes(Uint8Array.of(SHARE_PAIR_VERSION), pair.s, pair.b),
      receivers: [{ id: org, publicKey: fromB64u(c) }],
      aad: shareAad(context, p.self, org),
      random,
    });
    shares[org] = envelopeToJson(env) as unknown as JsonValue;
  }
  p.secrets.selfSeed = selfSeed;
  return { bCommit: toHex(selfMaskCommitment(selfSeed, context)), shares };
}

/**
 * The masked update y = x + PRG(b) + pairwise masks with every other member of U2, base64url.
 * @param input the update, elements of Z_q (`encodeFixedPoint`)
 */
export function maskUpdate(p: {
  chainId: string;
  study: FlStudySpec;
  round: FlRound;
  self: string;
  secrets: RoundSecrets;
  keys: { [org: string]: FlKeysPost };
  input: readonly bigint[];
}): string {
  if (!p.secrets.selfSeed) throw new Error('shares were not dealt in this round');
  const peers = (p.round.u2 ?? [])
    .filter((o) => o !== p.self)
    .map((o) => {
      const s = p.keys[o]?.s;
      if (s === undefined) throw new Error(`no round keys of ${o}`);
      return { id: o, publicKey: fromB64u(s) };
    });
  const y = maskInput({
    input: p.input,
    selfSeed: p.secrets.selfSeed,
    self: p.self,
    privateKey: p.secrets.s.privateKey,
    peers,
    context: roundContext(p.chainId, p.study.studyId, p.round.round),
  });
  return toB64u(vectorToBytes(y));
}

/**
 * Opens the shares dealt to this participant and returns the `fl.unmask` payload: a b-share
 * of every u ∈ U3 and an s-share of every w ∈ U2 \ U3 — never both for the same participant,
 * because the ledger fixed U3 before this runs.
 * @throws Error if a share cannot be opened (sealed to another key, or tampered with)
 */
export async function unmaskShares(p: {
  chainId: string;
  study: FlStudySpec;
  round: FlRound;
  self: string;
  secrets: RoundSecrets;
  dealt: { [org: string]: FlSharesPost };
}): Promise<{ b: { [org: string]: string }; s: { [org: string]: string } }> {
  const context = roundContext(p.chainId, p.study.studyId, p.round.round);
  const u3 = p.round.u3 ?? [];
  const dropped = (p.round.u2 ?? []).filter((o) => !u3.includes(o));
  const pairOf = async (from: string): Promise<{ b: Uint8Array; s: Uint8Array }> => {
    if (from === p.self) {
      if (!p.secrets.own) throw new Error('shares were not dealt in this round');
      return p.secrets.own;
    }
    const env = p.dealt[from]?.shares[p.self];
    if (env === undefined) throw new Error(`${from} dealt no share to ${p.self}`);
    const plain = await openEnvelope(
      envelopeFromJson(env),
      { id: p.self, privateKey: p.secrets.c.privateKey },
      shareAad(context, from, p.self),
    );
    if (plain.length !== 133 || plain[0] !== SHARE_PAIR_VERSION)
      throw new Error(`the share from ${from} is malformed`);
    const pair = { s: plain.slice(1, 67), b: plain.slice(67) };
    const x = participantX(p.study, p.self);
    shamirShareFromBytes(x, pair.s); // both must be field elements
    shamirShareFromBytes(x, pair.b);
    return pair;
  };
  const out: { b: { [org: string]: string }; s: { [org: string]: string } } = { b: {}, s: {} };
  for (const u of u3) out.b[u] = toB64u((await pairOf(u)).b);
  for (const w of dropped) out.s[w] = toB64u((await pairOf(w)).s);
  return out;
}

/**
 * Salted commitment to an update and the records behind it: tagged SHA-256 of
 * (salt, canonical {records: sorted ids, update: hex of the Z_q vector}), hex. The participant
 * keeps the salt to open it to an auditor.
 */
export function updateCommitment(
  salt: Uint8Array,
  input: readonly bigint[],
  recordIds: readonly string[],
): string {
  const body = canonicalBytes({ records: [...recordIds].sort(), update: toHex(vectorToBytes(input)) });
  return toHex(hashTagged(UPDATE_COMMITMENT_TAG, salt, body));
}
