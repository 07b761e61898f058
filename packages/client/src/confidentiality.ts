/**
 * Client side of the confidentiality flows (issue 4; contracts in
 * core/src/contracts/confidentiality): build the transactions, and do every secret-key
 * operation where the key lives — the member's device or the party that holds it:
 *
 * - ABE STT records (Rouselakis–Waters 2015): encrypt once for a policy with the authority keys
 *   taken from the ledger; decrypt with one member's attribute keys.
 * - Emergency access (Umbral PRE): the patient's set-up with kfrags sealed to each proxy; a
 *   proxy's re-encryption (human proxies run it here; the node proxy runs the same function);
 *   the grantee's decryption from the cfrags on the ledger.
 * - Encrypted expenses (Paillier): items, claims, the key holder's release of a claim's total
 *   (sealed to the insurer, with the aggregate's randomness so the insurer can check it).
 * - Keyword search (PEKS, BDOP04): indexes, trapdoor hand-over (sealed, off-chain) and a
 *   client-side search: the node serves the indexes and learns neither keyword nor matches.
 *
 * Pairing-based calls (ABE, PEKS) need `await initPairing()` (from `@medledger/crypto/pairing`)
 * once before use.
 */
import { readStateList } from './stateList.js';
import {
  envelopeFromJson,
  envelopeToJson,
  fromB64u,
  fromUtf8,
  openEnvelope,
  sealEnvelope,
  toB64u,
  utf8,
  type EnvelopeJson,
  type JsonValue,
} from '@medledger/crypto';
import {
  AbeAuthorityPublicKey,
  AbeCiphertext,
  abeDecrypt,
  abeEncrypt,
  AbeUserKey,
  type AbeAuthoritySecretKey,
  issueAbeUserKey,
} from '@medledger/crypto/abe';
import { attributeAuthority, parsePolicy, policyLeaves } from '@medledger/crypto/abe-policy';
import {
  PreCiphertext,
  preDecryptReencrypted,
  preEncrypt,
  preGenerateKFrags,
  preReencrypt,
  type PreParties,
} from '@medledger/crypto/pre';
import {
  EncryptedAmount,
  HePublicKey,
  heDecrypt,
  heEncrypt,
  heSum,
  type HeSecretKey,
} from '@medledger/crypto/he';
import {
  PeksIndex,
  PeksTrapdoor,
  peksIndex,
  peksTest,
  peksTrapdoor,
  type PeksPublicKey,
} from '@medledger/crypto/peks';
import type { PeksSecretKey } from '@medledger/crypto/peks';
import type { SignedTx, TxType } from '@medledger/core';
import {
  HE_MIN_TERMS,
  ckeys,
  type AbeAuthorityEntry,
  type EmergencyRequest,
  type EmergencySetup,
  type HeClaim,
  type HeExpense,
  type PeksIndexEntry,
  type PreRecordEntry,
  type PublishedKeys,
} from '@medledger/core/contracts/confidentiality';
import { MedledgerClient, MedledgerHttpError, type RequestSigner } from './http.js';
import { decryptSttBody, encryptSttBody } from './recordCrypto.js';
import type { Wallet } from './wallet.js';
import { MedledgerError } from './errors.js';

/** Where ledger data is read from: the HTTP API (`httpLedgerSource`) or a node in-process. */
export interface LedgerSource {
  state(key: string): Promise<JsonValue | undefined>;
  tx(txId: string): Promise<SignedTx | undefined>;
}

/**
 * A {@link LedgerSource} over a node's HTTP API (`/v1/state/:key`, `/v1/txs/:id`). Those
 * routes are member-only: `signer` is the member who signs the reads (a transaction read
 * that serves a DSS record is logged on the ledger under that member).
 * @throws (from the source's methods) MedledgerHttpError on any answer but 200 and 404
 */
export function httpLedgerSource(baseUrl: string, signer?: RequestSigner): LedgerSource {
  const client = new MedledgerClient(baseUrl, signer);
  const orUndefined = async <T>(p: Promise<T>): Promise<T | undefined> => {
    try {
      return await p;
    } catch (e) {
      if (e instanceof MedledgerHttpError && e.status === 404) return undefined;
      throw e;
    }
  };
  return {
    async state(key) {
      return (await orUndefined(client.getState<JsonValue>(key)))?.value;
    },
    async tx(id) {
      return (await orUndefined(client.getTx(id)))?.tx;
    },
  };
}

/** What every transaction builder here needs. */
export interface TxContext {
  wallet: Wallet;
  chainId: string;
  /** Signing time, ms since the epoch (default Date.now()). */
  createdAt?: number;
}

const build = (c: TxContext, type: TxType, payload: { [k: string]: JsonValue }): SignedTx =>
  c.wallet.txFromJson({ chainId: c.chainId, type, payload, createdAt: c.createdAt ?? Date.now() });

async function need<T>(source: LedgerSource, key: string, what: string): Promise<T> {
  const v = await source.state(key);
  if (v === undefined) throw new Error(`${what} not found on the ledger`);
  return v as unknown as T;
}

// ---- keys ------------------------------------------------------------------------------

/** `keys.publish`: the signer's public keys for the confidentiality schemes. */
export function publishKeysTx(
  c: TxContext,
  keys: {
    pre?: Uint8Array;
    preVerifying?: Uint8Array;
    he?: HePublicKey;
    heHolder?: string;
    peks?: PeksPublicKey;
    x25519?: Uint8Array;
  },
): SignedTx {
  const p: { [k: string]: JsonValue } = {};
  if (keys.pre) p.pre = toB64u(keys.pre);
  if (keys.preVerifying) p.preVerifying = toB64u(keys.preVerifying);
  if (keys.he) p.he = toB64u(keys.he.toBytes());
  if (keys.heHolder !== undefined) p.heHolder = keys.heHolder;
  if (keys.peks) p.peks = toB64u(keys.peks.toBytes());
  if (keys.x25519) p.x25519 = toB64u(keys.x25519);
  return build(c, 'keys.publish', p);
}

/** The keys a member (or `node:<org>`) published, if any. */
export async function publishedKeys(source: LedgerSource, id: string): Promise<PublishedKeys | undefined> {
  return (await source.state(ckeys.pubkeys(id))) as PublishedKeys | undefined;
}

// ---- ABE STT records -------------------------------------------------------------------

/** `abe.authority`, signed by the organization's root wallet (`org:<id>`). */
export function abeAuthorityTx(c: TxContext, publicKey: AbeAuthorityPublicKey): SignedTx {
  return build(c, 'abe.authority', { publicKey: toB64u(publicKey.toBytes()) });
}

/**
 * The authority public keys a policy needs, from the ledger (never from the party that hands
 * over a policy: an impostor authority would then read every record).
 * @throws Error if an authority of the policy is not registered.
 */
export async function abeAuthorityKeys(
  source: LedgerSource,
  policy: string,
): Promise<AbeAuthorityPublicKey[]> {
  const orgs = [...new Set(policyLeaves(parsePolicy(policy)).map(attributeAuthority))];
  const out: AbeAuthorityPublicKey[] = [];
  for (const org of orgs) {
    const e = await need<AbeAuthorityEntry>(source, ckeys.abeAuthority(org), `ABE authority ${org}`);
    out.push(AbeAuthorityPublicKey.fromBytes(fromB64u(e.publicKey)));
  }
  return out;
}

/**
 * Issues a member's attribute keys (the organization's authority, off-chain), bound to the
 * member id as GID. The caller must have checked that the member holds these attributes.
 */
export function issueAttributeKeys(
  sk: AbeAuthoritySecretKey,
  memberId: string,
  attributes: readonly string[],
): AbeUserKey[] {
  return attributes.map((a) => issueAbeUserKey(sk, memberId, a));
}

/**
 * Opens the attribute keys an organization's authority issued to this member (sealed to his
 * enrolled encryption key; see the node's `GET /v1/confidentiality/abe/keys`).
 */
export async function openAttributeKeys(
  sealed: EnvelopeJson,
  org: string,
  me: { id: string; privateKey: Uint8Array },
): Promise<AbeUserKey[]> {
  const pt = await openEnvelope(envelopeFromJson(sealed), me, utf8(`abe-keys:${org}`));
  return (JSON.parse(fromUtf8(pt)) as string[]).map((k) => AbeUserKey.fromBytes(fromB64u(k)));
}

export interface AbeRecordParameters {
  recordId: string;
  patient: string;
  subject: string;
  category: string;
  resourceType: string;
  purpose?: 'treatment' | 'payment' | 'research' | 'emergency';
  /** Previous ABE transmission of this record (a re-share under a new policy), or null. */
  prev?: string | null;
  policy: string;
  plaintext: Uint8Array;
  /**
   * The record's 32-byte release key, kept by the sender's node (`PUT
   * /v1/stt/release-keys/:recordId`, `RecordsClient.depositReleaseKey`): the record is sealed
   * under it before the ABE layer, so that attribute keys alone do not open it — a reader
   * also needs the key, which the holder releases only after an `access.request` committed
   * on the ledger (the read is logged). A re-share must use the record's release key.
   */
  releaseKey: Uint8Array;
}

/**
 * `record.stt.abe`: seals the record under its release key (AES-256-GCM, as an HPKE STT
 * record's inner layer, recordCrypto.ts), then encrypts that once for `policy` (AAD: the
 * record id) with the authority keys on the ledger.
 */
export async function abeRecordTx(
  c: TxContext,
  source: LedgerSource,
  p: AbeRecordParameters,
): Promise<SignedTx> {
  const inner = encryptSttBody(p.releaseKey, p.plaintext, p.recordId);
  const ct = abeEncrypt(p.policy, await abeAuthorityKeys(source, p.policy), inner, {
    aad: utf8(p.recordId),
  });
  // Signed asynchronously: the member's key may be a browser's WebCrypto key.
  return await c.wallet.txFromJsonAsync({
    chainId: c.chainId,
    type: 'record.stt.abe',
    createdAt: c.createdAt ?? Date.now(),
    payload: {
      recordId: p.recordId,
      patient: p.patient,
      subject: p.subject,
      category: p.category,
      resourceType: p.resourceType,
      purpose: p.purpose ?? 'treatment',
      prev: p.prev ?? null,
      policy: ct.policy,
      ciphertext: toB64u(ct.toBytes()),
    },
  });
}

/**
 * Decrypts the ABE layer of the latest ABE transmission of a record with ONE member's
 * attribute keys: the record sealed under its release key, which the holder releases after an
 * `access.request` ({@link openAbeRecord}).
 * @throws RangeError if the keys do not satisfy the policy; Error('ABE decryption failed') if
 *   they do not belong together (collusion) or the ciphertext was altered.
 */
export async function openAbeLayer(
  source: LedgerSource,
  recordId: string,
  keys: readonly AbeUserKey[],
): Promise<Uint8Array> {
  const dag = await readStateList<{ txId: string; policy?: string }>(
    (k) => source.state(k),
    `stt:${recordId}`,
  );
  if (dag === undefined) throw new Error(`record ${recordId} not found on the ledger`);
  const last = [...dag].reverse().find((t) => t.policy !== undefined);
  if (!last) throw new Error(`record ${recordId} has no ABE transmission`);
  const tx = await source.tx(last.txId);
  if (!tx) throw new Error(`transaction ${last.txId} not found`);
  const ct = AbeCiphertext.fromBytes(fromB64u(tx.body.payload.ciphertext as string));
  return abeDecrypt(ct, keys, utf8(recordId));
}

/**
 * Decrypts an ABE STT record: the ABE layer with ONE member's attribute keys
 * ({@link openAbeLayer}), then the release key the holder served for the member's committed
 * `access.request` (`RecordsClient.fetchReleaseKey`).
 * @throws as {@link openAbeLayer}; Error if the release key is not the record's
 */
export async function openAbeRecord(
  source: LedgerSource,
  recordId: string,
  keys: readonly AbeUserKey[],
  releaseKey: Uint8Array,
): Promise<Uint8Array> {
  return decryptSttBody(releaseKey, await openAbeLayer(source, recordId, keys), recordId);
}

// ---- emergency access (threshold PRE) ---------------------------------------------------

/** `pre.record`: a record encrypted to the patient's PRE key (by the patient or his care team). */
export function preRecordTx(
  c: TxContext,
  p: { recordId: string; patient: string; subject: string; category: string; resourceType: string },
  patientPrePublicKey: Uint8Array,
  plaintext: Uint8Array,
): SignedTx {
  return build(c, 'pre.record', {
    ...p,
    ciphertext: toB64u(preEncrypt(patientPrePublicKey, plaintext).toBytes()),
  });
}

/** AAD binding a sealed kfrag to its set-up and id. */
const kfragAad = (setupId: string, kfragId: string): Uint8Array => utf8(`emergency:${setupId}:${kfragId}`);

export interface EmergencySetupParameters {
  setupId: string;
  /** The patient's `consent.grant` with `emergency: true` and purpose 'emergency'. */
  grantId: string;
  /** The patient's PRE secret key (its public key is published as `pre`). */
  delegatingSecretKey: Uint8Array;
  /** The patient's kfrag-signing secret key (its public key is published as `preVerifying`). */
  signingSecretKey: Uint8Array;
  /** The grantee's PRE public key. */
  receivingPublicKey: Uint8Array;
  threshold: number;
  /** Proxies with their X25519 keys (a member's enrolled key; a node's published `x25519`). */
  proxies: { id: string; encryptionKey: Uint8Array }[];
}

/** `emergency.setup`: kfrags for the grantee, each sealed to its proxy. Returns the kfrag ids too. */
export async function emergencySetupTx(
  c: TxContext,
  p: EmergencySetupParameters,
): Promise<{ tx: SignedTx; kfragIds: string[] }> {
  const frags = preGenerateKFrags({
    delegatingSecretKey: p.delegatingSecretKey,
    signingSecretKey: p.signingSecretKey,
    receivingPublicKey: p.receivingPublicKey,
    threshold: p.threshold,
    shares: p.proxies.length,
  });
  const proxies: JsonValue[] = [];
  for (const [i, f] of frags.entries()) {
    const px = p.proxies[i]!;
    const sealed = await sealEnvelope({
      plaintext: f.kfrag,
      receivers: [{ id: px.id, publicKey: px.encryptionKey }],
      aad: kfragAad(p.setupId, f.id),
    });
    f.kfrag.fill(0);
    proxies.push({ proxy: px.id, kfragId: f.id, sealed: envelopeToJson(sealed) as unknown as JsonValue });
  }
  const tx = build(c, 'emergency.setup', {
    setupId: p.setupId,
    grantId: p.grantId,
    receivingPublicKey: toB64u(p.receivingPublicKey),
    threshold: p.threshold,
    proxies,
  });
  return { tx, kfragIds: frags.map((f) => f.id) };
}

/** `emergency.request` by the emergency doctor, with a coded reason (`EMERGENCY_REASONS`) if given. */
export function emergencyRequestTx(
  c: TxContext,
  setupId: string,
  recordId: string,
  reason?: string,
): SignedTx {
  return build(c, 'emergency.request', { setupId, recordId, ...(reason === undefined ? {} : { reason }) });
}

/** `emergency.revoke` by the patient. */
export function emergencyRevokeTx(c: TxContext, setupId: string, kfragIds: string[]): SignedTx {
  return build(c, 'emergency.revoke', { setupId, kfragIds });
}

const partiesOf = (s: EmergencySetup): PreParties => ({
  delegatingPublicKey: fromB64u(s.delegatingPublicKey),
  verifyingPublicKey: fromB64u(s.verifyingPublicKey),
  receivingPublicKey: fromB64u(s.receivingPublicKey),
});

/** Why a proxy refused to re-encrypt (thrown as `EmergencyRefusal`). */
export class EmergencyRefusal extends MedledgerError {
  declare readonly code: 'REQUEST_DENIED' | 'NOT_A_PROXY' | 'KFRAG_REVOKED' | 'CFRAG_EXISTS';
  constructor(code: 'REQUEST_DENIED' | 'NOT_A_PROXY' | 'KFRAG_REVOKED' | 'CFRAG_EXISTS', message: string) {
    super(code, message);
    this.name = 'EmergencyRefusal';
  }
}

/**
 * A proxy's step (a human proxy on his device; the node proxy service calls the same): checks
 * the request was allowed on the ledger, opens its sealed kfrag, refuses a revoked one,
 * verifies the kfrag (Umbral: signed by the patient for this grantee) and re-encrypts the
 * record's capsule. The proxy sees the capsule only, never the record or a key to it.
 * @returns the `emergency.cfrag` transaction, signed by `c.wallet` (whose id is the proxy).
 * @throws EmergencyRefusal; Error('kfrag verification failed') for a forged kfrag.
 */
export async function proxyReencryptTx(
  c: TxContext,
  source: LedgerSource,
  requestId: string,
  encryptionPrivateKey: Uint8Array,
): Promise<SignedTx> {
  const me = c.wallet.signerId;
  const req = await need<EmergencyRequest>(
    source,
    ckeys.request(requestId),
    `emergency request ${requestId}`,
  );
  if (!req.allow) throw new EmergencyRefusal('REQUEST_DENIED', `the ledger denied the request (${req.code})`);
  const setup = await need<EmergencySetup>(source, ckeys.setup(req.setupId), `set-up ${req.setupId}`);
  const slot = setup.proxies.find((x) => x.proxy === me);
  if (!slot) throw new EmergencyRefusal('NOT_A_PROXY', `${me} is not a proxy of set-up ${req.setupId}`);
  if (setup.revoked.includes(slot.kfragId))
    throw new EmergencyRefusal('KFRAG_REVOKED', `kfrag ${slot.kfragId} was revoked by the patient`);
  if (req.cfrags.some((x) => x.kfragId === slot.kfragId))
    throw new EmergencyRefusal('CFRAG_EXISTS', 'this proxy already answered the request');
  const rec = await need<PreRecordEntry>(source, ckeys.preRecord(req.recordId), `PRE record ${req.recordId}`);
  const kfrag = await openEnvelope(
    envelopeFromJson(slot.sealed),
    { id: me, privateKey: encryptionPrivateKey },
    kfragAad(setup.setupId, slot.kfragId),
  );
  try {
    // Re-encryption needs the capsule only; the record body stays where it is.
    const ct = new PreCiphertext(fromB64u(rec.capsule), new Uint8Array(0));
    const cfrag = preReencrypt(ct, kfrag, partiesOf(setup), new Set(setup.revoked));
    return build(c, 'emergency.cfrag', { requestId, kfragId: slot.kfragId, cfrag: toB64u(cfrag) });
  } finally {
    kfrag.fill(0);
  }
}

/**
 * The grantee decrypts the record from the cfrags posted on the ledger.
 * @throws RangeError if fewer than the threshold have been posted; Error if a cfrag is
 *   invalid or the key is not the grantee's.
 */
export async function openEmergencyRecord(
  source: LedgerSource,
  requestId: string,
  receivingSecretKey: Uint8Array,
): Promise<Uint8Array> {
  const req = await need<EmergencyRequest>(
    source,
    ckeys.request(requestId),
    `emergency request ${requestId}`,
  );
  const setup = await need<EmergencySetup>(source, ckeys.setup(req.setupId), `set-up ${req.setupId}`);
  const rec = await need<PreRecordEntry>(source, ckeys.preRecord(req.recordId), `PRE record ${req.recordId}`);
  const tx = await source.tx(rec.txId);
  if (!tx) throw new Error(`transaction ${rec.txId} not found`);
  const ct = PreCiphertext.fromBytes(fromB64u(tx.body.payload.ciphertext as string));
  const cfrags = req.cfrags.map((x) => fromB64u(x.cfrag));
  return preDecryptReencrypted(receivingSecretKey, ct, cfrags, partiesOf(setup), setup.threshold);
}

// ---- encrypted expenses (Paillier) -------------------------------------------------------

/** `he.expense`: one item in cents under the patient's published HE key. */
export async function expenseTx(
  c: TxContext,
  source: LedgerSource,
  p: { expenseId: string; patient: string; cents: number | bigint },
): Promise<SignedTx> {
  const k = await publishedKeys(source, p.patient);
  if (k?.he === undefined) throw new Error('the patient has not published an HE key');
  const amount = heEncrypt(HePublicKey.fromBytes(fromB64u(k.he)), p.cents);
  return build(c, 'he.expense', {
    expenseId: p.expenseId,
    patient: p.patient,
    amount: toB64u(amount.toBytes()),
  });
}

/** `he.claim` by the insurer. */
export function claimTx(
  c: TxContext,
  p: { claimId: string; patient: string; expenseIds: string[] },
): SignedTx {
  return build(c, 'he.claim', { claimId: p.claimId, patient: p.patient, expenseIds: p.expenseIds });
}

function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  b %= m;
  for (; e > 0n; e >>= 1n, b = (b * b) % m) if (e & 1n) r = (r * b) % m;
  return r;
}
function modInv(a: bigint, m: bigint): bigint {
  let [r0, r1, s0, s1] = [((a % m) + m) % m, m, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1, s0, s1] = [r1, r0 - q * r1, s1, s0 - q * s1];
  }
  if (r0 !== 1n) throw new RangeError('not invertible');
  return ((s0 % m) + m) % m;
}

/** Why the key holder refused to decrypt (thrown as `HeRefusal`). */
export class HeRefusal extends MedledgerError {
  declare readonly code:
    'NOT_A_CLAIM' | 'ALREADY_RELEASED' | 'TOO_FEW_TERMS' | 'AGGREGATE_MISMATCH' | 'WRONG_KEY';
  constructor(
    code: 'NOT_A_CLAIM' | 'ALREADY_RELEASED' | 'TOO_FEW_TERMS' | 'AGGREGATE_MISMATCH' | 'WRONG_KEY',
    message: string,
  ) {
    super(code, message);
    this.name = 'HeRefusal';
  }
}

/**
 * The key holder's step (the patient's device, or the custodian node): decrypts the total of a
 * claim the LEDGER accepted — and nothing else: never an item, never a ciphertext handed to it.
 * It re-derives the aggregate from the claimed items on the ledger, decrypts it, recovers the
 * aggregate's Paillier randomness r (c mod n = r^n mod n, so r = (c mod n)^(n⁻¹ mod φ)) and
 * seals {total, r} to the insurer's enrolled encryption key.
 * @returns the `he.total` transaction.
 * @throws HeRefusal.
 */
export async function releaseTotalTx(
  c: TxContext,
  source: LedgerSource,
  claimId: string,
  sk: HeSecretKey,
): Promise<SignedTx> {
  const claim = (await source.state(ckeys.claim(claimId))) as HeClaim | undefined;
  if (!claim) throw new HeRefusal('NOT_A_CLAIM', `no claim ${claimId} on the ledger`);
  if (claim.status !== 'requested') throw new HeRefusal('ALREADY_RELEASED', `claim ${claimId} was released`);
  if (claim.count < HE_MIN_TERMS || claim.expenseIds.length < HE_MIN_TERMS)
    throw new HeRefusal('TOO_FEW_TERMS', 'a claim total covers at least two items');
  const pk = sk.publicKey;
  const k = await publishedKeys(source, claim.patient);
  if (k?.he !== toB64u(pk.toBytes()))
    throw new HeRefusal('WRONG_KEY', "this is not the patient's current HE key");
  const items: EncryptedAmount[] = [];
  for (const id of claim.expenseIds) {
    const e = await need<HeExpense>(source, ckeys.expense(id), `expense ${id}`);
    if (e.claimId !== claimId || e.patient !== claim.patient)
      throw new HeRefusal('AGGREGATE_MISMATCH', `expense ${id} is not part of claim ${claimId}`);
    items.push(EncryptedAmount.fromBytes(fromB64u(e.amount)));
  }
  const aggregate = heSum(pk, items);
  if (toB64u(aggregate.toBytes()) !== claim.aggregate)
    throw new HeRefusal('AGGREGATE_MISMATCH', 'the aggregate on the ledger is not the sum of its items');
  const total = heDecrypt(sk, aggregate);
  const lambda = sk.key.lambda; // φ(n) = (p − 1)(q − 1) for this key layout
  const r = modPow(aggregate.c % pk.n, modInv(pk.n, lambda), pk.n);
  const insurer = await need<{ encryptionKey?: string }>(source, `member:${claim.insurer}`, 'insurer');
  if (insurer.encryptionKey === undefined) throw new Error('the insurer has no encryption key');
  const sealed = await sealEnvelope({
    plaintext: utf8(JSON.stringify({ total: total.toString(), r: r.toString(16) })),
    receivers: [{ id: claim.insurer, publicKey: fromB64u(insurer.encryptionKey) }],
    aad: utf8(`he-total:${claimId}`),
  });
  return build(c, 'he.total', { claimId, sealed: envelopeToJson(sealed) as unknown as JsonValue });
}

/**
 * The insurer opens a released total and checks it: re-encrypting it with the revealed
 * randomness must give the aggregate the contract computed from the items.
 * @throws Error if not released yet, not for this insurer, or the total does not check.
 */
export async function openClaimTotal(
  source: LedgerSource,
  claimId: string,
  insurer: { id: string; privateKey: Uint8Array },
): Promise<bigint> {
  const claim = await need<HeClaim>(source, ckeys.claim(claimId), `claim ${claimId}`);
  if (claim.status !== 'released' || claim.sealed === null)
    throw new Error(`claim ${claimId} is not released yet`);
  const pt = await openEnvelope(
    envelopeFromJson(claim.sealed as unknown as EnvelopeJson),
    insurer,
    utf8(`he-total:${claimId}`),
  );
  const { total, r } = JSON.parse(fromUtf8(pt)) as { total: string; r: string };
  const k = await publishedKeys(source, claim.patient);
  const pk = HePublicKey.fromBytes(fromB64u(k!.he!));
  const agg = EncryptedAmount.fromBytes(fromB64u(claim.aggregate));
  if (pk.key.encrypt(BigInt(total), BigInt(`0x${r}`)) !== agg.c)
    throw new Error('the released total does not match the aggregate on the ledger');
  return BigInt(total);
}

// ---- keyword search (PEKS) ------------------------------------------------------------------

/** `peks.index`: one index per keyword (normalize keywords first, e.g. upper-case ICD-10). */
export function peksIndexTx(
  c: TxContext,
  recordId: string,
  pk: PeksPublicKey,
  keywords: readonly string[],
): SignedTx {
  return build(c, 'peks.index', {
    recordId,
    indexes: keywords.map((k) => toB64u(peksIndex(pk, k).toBytes())),
  });
}

/**
 * The patient hands a doctor the trapdoor for ONE keyword, sealed to the doctor's enrolled
 * encryption key (off-chain: the ledger does not learn that a search right was given).
 */
export async function sealTrapdoor(
  sk: PeksSecretKey,
  keyword: string,
  doctor: { id: string; encryptionKey: Uint8Array },
): Promise<EnvelopeJson> {
  const td = peksTrapdoor(sk, keyword);
  const env = await sealEnvelope({
    plaintext: td.toBytes(),
    receivers: [{ id: doctor.id, publicKey: doctor.encryptionKey }],
    aad: utf8('peks-trapdoor'),
  });
  return envelopeToJson(env);
}

/** The doctor opens a sealed trapdoor. */
export async function openTrapdoor(
  sealed: EnvelopeJson,
  doctor: { id: string; privateKey: Uint8Array },
): Promise<PeksTrapdoor> {
  return PeksTrapdoor.fromBytes(await openEnvelope(envelopeFromJson(sealed), doctor, utf8('peks-trapdoor')));
}

/** The indexes of a patient's records, as served by the node (or read from state). */
export type PeksIndexes = Pick<PeksIndexEntry, 'recordId' | 'indexes'>[];

/** Reads every keyword index of a patient's records from the ledger state. */
export async function patientIndexes(source: LedgerSource, patient: string): Promise<PeksIndexes> {
  const ids = ((await source.state(ckeys.peksRecords(patient))) as string[] | undefined) ?? [];
  const out: PeksIndexes = [];
  for (const id of ids) {
    const e = (await source.state(ckeys.peksIndex(id))) as PeksIndexEntry | undefined;
    if (e) out.push({ recordId: e.recordId, indexes: e.indexes });
  }
  return out;
}

/**
 * Client-side search: the records whose indexes match the trapdoor. Runs where the trapdoor
 * is; whoever serves the indexes learns only that this patient's indexes were fetched.
 */
export function searchIndexes(indexes: PeksIndexes, trapdoor: PeksTrapdoor): string[] {
  return indexes
    .filter((r) => r.indexes.some((b) => peksTest(PeksIndex.fromBytes(fromB64u(b)), trapdoor)))
    .map((r) => r.recordId);
}
