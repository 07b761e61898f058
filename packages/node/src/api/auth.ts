/**
 * Verifies signed requests (see client/auth.ts for the scheme). Returns the authenticated
 * member or throws an HttpError(UNAUTHENTICATED) whose message says what is wrong.
 */
import { fromB64u, verifyP256 } from '@medledger/crypto';
import { activeNode, getMember, publicKeyObject, type MemberEntry } from '@medledger/core';
import { AUTH_HEADER, requestSigningBytes } from '@medledger/client';
import type { FastifyRequest } from 'fastify';
import type { LedgerView } from '../ledgerView.js';
import { HttpError } from './errors.js';

export const AUTH_WINDOW_MS = 5 * 60_000;

export class RequestAuthenticator {
  readonly #seen = new Map<string, number>();
  readonly #node: LedgerView;
  readonly #now: () => number;

  constructor(node: LedgerView, now: () => number = Date.now) {
    this.#node = node;
    this.#now = now;
  }

  /**
   * Authenticates a request signed by a consortium node's key (`node:<org>`): peers fetching
   * blocks to sync. Returns the organization.
   */
  authenticatePeer(req: FastifyRequest): string {
    const value = req.headers[AUTH_HEADER] as string | undefined;
    if (!value)
      throw new HttpError(
        'UNAUTHENTICATED',
        `this route needs a request signed by a node key (${AUTH_HEADER})`,
      );
    const m = /^node:([A-Za-z0-9-]{1,64})\.(\d{1,16})\.([A-Za-z0-9_-]{86})$/.exec(value);
    if (!m)
      throw new HttpError('UNAUTHENTICATED', 'malformed auth value: expected node:<org>.<ts>.<signature>');
    const [, org, tsText, sig] = m as unknown as [string, string, string, string];
    const node = activeNode(this.#node.store, org);
    if (!node) throw new HttpError('UNAUTHENTICATED', `${org} is not a current consortium node`);
    this.#check(req, ts(tsText, this.#now()), sig, node.nodeKey);
    return org;
  }

  #check(req: FastifyRequest, t: number, sig: string, publicKey: string, rawBody?: Uint8Array): void {
    const url = new URL(req.url, 'http://x');
    url.searchParams.delete('auth');
    const path = url.pathname + (url.searchParams.size > 0 ? `?${url.searchParams.toString()}` : '');
    let sigBytes: Uint8Array;
    try {
      sigBytes = fromB64u(sig);
    } catch {
      throw new HttpError(
        'AUTH_ENCODING',
        'request signature is not canonical base64url (RFC 4648 §3.5: the unused bits must be zero)',
      );
    }
    if (!verifyP256(publicKeyObject(publicKey), requestSigningBytes(req.method, path, t, rawBody), sigBytes))
      throw new HttpError('UNAUTHENTICATED', 'request signature does not verify');
    const now = this.#now();
    for (const [k, at] of this.#seen) {
      if (now - at <= 2 * AUTH_WINDOW_MS) break;
      this.#seen.delete(k);
    }
    if (this.#seen.has(sig))
      throw new HttpError('UNAUTHENTICATED', 'this signed request was already used (replay)');
    this.#seen.set(sig, now);
  }

  /** Authenticates a fastify request; `rawBody` is the exact body bytes (if any). */
  authenticate(req: FastifyRequest, rawBody?: Uint8Array): MemberEntry {
    const value =
      (req.headers[AUTH_HEADER] as string | undefined) ??
      new URL(req.url, 'http://x').searchParams.get('auth') ??
      undefined;
    if (!value)
      throw new HttpError(
        'UNAUTHENTICATED',
        `this route needs a signed request (${AUTH_HEADER} header or auth parameter)`,
      );
    const m = /^([0-9a-f]{64})\.(\d{1,16})\.([A-Za-z0-9_-]{86})$/.exec(value);
    if (!m)
      throw new HttpError('UNAUTHENTICATED', 'malformed auth value: expected <memberId>.<ts>.<signature>');
    const [, signer, tsText, sig] = m as unknown as [string, string, string, string];
    const t = ts(tsText, this.#now());
    const member = getMember(this.#node.store, signer);
    if (!member) throw new HttpError('UNAUTHENTICATED', 'signer is not an enrolled member');
    if (member.revokedAt !== undefined)
      throw new HttpError('UNAUTHENTICATED', `signer was revoked at height ${member.revokedAt}`);
    this.#check(req, t, sig, member.publicKey, rawBody);
    return member;
  }
}

function ts(text: string, now: number): number {
  const t = Number(text);
  if (Math.abs(now - t) > AUTH_WINDOW_MS)
    throw new HttpError('UNAUTHENTICATED', 'request timestamp is outside the 5-minute window');
  return t;
}
