/**
 * SMART Backend Services authorization (SMART App Launch 2.x, "Backend Services"): a client
 * gets an access token with `client_credentials`, authenticating with a `private_key_jwt`
 * assertion (RFC 7523 §2.2, RFC 7521) signed ES256 or ES384. JWT handling is `jose`'s.
 *
 * Key discovery: a member registers a JWKS (`POST /fhir/R4/auth/clients`, signed with the
 * member's ledger key, so the JWKS is bound to the key of the member's certificate) and gets
 * a `client_id`. The client acts as that member: a token carries the member's id and the
 * scopes it asked for, and the member's own rights on the ledger still decide every read.
 * A revoked member's clients stop working at once: their assertions are refused and their
 * tokens too (the member is looked up in the ledger on every use).
 *
 * Checks of an assertion: `iss` = `sub` = a registered client id; signature by a key of its
 * JWKS (ES256/ES384 only); `aud` = this token endpoint; `exp` present, in the future and at
 * most 5 minutes ahead; `jti` present and never seen before for this client (kept until the
 * assertion expires). Access tokens are 256-bit random strings, valid `tokenTtlMs` (5
 * minutes). Registrations, used jtis and issued tokens live in `path` (SQLite, or in memory):
 * a restart neither forgets a used jti (so an assertion cannot be replayed after a restart)
 * nor ends a live token. A token is kept only as its SHA-256, so the file cannot be used to
 * act as anyone.
 *
 * Threat model: protects against a stolen or replayed assertion after its use, an assertion
 * for another server (audience), a client using a key the member did not register, and a
 * revoked member. Not against theft of the client's private key (revoke the member), nor of
 * a live bearer token (short lifetime; TLS).
 */
import Database from 'better-sqlite3';
import {
  createLocalJWKSet,
  decodeJwt,
  errors,
  importJWK,
  jwtVerify,
  type JSONWebKeySet,
  type JWK,
} from 'jose';
import { randomBytes, sha256, toB64u, toHex } from '@medledger/crypto';
import { getMember, type MemberEntry } from '@medledger/core';
import type { LedgerView } from '../ledgerView.js';
import { fhirError } from './outcome.js';
import { parseScopes, type SmartScope } from './scopes.js';

/** RFC 7523 client assertion type. */
export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Assertion algorithms accepted (SMART Backend Services requires ES384 or RS384; no RSA here). */
export const ASSERTION_ALGS = ['ES256', 'ES384'] as const;

/** Options of {@link SmartAuthority}. */
export interface SmartAuthorityOptions {
  node: LedgerView;
  now?: () => number;
  /** Lifetime of access tokens (default 5 minutes). */
  tokenTtlMs?: number;
  /** SQLite file of client registrations (default in memory). */
  path?: string;
}

/** A token endpoint request (`application/x-www-form-urlencoded` fields). */
export interface TokenRequest {
  grant_type?: string;
  scope?: string;
  client_assertion_type?: string;
  client_assertion?: string;
}

/** The token endpoint's answer (RFC 6749 §5.1). */
export interface TokenResponse {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
  scope: string;
}

/** What a valid access token stands for. */
export interface TokenGrant {
  member: MemberEntry;
  clientId: string;
  scopes: SmartScope[];
}

interface TokenRow {
  client_id: string;
  member_id: string;
  scope: string;
  exp: number;
}

const MAX_ASSERTION_LIFETIME_MS = 5 * 60_000;

/** Registrations, assertions and access tokens of SMART Backend Services on one node. */
export class SmartAuthority {
  readonly #node: LedgerView;
  readonly #now: () => number;
  readonly #ttl: number;
  readonly #db: Database.Database;

  constructor(o: SmartAuthorityOptions) {
    this.#node = o.node;
    this.#now = o.now ?? Date.now;
    this.#ttl = o.tokenTtlMs ?? 5 * 60_000;
    this.#db = new Database(o.path ?? ':memory:');
    this.#db.exec(
      'CREATE TABLE IF NOT EXISTS clients (client_id TEXT PRIMARY KEY, member_id TEXT NOT NULL, jwks TEXT NOT NULL, registered_at INTEGER NOT NULL) STRICT;' +
        // A used assertion id, kept until its assertion expired (replay protection).
        'CREATE TABLE IF NOT EXISTS jtis (client_id TEXT NOT NULL, jti TEXT NOT NULL, exp INTEGER NOT NULL, PRIMARY KEY (client_id, jti)) STRICT;' +
        // An issued access token, by the SHA-256 of the token (never the token itself).
        'CREATE TABLE IF NOT EXISTS tokens (token_hash BLOB PRIMARY KEY, client_id TEXT NOT NULL, member_id TEXT NOT NULL, scope TEXT NOT NULL, exp INTEGER NOT NULL) STRICT;',
    );
  }

  /** Token lifetime in seconds (for `expires_in`). */
  get tokenTtlSeconds(): number {
    return Math.floor(this.#ttl / 1000);
  }

  /**
   * Registers a JWKS for `member` (authenticated by a signed request with the key of its
   * certificate): EC P-256 or P-384 public keys only, 1 to 10 of them.
   * @throws MALFORMED_REQUEST naming what is wrong; AUTH_REVOKED
   */
  async register(member: MemberEntry, body: unknown): Promise<{ client_id: string; member: string }> {
    this.#active(member.id);
    const jwks = (body as { jwks?: unknown } | null)?.jwks as JSONWebKeySet | undefined;
    if (
      typeof jwks !== 'object' ||
      jwks === null ||
      !Array.isArray(jwks.keys) ||
      jwks.keys.length < 1 ||
      jwks.keys.length > 10
    )
      throw fhirError('MALFORMED_REQUEST', 'body must be { "jwks": { "keys": [ 1 to 10 public keys ] } }');
    const keys: JWK[] = [];
    for (const [i, k] of jwks.keys.entries()) {
      const path = `jwks.keys[${i}]`;
      if (typeof k !== 'object' || k === null) throw fhirError('MALFORMED_REQUEST', `${path} must be a JWK`);
      if (k.kty !== 'EC' || (k.crv !== 'P-256' && k.crv !== 'P-384'))
        throw fhirError('MALFORMED_REQUEST', `${path} must be an EC key on P-256 or P-384`);
      if ('d' in k)
        throw fhirError('MALFORMED_REQUEST', `${path} is a private key; register public keys only`);
      try {
        await importJWK(k, k.crv === 'P-256' ? 'ES256' : 'ES384');
      } catch {
        throw fhirError('MALFORMED_REQUEST', `${path} is not a valid public key`);
      }
      const { kty, crv, x, y, kid, alg, use } = k as JWK & { x: string; y: string };
      keys.push({
        kty,
        crv,
        x,
        y,
        ...(kid === undefined ? {} : { kid }),
        ...(alg === undefined ? {} : { alg }),
        ...(use === undefined ? {} : { use }),
      } as JWK);
    }
    const clientId = toHex(randomBytes(16));
    this.#db
      .prepare('INSERT INTO clients (client_id, member_id, jwks, registered_at) VALUES (?, ?, ?, ?)')
      .run(clientId, member.id, JSON.stringify({ keys }), this.#now());
    return { client_id: clientId, member: member.id };
  }

  /**
   * The token endpoint: verifies the client assertion and issues an access token.
   * @param tokenUrl - this endpoint's URL, the audience the assertion must name
   * @throws SMART_INVALID_REQUEST, SMART_UNSUPPORTED_GRANT, SMART_INVALID_CLIENT, SMART_INVALID_SCOPE
   */
  async token(req: TokenRequest, tokenUrl: string): Promise<TokenResponse> {
    if (req.grant_type !== 'client_credentials')
      throw fhirError('SMART_UNSUPPORTED_GRANT', 'grant_type must be client_credentials');
    if (req.client_assertion_type !== JWT_BEARER)
      throw fhirError('SMART_INVALID_REQUEST', `client_assertion_type must be ${JWT_BEARER}`);
    if (typeof req.client_assertion !== 'string' || req.client_assertion.length > 8192)
      throw fhirError('SMART_INVALID_REQUEST', 'client_assertion is required');
    if (typeof req.scope !== 'string') throw fhirError('SMART_INVALID_REQUEST', 'scope is required');
    const scope = parseScopesFor(req.scope);
    let iss: unknown;
    try {
      iss = decodeJwt(req.client_assertion).iss;
    } catch {
      throw fhirError('SMART_INVALID_CLIENT', 'client_assertion is not a JWT');
    }
    const row =
      typeof iss === 'string'
        ? (this.#db.prepare('SELECT member_id, jwks FROM clients WHERE client_id = ?').get(iss) as
            { member_id: string; jwks: string } | undefined)
        : undefined;
    if (!row) throw fhirError('SMART_INVALID_CLIENT', 'the assertion’s iss is not a registered client_id');
    const clientId = iss as string;
    const member = getMember(this.#node.store, row.member_id);
    if (!member || member.revokedAt !== undefined)
      throw fhirError('SMART_INVALID_CLIENT', 'the member this client acts for is revoked');
    const now = this.#now();
    let payload;
    try {
      ({ payload } = await jwtVerify(
        req.client_assertion,
        createLocalJWKSet(JSON.parse(row.jwks) as JSONWebKeySet),
        {
          algorithms: [...ASSERTION_ALGS],
          issuer: clientId,
          subject: clientId,
          audience: tokenUrl,
          requiredClaims: ['exp', 'jti'],
          currentDate: new Date(now),
        },
      ));
    } catch (e) {
      throw fhirError('SMART_INVALID_CLIENT', `client_assertion refused: ${assertionProblem(e)}`);
    }
    const exp = (payload.exp as number) * 1000;
    if (exp - now > MAX_ASSERTION_LIFETIME_MS + 60_000)
      throw fhirError('SMART_INVALID_CLIENT', 'client_assertion refused: exp is more than 5 minutes ahead');
    this.#sweep(now);
    const used = this.#db
      .prepare('INSERT OR IGNORE INTO jtis (client_id, jti, exp) VALUES (?, ?, ?)')
      .run(clientId, String(payload.jti), exp);
    if (used.changes === 0)
      throw fhirError('SMART_INVALID_CLIENT', 'client_assertion refused: its jti was used before (replay)');
    const accessToken = toB64u(randomBytes(32));
    this.#db
      .prepare('INSERT INTO tokens (token_hash, client_id, member_id, scope, exp) VALUES (?, ?, ?, ?, ?)')
      .run(tokenHash(accessToken), clientId, member.id, scope, now + this.#ttl);
    return { access_token: accessToken, token_type: 'bearer', expires_in: this.tokenTtlSeconds, scope };
  }

  /**
   * The member and scopes of a bearer token.
   * @throws SMART_TOKEN_INVALID (unknown), SMART_TOKEN_EXPIRED, AUTH_REVOKED
   */
  authenticate(token: string): TokenGrant {
    const t = this.#db
      .prepare('SELECT client_id, member_id, scope, exp FROM tokens WHERE token_hash = ?')
      .get(tokenHash(token)) as TokenRow | undefined;
    if (!t) throw fhirError('SMART_TOKEN_INVALID', 'the access token is not one this node issued');
    if (!(this.#now() < t.exp))
      throw fhirError('SMART_TOKEN_EXPIRED', 'the access token has expired; get a new one');
    const member = this.#active(t.member_id);
    return { member, clientId: t.client_id, scopes: parseScopes(t.scope) };
  }

  /** Closes the registrations file. */
  close(): void {
    this.#db.close();
  }

  #active(memberId: string): MemberEntry {
    const m = getMember(this.#node.store, memberId);
    if (!m) throw fhirError('AUTH_UNKNOWN_SIGNER', 'the member is not enrolled');
    if (m.revokedAt !== undefined)
      throw fhirError('AUTH_REVOKED', `the member was revoked at height ${m.revokedAt}`);
    return m;
  }

  /**
   * Forgets used jtis a minute after their assertion expired (jose refuses it from then on),
   * and tokens an hour after they expired (until then a use says "expired", not "unknown").
   */
  #sweep(now: number): void {
    this.#db.prepare('DELETE FROM jtis WHERE exp < ?').run(now - 60_000);
    this.#db.prepare('DELETE FROM tokens WHERE exp < ?').run(now - 3_600_000);
  }
}

function tokenHash(token: string): Buffer {
  return Buffer.from(sha256(new TextEncoder().encode(token)));
}

function parseScopesFor(text: string): string {
  parseScopes(text);
  return text
    .split(' ')
    .filter((s) => s.length > 0)
    .join(' ');
}

function assertionProblem(e: unknown): string {
  if (e instanceof errors.JWTExpired) return 'it has expired';
  if (e instanceof errors.JWTClaimValidationFailed) return `claim ${e.claim} is wrong (${e.reason})`;
  if (e instanceof errors.JWSSignatureVerificationFailed || e instanceof errors.JWKSNoMatchingKey)
    return 'its signature does not verify with the registered keys';
  if (e instanceof errors.JOSEAlgNotAllowed) return 'its algorithm is not ES256 or ES384';
  return 'it is not a valid JWT';
}
