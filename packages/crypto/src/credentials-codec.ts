/**
 * Types and canonical-JSON forms of the anonymous-credential objects of credentials.ts.
 * Bytes travel as base64url without padding; every `*FromJson` checks shapes and lengths and
 * throws `TypeError` on malformed input. The presentation request is hashed (RFC 8785
 * canonical JSON, domain-separated SHA-256) into the proof, which binds a presentation to the
 * verifier's nonce, time, disclosed names, predicates, scope and accumulator value.
 */
import { assertBytes, assertInt, assertString } from './assert.js';
import { fromB64u, toB64u } from './bytes.js';
import { hashTagged } from './hash.js';
import { canonicalBytes } from './jcs.js';
import { resolvePredicate, MAX_PREDICATE_VALUE, type Predicate } from './zk.js';

/** An attribute value: a string, or a non-negative safe integer (dates as YYYYMMDD). */
export type AttributeValue = string | number;

/** Holder → issuer: commitment to the holder secret and a proof of knowledge of its opening. */
export interface IssuanceRequest {
  commitment: Uint8Array;
  proof: Uint8Array;
}

/** Issuer → holder: the signed attributes (the holder secret is not in it). */
export interface IssuedCredential {
  credentialId: Uint8Array;
  role: string;
  organization: string;
  expiresAt: number;
  attributes: Record<string, AttributeValue>;
  signature: Uint8Array;
}

/** A member's credential. `holderSecret` is secret: keep the whole object in the key store. */
export interface Credential extends IssuedCredential {
  holderSecret: Uint8Array;
}

/** What the verifier asks for. The verifier builds it, sends it, and verifies against its own copy. */
export interface PresentationRequest {
  /** Fresh verifier-chosen challenge, at least 16 bytes. */
  nonce: Uint8Array;
  /** The verifier's time, Unix ms (e.g. the block time): the credential must not be expired. */
  now: number;
  /** Attribute names to disclose (role, organization, expiresAt or custom names). */
  reveal?: string[];
  /** Predicates over hidden numeric attributes (zk.ts). */
  predicates?: Predicate[];
  /** Pseudonym scope: presentations in one scope share a pseudonym. Absent: per presentation. */
  scope?: string;
  /** When set, the credential must be in this accumulator (not revoked). */
  revocation?: { publicKey: Uint8Array; accumulated: Uint8Array };
  /** Free context bound into the proof (verifier id, purpose of access). */
  context?: string;
}

/** Holder → verifier. */
export interface Presentation {
  /** The credential's custom attribute names (its schema), sorted. */
  attributeNames: string[];
  revealed: Record<string, AttributeValue>;
  /** 48 bytes: H(scope)^holderSecret. */
  pseudonym: Uint8Array;
  proof: Uint8Array;
}

/** Outcome of verification. */
export type PresentationResult =
  { ok: true; revealed: Record<string, AttributeValue>; pseudonym: string } | { ok: false; reason: string };

const NAME_RE = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

/** @internal Checks attribute values before signing. */
export function checkAttributes(
  role: unknown,
  organization: unknown,
  expiresAt: unknown,
  attributes: Record<string, unknown>,
  reserved: readonly string[],
): void {
  assertString(role, 'role');
  assertString(organization, 'organization');
  assertInt(expiresAt, 'expiresAt', 0, MAX_PREDICATE_VALUE);
  if (typeof attributes !== 'object' || attributes === null)
    throw new TypeError('attributes must be an object');
  for (const [k, v] of Object.entries(attributes)) {
    if (!NAME_RE.test(k) || reserved.includes(k))
      throw new TypeError(`attribute name ${JSON.stringify(k)} not allowed`);
    if (typeof v === 'number') assertInt(v, `attribute ${k}`, 0, MAX_PREDICATE_VALUE);
    else assertString(v, `attribute ${k}`);
  }
}

function obj(j: unknown, what: string): Record<string, unknown> {
  if (typeof j !== 'object' || j === null || Array.isArray(j))
    throw new TypeError(`${what}: expected an object`);
  return j as Record<string, unknown>;
}

function bytes(v: unknown, what: string, len?: number): Uint8Array {
  if (typeof v !== 'string') throw new TypeError(`${what} must be a base64url string`);
  const b = fromB64u(v);
  if (len !== undefined && b.length !== len) throw new TypeError(`${what} must be ${len} bytes`);
  return b;
}

function values(v: unknown, what: string): Record<string, AttributeValue> {
  const o = obj(v, what);
  const out: Record<string, AttributeValue> = {};
  for (const [k, x] of Object.entries(o)) {
    if (typeof x === 'string') out[k] = x;
    else if (typeof x === 'number' && Number.isSafeInteger(x) && x >= 0) out[k] = x;
    else throw new TypeError(`${what}.${k} must be a string or a non-negative integer`);
  }
  return out;
}

/** Canonical-JSON form of a request. */
export function presentationRequestToJson(r: PresentationRequest): Record<string, unknown> {
  assertBytes(r.nonce, 'nonce');
  const j: Record<string, unknown> = { nonce: toB64u(r.nonce), now: r.now };
  if (r.reveal !== undefined) j.reveal = [...r.reveal];
  if (r.predicates !== undefined) j.predicates = r.predicates.map((p) => ({ ...resolvePredicate(p) }));
  if (r.scope !== undefined) j.scope = r.scope;
  if (r.revocation !== undefined) {
    j.revocation = {
      publicKey: toB64u(r.revocation.publicKey),
      accumulated: toB64u(r.revocation.accumulated),
    };
  }
  if (r.context !== undefined) j.context = r.context;
  return j;
}

/** Parses {@link presentationRequestToJson}; throws `TypeError` on malformed input. */
export function presentationRequestFromJson(j: unknown): PresentationRequest {
  const o = obj(j, 'presentation request');
  const r: PresentationRequest = { nonce: bytes(o.nonce, 'nonce'), now: o.now as number };
  if (o.reveal !== undefined) {
    if (!Array.isArray(o.reveal)) throw new TypeError('reveal must be an array');
    r.reveal = o.reveal.map((x) => {
      assertString(x, 'reveal[]', true);
      return x;
    });
  }
  if (o.predicates !== undefined) {
    if (!Array.isArray(o.predicates)) throw new TypeError('predicates must be an array');
    r.predicates = o.predicates.map((p) => resolvePredicate(obj(p, 'predicate') as unknown as Predicate));
  }
  if (o.scope !== undefined) r.scope = o.scope as string;
  if (o.revocation !== undefined) {
    const v = obj(o.revocation, 'revocation');
    r.revocation = {
      publicKey: bytes(v.publicKey, 'revocation.publicKey', 96),
      accumulated: bytes(v.accumulated, 'revocation.accumulated', 48),
    };
  }
  if (o.context !== undefined) r.context = o.context as string;
  checkRequest(r);
  return r;
}

/** @internal Validates a request's types. */
export function checkRequest(r: PresentationRequest): void {
  if (typeof r !== 'object' || r === null) throw new TypeError('request must be an object');
  assertBytes(r.nonce, 'nonce');
  if (r.nonce.length < 16) throw new RangeError('nonce must be at least 16 bytes');
  assertInt(r.now, 'now', 0, MAX_PREDICATE_VALUE);
  if (r.scope !== undefined) assertString(r.scope, 'scope', true);
  if (r.context !== undefined) assertString(r.context, 'context');
  if (r.revocation !== undefined) {
    assertBytes(r.revocation.publicKey, 'revocation.publicKey', 96);
    assertBytes(r.revocation.accumulated, 'revocation.accumulated', 48);
  }
}

/** @internal The 32-byte digest of a request that the proof is bound to. */
export function requestDigest(r: PresentationRequest): Uint8Array {
  checkRequest(r);
  return hashTagged(
    'medledger/anoncred/presentation-request/v1',
    canonicalBytes(presentationRequestToJson(r)),
  );
}

/** Canonical-JSON form of a presentation. */
export function presentationToJson(p: Presentation): Record<string, unknown> {
  return {
    attributeNames: [...p.attributeNames],
    revealed: { ...p.revealed },
    pseudonym: toB64u(p.pseudonym),
    proof: toB64u(p.proof),
  };
}

/** Parses {@link presentationToJson}; throws `TypeError` on malformed input. */
export function presentationFromJson(j: unknown): Presentation {
  const o = obj(j, 'presentation');
  if (!Array.isArray(o.attributeNames) || o.attributeNames.some((n) => typeof n !== 'string')) {
    throw new TypeError('attributeNames must be an array of strings');
  }
  return {
    attributeNames: [...(o.attributeNames as string[])],
    revealed: values(o.revealed, 'revealed'),
    pseudonym: bytes(o.pseudonym, 'pseudonym', 48),
    proof: bytes(o.proof, 'proof'),
  };
}

/** Canonical-JSON form of an issuance request. */
export function issuanceRequestToJson(r: IssuanceRequest): Record<string, string> {
  return { commitment: toB64u(r.commitment), proof: toB64u(r.proof) };
}

/** Parses {@link issuanceRequestToJson}; throws `TypeError` on malformed input. */
export function issuanceRequestFromJson(j: unknown): IssuanceRequest {
  const o = obj(j, 'issuance request');
  return { commitment: bytes(o.commitment, 'commitment', 48), proof: bytes(o.proof, 'proof') };
}

/** Canonical-JSON form of a credential; with the holder secret if present (then it is secret). */
export function credentialToJson(c: IssuedCredential | Credential): Record<string, unknown> {
  const j: Record<string, unknown> = {
    credentialId: toB64u(c.credentialId),
    role: c.role,
    organization: c.organization,
    expiresAt: c.expiresAt,
    attributes: { ...c.attributes },
    signature: toB64u(c.signature),
  };
  if ('holderSecret' in c) j.holderSecret = toB64u(c.holderSecret);
  return j;
}

/** Parses {@link credentialToJson} (an issued credential, or a full one with `holderSecret`). */
export function credentialFromJson(j: unknown): IssuedCredential & { holderSecret?: Uint8Array } {
  const o = obj(j, 'credential');
  const c: IssuedCredential & { holderSecret?: Uint8Array } = {
    credentialId: bytes(o.credentialId, 'credentialId', 32),
    role: o.role as string,
    organization: o.organization as string,
    expiresAt: o.expiresAt as number,
    attributes: values(o.attributes, 'attributes'),
    signature: bytes(o.signature, 'signature', 80),
  };
  checkAttributes(c.role, c.organization, c.expiresAt, c.attributes, []);
  if (o.holderSecret !== undefined) c.holderSecret = bytes(o.holderSecret, 'holderSecret', 32);
  return c;
}
