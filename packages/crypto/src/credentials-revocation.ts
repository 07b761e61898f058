/**
 * Revocation of anonymous credentials with a positive dynamic accumulator (Vitto, Biryukov:
 * "Dynamic Universal Accumulator with Batch Update over Bilinear Groups", CT-RSA 2022 — the
 * "VB" accumulator of @docknetwork/crypto-wasm-ts 0.67). Every valid credential id is in the
 * accumulator; a presentation proves in zero knowledge that its hidden id is a member
 * (credentials.ts). Revoking removes the id: the accumulator value changes, the revoked
 * holder's witness no longer verifies and cannot be updated (computing one needs the manager's
 * secret key), while every other holder updates its witness from the public update.
 *
 * Threat model: verifiers see only the current accumulator value (48 bytes), never which
 * credentials it holds; the manager (the issuer, or a registry) sees ids at issuance, so it
 * knows who was revoked, but a presentation shows no id. The manager is trusted for
 * integrity: with its secret key it can compute a witness for any element, so a dishonest
 * manager could "un-revoke". Publishing the update history on the ledger lets anyone audit
 * the additions and removals. A verifier using an old accumulator value accepts credentials
 * revoked after it: verifiers must use the value at the current block.
 */
import {
  Accumulator,
  AccumulatorPublicKey,
  AccumulatorSecretKey,
  PositiveAccumulator,
  VBMembershipWitness,
  initializeWasm,
  isWasmInitialized,
  type IAccumulatorState,
  type MembershipProvingKey,
  type AccumulatorParams,
} from '@docknetwork/crypto-wasm-ts';
import { assertBytes } from './assert.js';
import { equalBytes, fromB64u, toB64u, utf8, toHex, type RandomSource } from './bytes.js';
import { randomBytes } from './random.js';

let init: Promise<void> | undefined;

/** @internal Dock returns plain arrays in places; the API hands out real Uint8Arrays. */
export const u8 = (b: ArrayLike<number>): Uint8Array => Uint8Array.from(b);

/**
 * Loads the WASM module of the anonymous-credential schemes (about 100-150 ms, once per
 * process). Every async function of credentials.ts awaits it; call it early to pay the cost
 * at start-up.
 */
export function initAnonymousCredentials(): Promise<void> {
  if (isWasmInitialized()) return Promise.resolve();
  init ??= initializeWasm();
  return init;
}

/** Credential ids are 32 random bytes chosen by the issuer. */
export const CREDENTIAL_ID_BYTES = 32;
/** Accumulator values and membership witnesses are compressed BLS12-381 G1 points. */
export const ACCUMULATOR_BYTES = 48;
/** Accumulator public keys are compressed G2 points. */
export const ACCUMULATOR_PUBLIC_KEY_BYTES = 96;

let accParams: AccumulatorParams | undefined;
let provingKey: MembershipProvingKey | undefined;

/** @internal Public accumulator parameters, derived from a fixed label (no trusted setup). */
export function accumulatorParams(): AccumulatorParams {
  accParams ??= PositiveAccumulator.generateParams(utf8('medledger/anoncred/accumulator/v1'));
  return accParams;
}

/** @internal The membership proving key (public, from a fixed label). */
export function membershipProvingKey(): MembershipProvingKey {
  provingKey ??= Accumulator.generateMembershipProvingKey(utf8('medledger/anoncred/accumulator-pk/v1'));
  return provingKey;
}

/** @internal The accumulator member encoding a credential id. */
export function credentialIdMember(credentialId: Uint8Array): Uint8Array {
  assertBytes(credentialId, 'credentialId', CREDENTIAL_ID_BYTES);
  return u8(Accumulator.encodeBytesAsAccumulatorMember(credentialId));
}

/** One published change of the accumulator, in the order applied. */
export interface RevocationUpdate {
  op: 'add' | 'remove';
  credentialId: Uint8Array;
  /** Accumulator value before the change. */
  before: Uint8Array;
  /** Accumulator value after the change. */
  after: Uint8Array;
}

/** What a verifier needs to check non-revocation: the manager's key and the current value. */
export interface RevocationStatus {
  publicKey: Uint8Array;
  accumulated: Uint8Array;
}

class SetState implements IAccumulatorState {
  readonly members = new Set<string>();
  async add(e: Uint8Array): Promise<void> {
    this.members.add(toHex(e));
  }
  async remove(e: Uint8Array): Promise<void> {
    this.members.delete(toHex(e));
  }
  async has(e: Uint8Array): Promise<boolean> {
    return this.members.has(toHex(e));
  }
}

/**
 * The accumulator manager's state: secret key, current value and the set of valid ids.
 * @example
 * const reg = await RevocationRegistry.create();
 * const { witness } = await reg.add(credentialId);
 * const update = await reg.revoke(credentialId);
 */
export class RevocationRegistry {
  private constructor(
    private readonly sk: AccumulatorSecretKey,
    /** The manager's public key (96 bytes). */
    readonly publicKey: Uint8Array,
    private acc: PositiveAccumulator,
    private readonly state: SetState,
  ) {}

  /** A new empty registry; the secret key comes from `random`. */
  static async create(random: RandomSource = randomBytes): Promise<RevocationRegistry> {
    await initAnonymousCredentials();
    const kp = PositiveAccumulator.generateKeypair(accumulatorParams(), random(32));
    return new RevocationRegistry(
      kp.secretKey,
      u8(kp.publicKey.value),
      PositiveAccumulator.initialize(accumulatorParams(), kp.secretKey),
      new SetState(),
    );
  }

  /** The current accumulator value (48 bytes), to publish on the ledger. */
  get accumulated(): Uint8Array {
    return u8(this.acc.accumulated);
  }

  /** The public status a verifier checks against. */
  status(): RevocationStatus {
    return { publicKey: this.publicKey, accumulated: this.accumulated };
  }

  /** True if the id is currently valid (added and not revoked). */
  has(credentialId: Uint8Array): boolean {
    assertBytes(credentialId, 'credentialId', CREDENTIAL_ID_BYTES);
    return this.state.members.has(toHex(credentialIdMember(credentialId)));
  }

  /** Adds a credential id; returns its witness and the public update. Throws if present. */
  async add(credentialId: Uint8Array): Promise<{ witness: Uint8Array; update: RevocationUpdate }> {
    const e = credentialIdMember(credentialId);
    if (await this.state.has(e)) throw new RangeError('credential id already in the registry');
    const before = this.accumulated;
    await this.acc.add(e, this.sk, this.state);
    const witness = u8((await this.acc.membershipWitness(e, this.sk, this.state)).value);
    return {
      witness,
      update: { op: 'add', credentialId: credentialId.slice(), before, after: this.accumulated },
    };
  }

  /** Revokes a credential id; returns the public update. Throws if absent. */
  async revoke(credentialId: Uint8Array): Promise<RevocationUpdate> {
    const e = credentialIdMember(credentialId);
    if (!(await this.state.has(e))) throw new RangeError('credential id not in the registry');
    const before = this.accumulated;
    await this.acc.remove(e, this.sk, this.state);
    return { op: 'remove', credentialId: credentialId.slice(), before, after: this.accumulated };
  }

  /** A fresh witness for a valid id (the manager can always recompute one). */
  async witness(credentialId: Uint8Array): Promise<Uint8Array> {
    const e = credentialIdMember(credentialId);
    if (!(await this.state.has(e))) throw new RangeError('credential id not in the registry');
    return u8((await this.acc.membershipWitness(e, this.sk, this.state)).value);
  }

  /** Serialises the registry, secret key included, for the manager's key store. */
  toJson(): { secretKey: string; accumulated: string; members: string[] } {
    return {
      secretKey: toB64u(u8(this.sk.value)),
      accumulated: toB64u(this.accumulated),
      members: [...this.state.members].sort(),
    };
  }

  /** Parses {@link RevocationRegistry.toJson}; throws `TypeError` on malformed input. */
  static async fromJson(j: unknown): Promise<RevocationRegistry> {
    await initAnonymousCredentials();
    const o = j as { secretKey?: unknown; accumulated?: unknown; members?: unknown };
    if (typeof o !== 'object' || o === null || !Array.isArray(o.members)) {
      throw new TypeError('registry: malformed JSON');
    }
    const skb = fromB64u(o.secretKey as string);
    const acc = fromB64u(o.accumulated as string);
    if (skb.length !== 32 || acc.length !== ACCUMULATOR_BYTES)
      throw new TypeError('registry: malformed JSON');
    const sk = new AccumulatorSecretKey(skb);
    const state = new SetState();
    for (const m of o.members) {
      if (typeof m !== 'string' || !/^[0-9a-f]{64}$/.test(m))
        throw new TypeError('registry: malformed member');
      state.members.add(m);
    }
    const publicKey = u8(Accumulator.generatePublicKeyFromSecretKey(sk, accumulatorParams()).value);
    return new RevocationRegistry(sk, publicKey, PositiveAccumulator.fromAccumulated(acc), state);
  }
}

/**
 * Brings a holder's witness up to date with the published updates since it was issued
 * (additions and removals, in order). Returns the new witness. Throws `RangeError` if one of
 * the updates revokes this very credential: a revoked holder cannot get a valid witness.
 */
export function updateWitness(
  witness: Uint8Array,
  credentialId: Uint8Array,
  updates: readonly RevocationUpdate[],
): Uint8Array {
  assertBytes(witness, 'witness', ACCUMULATOR_BYTES);
  const e = credentialIdMember(credentialId);
  const w = new VBMembershipWitness(witness.slice());
  for (const u of updates) {
    assertBytes(u.credentialId, 'update.credentialId', CREDENTIAL_ID_BYTES);
    if (equalBytes(u.credentialId, credentialId)) {
      if (u.op === 'remove') throw new RangeError('credential has been revoked');
      continue;
    }
    const x = credentialIdMember(u.credentialId);
    if (u.op === 'add') w.updatePostAdd(x, e, u.before);
    else if (u.op === 'remove') w.updatePostRemove(x, e, u.after);
    else throw new TypeError('update.op must be add or remove');
  }
  return u8(w.value);
}

/** True if `witness` proves `credentialId` is in the accumulator of `status`. Never throws on bad bytes. */
export function verifyWitness(
  status: RevocationStatus,
  credentialId: Uint8Array,
  witness: Uint8Array,
): boolean {
  try {
    const acc = PositiveAccumulator.fromAccumulated(status.accumulated);
    return acc.verifyMembershipWitness(
      credentialIdMember(credentialId),
      new VBMembershipWitness(witness),
      new AccumulatorPublicKey(status.publicKey),
      accumulatorParams(),
    );
  } catch {
    return false;
  }
}

/** JSON form of a {@link RevocationUpdate} (base64url fields). */
export function revocationUpdateToJson(u: RevocationUpdate): Record<string, string> {
  return { op: u.op, credentialId: toB64u(u.credentialId), before: toB64u(u.before), after: toB64u(u.after) };
}

/** Parses {@link revocationUpdateToJson}; throws `TypeError` on malformed input. */
export function revocationUpdateFromJson(j: unknown): RevocationUpdate {
  const o = j as Record<string, unknown>;
  if (typeof o !== 'object' || o === null || (o.op !== 'add' && o.op !== 'remove')) {
    throw new TypeError('revocation update: malformed JSON');
  }
  const u = {
    op: o.op,
    credentialId: fromB64u(o.credentialId as string),
    before: fromB64u(o.before as string),
    after: fromB64u(o.after as string),
  } satisfies RevocationUpdate;
  if (
    u.credentialId.length !== CREDENTIAL_ID_BYTES ||
    u.before.length !== ACCUMULATOR_BYTES ||
    u.after.length !== ACCUMULATOR_BYTES
  ) {
    throw new TypeError('revocation update: malformed field length');
  }
  return u;
}
