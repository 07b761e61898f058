/**
 * Anonymous credentials and anonymous authentication with BBS signatures (Boneh, Boyen,
 * Shacham 2004; the BBS variant of draft-irtf-cfrg-bbs-signatures and Tessaro-Zhu, EUROCRYPT
 * 2023) on BLS12-381, through @docknetwork/crypto-wasm-ts 0.67 (composite proofs).
 *
 * An organisation signs an ordered list of messages:
 *   0 holderSecret (blind: the issuer signs a commitment to it and never learns it),
 *   1 credentialId (random, revocation handle), 2 role, 3 organization, 4 expiresAt (Unix ms),
 *   5.. further attributes in code-point order of their names.
 * To authenticate, the member answers a verifier's {@link PresentationRequest} with a
 * zero-knowledge proof of knowledge of a signature that discloses only the requested
 * attributes, proves `expiresAt >= request.now` and any requested predicates with range proofs
 * (zk.ts), proves non-revocation against the current accumulator (credentials-revocation.ts),
 * and exposes a pseudonym `H(scope)^holderSecret`. The whole request (nonce included) is hashed
 * into the proof's Fiat-Shamir challenge, so a presentation verifies for that request only.
 *
 * Threat model. Against verifiers (and the node that stores their logs): presentations are
 * zero-knowledge beyond the disclosed attributes and predicates, and two presentations of the
 * same credential are unlinkable (fresh randomisation of the signature each time), unless the
 * verifier asks for the same pseudonym scope twice: the pseudonym is deliberately stable
 * within a scope (an access log per verifier and period) and unlinkable across scopes. With no
 * scope it is per presentation (derived from the nonce). Linkability through the disclosed
 * values themselves (a rare role, a small organisation) is not prevented. Against the issuer:
 * it learns the attributes it signs but not the holder secret, so even colluding with a
 * verifier it cannot compute a member's pseudonyms; it can still recognise disclosed values.
 * Unforgeability (q-SDH) protects against members and outsiders; a stolen credential together
 * with its holder secret can be presented by the thief (no device binding). Expiry and
 * revocation are only as fresh as `now` and the accumulator value the verifier supplies.
 */
import {
  BBSBlindSignature,
  BBSPublicKey,
  BBSSecretKey,
  BBSSignature,
  BBSSignatureParams,
  BBSKeypair,
  CompositeProof,
  MessageEncoder,
  MetaStatement,
  MetaStatements,
  Pseudonym,
  PseudonymBases,
  QuasiProofSpec,
  Statement,
  Statements,
  VBMembershipWitness,
  Witness,
  WitnessEqualityMetaStatement,
  Witnesses,
  AccumulatorPublicKey,
  getBBSStatementForBlindSigRequest,
  getBBSWitnessForBlindSigRequest,
} from '@docknetwork/crypto-wasm-ts';
import { assertBytes, assertInt, assertString } from './assert.js';
import { toB64u, toHex, utf8, type RandomSource } from './bytes.js';
import { randomBytes } from './random.js';
import {
  accumulatorParams,
  credentialIdMember,
  initAnonymousCredentials,
  membershipProvingKey,
  u8,
  CREDENTIAL_ID_BYTES,
} from './credentials-revocation.js';
import {
  boundCheckInterval,
  bulletproofsParams,
  predicateHolds,
  resolvePredicate,
  MAX_PREDICATE_VALUE,
  type ResolvedPredicate,
} from './zk.js';
import {
  checkAttributes,
  checkRequest,
  requestDigest,
  type AttributeValue,
  type Credential,
  type IssuanceRequest,
  type IssuedCredential,
  type Presentation,
  type PresentationRequest,
  type PresentationResult,
} from './credentials-codec.js';

export * from './credentials-codec.js';
export * from './credentials-revocation.js';

const FIXED = ['holderSecret', 'credentialId', 'role', 'organization', 'expiresAt'] as const;
const ISSUANCE_CONTEXT = utf8('medledger/anoncred/issuance/v1');

function sigParams(n: number): BBSSignatureParams {
  return BBSSignatureParams.generate(n, utf8('medledger/anoncred/bbs/v1'));
}

function encodeValue(v: AttributeValue): Uint8Array {
  return typeof v === 'number'
    ? MessageEncoder.encodePositiveNumberForSigning(v)
    : MessageEncoder.encodeMessageForSigningConstantTime(utf8(v));
}

/** The signed message index of every attribute name of a credential with these extra names. */
function layout(extraNames: readonly string[]): Map<string, number> {
  const m = new Map<string, number>(FIXED.map((n, i) => [n, i]));
  [...extraNames].sort().forEach((n, i) => m.set(n, FIXED.length + i));
  return m;
}

function publicValues(c: Omit<IssuedCredential, 'signature'>): Map<number, Uint8Array> {
  const msgs = new Map<number, Uint8Array>([
    [1, credentialIdMember(c.credentialId)],
    [2, encodeValue(c.role)],
    [3, encodeValue(c.organization)],
    [4, encodeValue(c.expiresAt)],
  ]);
  const idx = layout(Object.keys(c.attributes));
  for (const [k, v] of Object.entries(c.attributes)) msgs.set(idx.get(k)!, encodeValue(v));
  return msgs;
}

/** Issuer key pair: secret key 32 bytes, public key 96 bytes (a G2 point). */
export interface IssuerKeys {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

/** Generates an issuer key pair from `random`. */
export async function generateIssuerKeys(random: RandomSource = randomBytes): Promise<IssuerKeys> {
  await initAnonymousCredentials();
  const kp = BBSKeypair.generate(sigParams(FIXED.length), random(32));
  return { secretKey: u8(kp.secretKey.value), publicKey: u8(kp.publicKey.value) };
}

/** True if `publicKey` is a valid issuer public key (a non-identity G2 point). Never throws. */
export async function isIssuerPublicKey(publicKey: Uint8Array): Promise<boolean> {
  await initAnonymousCredentials();
  try {
    return (
      publicKey instanceof Uint8Array && publicKey.length === 96 && new BBSPublicKey(publicKey).isValid()
    );
  } catch {
    return false;
  }
}

/** A fresh holder secret (a field element, 32 bytes), kept by the member and never sent. */
export async function createHolderSecret(random: RandomSource = randomBytes): Promise<Uint8Array> {
  await initAnonymousCredentials();
  return u8(MessageEncoder.encodeMessageForSigningConstantTime(random(32)));
}

function commitmentSpec(commitment: Uint8Array): QuasiProofSpec {
  const st = new Statements();
  st.add(getBBSStatementForBlindSigRequest({ commitment, blindedIndices: [0] }, sigParams(FIXED.length)));
  return new QuasiProofSpec(st, new MetaStatements(), [], ISSUANCE_CONTEXT);
}

/**
 * Step 1 of issuance (member): a commitment to the holder secret and a proof of knowledge of
 * its opening, bound to the issuer's fresh `issuerNonce`.
 */
export async function createIssuanceRequest(
  holderSecret: Uint8Array,
  issuerNonce: Uint8Array,
): Promise<IssuanceRequest> {
  assertBytes(holderSecret, 'holderSecret', 32);
  assertBytes(issuerNonce, 'issuerNonce');
  await initAnonymousCredentials();
  const blinded = new Map([[0, holderSecret]]);
  const req = BBSBlindSignature.generateRequest(blinded, sigParams(FIXED.length), false);
  const w = new Witnesses();
  w.add(getBBSWitnessForBlindSigRequest(blinded));
  const proof = CompositeProof.generateUsingQuasiProofSpec(commitmentSpec(req.commitment), w, issuerNonce);
  return { commitment: u8(req.commitment), proof: u8(proof.value) };
}

/** Parameters of {@link issueCredential}. */
export interface IssueCredentialParameters {
  issuerSecretKey: Uint8Array;
  request: IssuanceRequest;
  issuerNonce: Uint8Array;
  role: string;
  organization: string;
  /** Unix time in milliseconds after which the credential is no longer accepted. */
  expiresAt: number;
  /** Further attributes: strings, or non-negative integers (dates as YYYYMMDD). */
  attributes?: Record<string, AttributeValue>;
  random?: RandomSource;
}

/**
 * Step 2 of issuance (issuer): checks the member's proof of knowledge and blind-signs the
 * attributes. Throws `RangeError` if the request's proof does not verify, `TypeError` on
 * malformed attributes.
 */
export async function issueCredential(p: IssueCredentialParameters): Promise<IssuedCredential> {
  assertBytes(p.issuerSecretKey, 'issuerSecretKey', 32);
  assertBytes(p.request?.commitment, 'request.commitment', 48);
  assertBytes(p.request.proof, 'request.proof');
  assertBytes(p.issuerNonce, 'issuerNonce');
  const attributes = { ...(p.attributes ?? {}) };
  checkAttributes(p.role, p.organization, p.expiresAt, attributes, FIXED);
  await initAnonymousCredentials();
  let ok = false;
  try {
    ok = new CompositeProof(p.request.proof).verifyUsingQuasiProofSpec(
      commitmentSpec(p.request.commitment),
      p.issuerNonce,
    ).verified;
  } catch {
    ok = false;
  }
  if (!ok) throw new RangeError('issuance request: proof of knowledge does not verify');
  const credentialId = (p.random ?? randomBytes)(CREDENTIAL_ID_BYTES);
  const body = {
    credentialId,
    role: p.role,
    organization: p.organization,
    expiresAt: p.expiresAt,
    attributes,
  };
  const n = FIXED.length + Object.keys(attributes).length;
  const sig = BBSBlindSignature.generate(
    p.request.commitment,
    publicValues(body),
    new BBSSecretKey(p.issuerSecretKey),
    sigParams(n),
    false,
  );
  return { ...body, signature: u8(sig.value) };
}

function allMessages(c: Credential): Uint8Array[] {
  const m = publicValues(c);
  m.set(0, c.holderSecret);
  return [...m.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
}

/**
 * Step 3 of issuance (member): joins the issued credential with the holder secret and checks
 * the issuer's signature. Throws `RangeError` if the signature does not verify.
 */
export async function acceptCredential(
  issued: IssuedCredential,
  holderSecret: Uint8Array,
  issuerPublicKey: Uint8Array,
): Promise<Credential> {
  assertBytes(holderSecret, 'holderSecret', 32);
  await initAnonymousCredentials();
  const c: Credential = { ...issued, holderSecret };
  if (!(await verifyCredentialSignature(c, issuerPublicKey))) {
    throw new RangeError('credential signature does not verify');
  }
  return c;
}

/** True if the credential's signature verifies under the issuer key. Never throws on wrong values. */
export async function verifyCredentialSignature(
  c: Credential,
  issuerPublicKey: Uint8Array,
): Promise<boolean> {
  await initAnonymousCredentials();
  try {
    const msgs = allMessages(c);
    return new BBSSignature(c.signature).verify(
      msgs,
      new BBSPublicKey(issuerPublicKey),
      sigParams(msgs.length),
      false,
    ).verified;
  } catch {
    return false;
  }
}

/** The pseudonym base of a scope; with no scope, one derived from the nonce (per presentation). */
function pseudonymBase(req: PresentationRequest): Uint8Array {
  const scope = req.scope !== undefined ? `scope:${req.scope}` : `nonce:${toHex(req.nonce)}`;
  return PseudonymBases.generateBaseForSecretKey(utf8(`medledger/anoncred/pseudonym/v1/${scope}`));
}

interface Plan {
  idx: Map<string, number>;
  predicates: ResolvedPredicate[];
  n: number;
}

function plan(req: PresentationRequest, attributeNames: readonly string[]): Plan {
  const idx = layout(attributeNames);
  for (const r of req.reveal ?? []) {
    if (!idx.has(r) || r === 'holderSecret' || r === 'credentialId')
      throw new RangeError(`cannot reveal ${r}`);
  }
  const expiry: ResolvedPredicate = { attribute: 'expiresAt', min: req.now, max: MAX_PREDICATE_VALUE };
  const predicates = [expiry, ...(req.predicates ?? []).map(resolvePredicate)];
  for (const p of predicates) {
    const i = idx.get(p.attribute);
    if (i === undefined || i < 4) throw new RangeError(`no numeric attribute ${p.attribute}`);
    if (req.reveal?.includes(p.attribute)) throw new RangeError(`predicate over revealed ${p.attribute}`);
  }
  return { idx, predicates, n: idx.size };
}

function spec(
  req: PresentationRequest,
  pl: Plan,
  revealed: Map<number, Uint8Array>,
  pseudonym: Uint8Array,
  issuerPublicKey: Uint8Array | undefined,
): QuasiProofSpec {
  const params = sigParams(pl.n);
  const st = new Statements();
  const ms = new MetaStatements();
  const eq = (a: [number, number], b: [number, number]): void => {
    const e = new WitnessEqualityMetaStatement();
    e.addWitnessRef(a[0], a[1]);
    e.addWitnessRef(b[0], b[1]);
    ms.add(MetaStatement.witnessEquality(e));
  };
  st.add(
    issuerPublicKey === undefined
      ? Statement.bbsSignatureProverConstantTime(params, revealed, false)
      : Statement.bbsSignatureVerifierConstantTime(
          params,
          new BBSPublicKey(issuerPublicKey),
          revealed,
          false,
        ),
  );
  eq([0, 0], [st.add(Statement.pseudonymVerifier(pseudonym, pseudonymBase(req))), 0]);
  const bpp = bulletproofsParams();
  for (const p of pl.predicates) {
    const [min, max] = boundCheckInterval(p);
    eq([0, pl.idx.get(p.attribute)!], [st.add(Statement.boundCheckBpp(min, max, bpp)), 0]);
  }
  if (req.revocation) {
    const s = Statement.vbAccumulatorMembership(
      accumulatorParams(),
      new AccumulatorPublicKey(req.revocation.publicKey),
      membershipProvingKey(),
      req.revocation.accumulated,
    );
    eq([0, 1], [st.add(s), 0]);
  }
  return new QuasiProofSpec(st, ms);
}

/**
 * Answers a verifier's request: an unlinkable selective-disclosure proof. Throws
 * `RangeError` if the credential cannot satisfy the request (expired, a predicate is false,
 * a requested attribute is missing, a witness is needed but absent); the message names the
 * attribute, never its value.
 * @param witness - current accumulator witness, required when `request.revocation` is set.
 * @example const pres = await presentCredential(cred, { nonce, now: block.time, reveal: ['role'] })
 */
export async function presentCredential(
  credential: Credential,
  request: PresentationRequest,
  witness?: Uint8Array,
): Promise<Presentation> {
  checkRequest(request);
  assertBytes(credential?.holderSecret, 'credential.holderSecret', 32);
  await initAnonymousCredentials();
  const attributeNames = Object.keys(credential.attributes).sort();
  const pl = plan(request, attributeNames);
  const values: Record<string, AttributeValue> = {
    role: credential.role,
    organization: credential.organization,
    expiresAt: credential.expiresAt,
    ...credential.attributes,
  };
  for (const p of pl.predicates) {
    if (!predicateHolds(p, values[p.attribute]))
      throw new RangeError(`predicate on ${p.attribute} does not hold`);
  }
  if (request.revocation && !witness) throw new RangeError('a revocation witness is required');
  const msgs = allMessages(credential);
  const reveal = new Set((request.reveal ?? []).map((r) => pl.idx.get(r)!));
  const revealed = new Map<number, Uint8Array>();
  const hidden = new Map<number, Uint8Array>();
  msgs.forEach((m, i) => (reveal.has(i) ? revealed : hidden).set(i, m));
  const pseudonym = u8(Pseudonym.new(pseudonymBase(request), credential.holderSecret).value);
  const w = new Witnesses();
  w.add(Witness.bbsSignatureConstantTime(new BBSSignature(credential.signature), hidden, false));
  w.add(Witness.pseudonym(credential.holderSecret));
  for (const p of pl.predicates) w.add(Witness.boundCheckBpp(msgs[pl.idx.get(p.attribute)!]!));
  if (request.revocation) {
    w.add(
      Witness.vbAccumulatorMembership(
        credentialIdMember(credential.credentialId),
        new VBMembershipWitness(witness!),
      ),
    );
  }
  const proof = CompositeProof.generateUsingQuasiProofSpec(
    spec(request, pl, revealed, pseudonym, undefined),
    w,
    requestDigest(request),
  );
  const disclosed: Record<string, AttributeValue> = {};
  for (const r of request.reveal ?? []) disclosed[r] = values[r]!;
  return { attributeNames, revealed: disclosed, pseudonym, proof: u8(proof.value) };
}

/**
 * Verifies a presentation against the verifier's own request. Returns `{ ok: true, revealed,
 * pseudonym }` or `{ ok: false, reason }`; never throws on a wrong or tampered presentation
 * (only `TypeError` on arguments of the wrong type).
 */
export async function verifyPresentation(
  issuerPublicKey: Uint8Array,
  request: PresentationRequest,
  presentation: Presentation,
): Promise<PresentationResult> {
  assertBytes(issuerPublicKey, 'issuerPublicKey');
  assertBytes(presentation?.proof, 'presentation.proof');
  assertBytes(presentation.pseudonym, 'presentation.pseudonym');
  checkRequest(request);
  await initAnonymousCredentials();
  try {
    const names = presentation.attributeNames;
    names.forEach((n) => assertString(n, 'attributeName', true));
    if (
      names.some((n, i) => i > 0 && n <= names[i - 1]!) ||
      names.some((n) => (FIXED as readonly string[]).includes(n))
    ) {
      return { ok: false, reason: 'attribute names are not a sorted set of custom names' };
    }
    const pl = plan(request, names);
    const want = [...(request.reveal ?? [])].sort();
    const got = Object.keys(presentation.revealed).sort();
    if (want.join('\n') !== got.join('\n'))
      return { ok: false, reason: 'disclosed attributes differ from the request' };
    const revealed = new Map<number, Uint8Array>();
    for (const r of want) {
      const v = presentation.revealed[r]!;
      if (r === 'expiresAt' || typeof v === 'number') assertInt(v, r);
      revealed.set(pl.idx.get(r)!, encodeValue(v));
    }
    const s = spec(request, pl, revealed, presentation.pseudonym, issuerPublicKey);
    const r = new CompositeProof(presentation.proof).verifyUsingQuasiProofSpec(s, requestDigest(request));
    if (!r.verified) return { ok: false, reason: 'proof does not verify' };
    return {
      ok: true,
      revealed: { ...presentation.revealed },
      pseudonym: toB64u(presentation.pseudonym),
    };
  } catch (e) {
    return { ok: false, reason: e instanceof RangeError ? e.message : 'malformed presentation' };
  }
}
