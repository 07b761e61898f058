/**
 * Verifies signed requests (see client/auth.ts for the scheme). Returns the authenticated
 * member or throws an HttpError with a 401 code that says what is wrong:
 * UNAUTHENTICATED (no credential), AUTH_MALFORMED, AUTH_ENCODING (a signature that is not
 * canonical base64url), AUTH_UNKNOWN_SIGNER, AUTH_REVOKED, AUTH_EXPIRED (outside the window),
 * AUTH_BAD_SIGNATURE (wrong key, path, body, node or chain, or a high-S signature) and
 * AUTH_REPLAY (this signed content was accepted before).
 */
import { fromB64u, verifyP256 } from '@medledger/crypto';
import { activeNode, getMember, getOrg, publicKeyObject, type MemberEntry } from '@medledger/core';
import { AUTH_HEADER, requestSigningBytes } from '@medledger/client';
import type { FastifyRequest } from 'fastify';
import type { LedgerView } from '../ledgerView.js';
import { HttpError } from './errors.js';
import { ReplayMemory } from './replay.js';
import { WaitLimiter, type WaitGrant, type WaitLimits } from './wait.js';

export const AUTH_WINDOW_MS = 5 * 60_000;

/**
 * Who each request was authenticated as: the server authenticates before it validates
 * (api/contract.ts) and the handler asks again; a signed request is claimed against replay once.
 */
const MEMBERS = new WeakMap<FastifyRequest, MemberEntry>();
const PEERS = new WeakMap<FastifyRequest, string>();
const ORGS = new WeakMap<FastifyRequest, string>();

/** Options of {@link RequestAuthenticator}. */
export interface RequestAuthenticatorOptions {
  now?: () => number;
  /**
   * SQLite file of the replay memory (`requests.sqlite` in the node directory). Default in
   * memory: replays are refused while the process runs, not across a restart.
   */
  replayPath?: string;
  /** Limits of `?wait=` (wait.ts). */
  waits?: WaitLimits;
}

export class RequestAuthenticator {
  readonly #node: LedgerView;
  readonly #now: () => number;
  readonly #replay: ReplayMemory;
  /** The node's long waits: a minute for a signed request, a few seconds otherwise. */
  readonly waits: WaitLimiter;

  constructor(node: LedgerView, o: RequestAuthenticatorOptions | (() => number) = {}) {
    const opts = typeof o === 'function' ? { now: o } : o;
    this.#node = node;
    this.#now = opts.now ?? Date.now;
    this.#replay = new ReplayMemory(opts.replayPath);
    this.waits = new WaitLimiter(opts.waits);
  }

  /**
   * The wait a request gets for `?wait=` (or another parameter): a request that carries a
   * signed request header is authenticated first (a bad one is refused) and may wait up to a
   * minute; one without waits a few seconds at most. Call `release` when the wait is over.
   */
  waitGrant(req: FastifyRequest, param = 'wait'): WaitGrant {
    const requested = (req.query as Record<string, unknown> | undefined)?.[param];
    const signed = requested !== undefined && requested !== '0' && RequestAuthenticator.hasCredential(req);
    if (signed) this.authenticate(req);
    return this.waits.grant(req, signed, param);
  }

  /** Closes the replay memory (its file keeps the accepted requests of the window). */
  close(): void {
    this.#replay.close();
  }

  /** True if the request carries a credential (it may still be invalid). */
  static hasCredential(req: FastifyRequest): boolean {
    return typeof req.headers[AUTH_HEADER] === 'string';
  }

  /**
   * Authenticates a request signed by a consortium node's key (`node:<org>`): peers fetching
   * blocks to sync. Returns the organization.
   */
  authenticatePeer(req: FastifyRequest): string {
    const known = PEERS.get(req);
    if (known !== undefined) return known;
    const value = headerOf(req, 'a request signed by a node key');
    const m = /^node:([A-Za-z0-9-]{1,64})\.(\d{1,16})\.([A-Za-z0-9_-]{86})$/.exec(value);
    if (!m)
      throw new HttpError('AUTH_MALFORMED', 'malformed auth value: expected node:<org>.<ts>.<signature>');
    const [, org, tsText, sig] = m as unknown as [string, string, string, string];
    const t = this.#ts(tsText);
    const node = activeNode(this.#node.store, org);
    if (!node) throw new HttpError('AUTH_UNKNOWN_SIGNER', `${org} is not a current consortium node`);
    this.#check(req, `node:${org}`, t, sig, node.nodeKey);
    PEERS.set(req, org);
    return org;
  }

  /**
   * Authenticates a request signed by an organization's root key (`org:<org>`), which its
   * administrators hold away from every node: listing and answering the organization's
   * certificate requests. Returns the organization.
   */
  authenticateOrg(req: FastifyRequest): string {
    const known = ORGS.get(req);
    if (known !== undefined) return known;
    const value = headerOf(req, "a request signed by the organization's root key");
    const m = /^org:([A-Za-z0-9-]{1,64})\.(\d{1,16})\.([A-Za-z0-9_-]{86})$/.exec(value);
    if (!m)
      throw new HttpError('AUTH_MALFORMED', 'malformed auth value: expected org:<org>.<ts>.<signature>');
    const [, org, tsText, sig] = m as unknown as [string, string, string, string];
    const t = this.#ts(tsText);
    const entry = getOrg(this.#node.store, org);
    if (!entry)
      throw new HttpError('AUTH_UNKNOWN_SIGNER', `${org} is not an organization of this consortium`);
    if (entry.removedAt !== undefined)
      throw new HttpError(
        'AUTH_REVOKED',
        `${org} was removed from the consortium at height ${entry.removedAt}`,
      );
    this.#check(req, `org:${org}`, t, sig, entry.rootPublicKey, rawBodyOf(req));
    ORGS.set(req, org);
    return org;
  }

  /**
   * Authenticates a fastify request; `rawBody` is the exact body bytes (if any). A request
   * already authenticated answers the same member without a second check (nor replay claim).
   */
  authenticate(req: FastifyRequest, rawBody?: Uint8Array): MemberEntry {
    const known = rawBody === undefined ? MEMBERS.get(req) : undefined;
    if (known) return known;
    const value = headerOf(req, 'a signed request');
    const m = /^([0-9a-f]{64})\.(\d{1,16})\.([A-Za-z0-9_-]{86})$/.exec(value);
    if (!m)
      throw new HttpError('AUTH_MALFORMED', 'malformed auth value: expected <memberId>.<ts>.<signature>');
    const [, signer, tsText, sig] = m as unknown as [string, string, string, string];
    const t = this.#ts(tsText);
    const member = getMember(this.#node.store, signer);
    if (!member) throw new HttpError('AUTH_UNKNOWN_SIGNER', 'signer is not an enrolled member');
    if (member.revokedAt !== undefined)
      throw new HttpError('AUTH_REVOKED', `signer was revoked at height ${member.revokedAt}`);
    this.#check(req, signer, t, sig, member.publicKey, rawBody ?? rawBodyOf(req));
    MEMBERS.set(req, member);
    return member;
  }

  #ts(text: string): number {
    const t = Number(text);
    if (Math.abs(this.#now() - t) > AUTH_WINDOW_MS)
      throw new HttpError('AUTH_EXPIRED', 'request timestamp is outside the 5-minute window');
    return t;
  }

  #check(
    req: FastifyRequest,
    signerId: string,
    ts: number,
    sigText: string,
    publicKey: string,
    body?: Uint8Array,
  ): void {
    let sig: Uint8Array;
    try {
      sig = fromB64u(sigText);
    } catch {
      throw new HttpError(
        'AUTH_ENCODING',
        'request signature is not canonical base64url (RFC 4648 §3.5: unused bits must be zero)',
      );
    }
    const url = new URL(req.url, 'http://x');
    const path = url.pathname + (url.searchParams.size > 0 ? `?${url.searchParams.toString()}` : '');
    const signed = requestSigningBytes({
      method: req.method,
      path,
      ts,
      body,
      signerId,
      audience: { chainId: this.#node.chainId, node: this.#node.org },
    });
    if (!verifyP256(publicKeyObject(publicKey), signed, sig))
      throw new HttpError(
        'AUTH_BAD_SIGNATURE',
        `request signature does not verify (for ${req.method} ${new URL(req.url, 'http://x').pathname} at node ${this.#node.org} of this chain, by the signer's key, in low-S form)`,
      );
    // The signed content, not the signature, is what may be used once (crypto/sig.ts).
    if (!this.#replay.claim(signed, ts + AUTH_WINDOW_MS, this.#now()))
      throw new HttpError('AUTH_REPLAY', 'this signed request was already used (replay)');
  }
}

function headerOf(req: FastifyRequest, what: string): string {
  const value = req.headers[AUTH_HEADER];
  if (typeof value !== 'string' || value === '')
    throw new HttpError('UNAUTHENTICATED', `this route needs ${what} (${AUTH_HEADER} header)`);
  return value;
}

function rawBodyOf(req: FastifyRequest): Uint8Array | undefined {
  const raw = (req as FastifyRequest & { rawBody?: Uint8Array }).rawBody;
  return raw && raw.length > 0 ? raw : undefined;
}
