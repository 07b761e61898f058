/**
 * Long waits (`?wait=<ms>`): a request that waits for a receipt holds a connection and its
 * memory for that long. A signed request (a member) may wait up to a minute; an
 * unauthenticated one (or an anonymous one: relays and anonymous reads) at most a few
 * seconds, and only a bounded number of them wait at once — beyond that they are answered at
 * once (the result is pending; the client polls the receipt).
 */
import type { FastifyRequest } from 'fastify';
import { HttpError } from './errors.js';

/** Limits of {@link WaitLimiter}. */
export interface WaitLimits {
  /** Longest wait of a signed request (default 60 s). */
  authenticatedMs?: number;
  /** Longest wait of an unauthenticated request (default 5 s). */
  unauthenticatedMs?: number;
  /** Unauthenticated requests waiting at once (default 64). */
  maxUnauthenticated?: number;
}

/** What a waiting request may do: wait `ms`, then call `release`. */
export interface WaitGrant {
  ms: number;
  release(): void;
}

/** Counts and caps the waits of a node's API. */
export class WaitLimiter {
  readonly authenticatedMs: number;
  readonly unauthenticatedMs: number;
  readonly maxUnauthenticated: number;
  #waiting = 0;
  #shortened = 0;
  #refused = 0;

  constructor(l: WaitLimits = {}) {
    this.authenticatedMs = l.authenticatedMs ?? 60_000;
    this.unauthenticatedMs = l.unauthenticatedMs ?? 5_000;
    this.maxUnauthenticated = l.maxUnauthenticated ?? 64;
  }

  /**
   * The wait a request gets for its `?wait=` (or `?final=`) parameter. `authenticated` says
   * whether the request was authenticated by a signed request (checked by the caller).
   * @throws HttpError MALFORMED_REQUEST if the parameter is not a non-negative integer
   */
  grant(req: FastifyRequest, authenticated: boolean, param = 'wait'): WaitGrant {
    const requested = parseWait(
      (req.query as Record<string, string | undefined> | undefined)?.[param],
      param,
    );
    if (requested === 0) return { ms: 0, release: () => undefined };
    if (authenticated) return { ms: Math.min(requested, this.authenticatedMs), release: () => undefined };
    if (this.#waiting >= this.maxUnauthenticated) {
      this.#refused++;
      return { ms: 0, release: () => undefined };
    }
    if (requested > this.unauthenticatedMs) this.#shortened++;
    this.#waiting++;
    let released = false;
    return {
      ms: Math.min(requested, this.unauthenticatedMs),
      release: () => {
        if (!released) this.#waiting--;
        released = true;
      },
    };
  }

  /** Unauthenticated waits now, and how many were shortened or not granted since start. */
  stats(): { waiting: number; shortened: number; refused: number } {
    return { waiting: this.#waiting, shortened: this.#shortened, refused: this.#refused };
  }
}

function parseWait(w: string | undefined, param: string): number {
  if (w === undefined) return 0;
  const n = Number(w);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new HttpError('MALFORMED_REQUEST', `${param} must be a non-negative integer of milliseconds`);
  return n;
}
