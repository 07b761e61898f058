/**
 * Verifies signed requests (see client/auth.ts for the scheme). Returns the authenticated
 * member or throws an HttpError(UNAUTHENTICATED) whose message says what is wrong.
 */
import { fromB64u, verifyP256 } from '@medledger/crypto';
import { getMember, publicKeyObject, type MemberEntry } from '@medledger/core';
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

  /** Authenticates a fastify request; `rawBody` is the exact body bytes (if any). */
  authenticate(req: FastifyRequest, rawBody?: Uint8Array): MemberEntry {
    const url = new URL(req.url, 'http://x');
    const value =
      (req.headers[AUTH_HEADER] as string | undefined) ?? url.searchParams.get('auth') ?? undefined;
    if (!value)
      throw new HttpError(
        'UNAUTHENTICATED',
        `this route needs a signed request (${AUTH_HEADER} header or auth parameter)`,
      );
    url.searchParams.delete('auth');
    const path = url.pathname + (url.searchParams.size > 0 ? `?${url.searchParams.toString()}` : '');
    const m = /^([0-9a-f]{64})\.(\d{1,16})\.([A-Za-z0-9_-]{86})$/.exec(value);
    if (!m)
      throw new HttpError('UNAUTHENTICATED', 'malformed auth value: expected <memberId>.<ts>.<signature>');
    const [, signer, tsText, sig] = m as unknown as [string, string, string, string];
    const ts = Number(tsText);
    const now = this.#now();
    if (Math.abs(now - ts) > AUTH_WINDOW_MS)
      throw new HttpError('UNAUTHENTICATED', 'request timestamp is outside the 5-minute window');
    const member = getMember(this.#node.store, signer);
    if (!member) throw new HttpError('UNAUTHENTICATED', 'signer is not an enrolled member');
    if (member.revokedAt !== undefined)
      throw new HttpError('UNAUTHENTICATED', `signer was revoked at height ${member.revokedAt}`);
    if (
      !verifyP256(
        publicKeyObject(member.publicKey),
        requestSigningBytes(req.method, path, ts, rawBody),
        fromB64u(sig),
      )
    ) {
      throw new HttpError('UNAUTHENTICATED', 'request signature does not verify');
    }
    // Entries are kept in arrival order: drop the expired ones from the front (amortized O(1)
    // per request; a signature older than 2 windows fails the timestamp check anyway).
    for (const [k, t] of this.#seen) {
      if (now - t <= 2 * AUTH_WINDOW_MS) break;
      this.#seen.delete(k);
    }
    if (this.#seen.has(sig))
      throw new HttpError('UNAUTHENTICATED', 'this signed request was already used (replay)');
    this.#seen.set(sig, now);
    return member;
  }
}
