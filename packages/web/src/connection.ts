/**
 * The page's link to its node, kept through short outages. Every request the page makes goes
 * through `fetch` (the client package calls the global one), so the page wraps it once:
 *
 * - a request to this node that fails at the network level (the node restarting, Wi-Fi gone)
 *   marks the node unreachable; the page then probes `GET /v1/status` with exponential backoff
 *   (1 s, 2 s, 4 s … at most 15 s) until it answers, and says so in a banner;
 * - a GET that failed is retried once the node answers again (reads are safe to repeat); any
 *   other request fails with a message that says nothing was sent, because a signed request or
 *   a transaction must not be sent twice behind the member's back — the form keeps what was
 *   typed and the member sends it again.
 *
 * The state is a tiny store that React reads with `useSyncExternalStore`.
 */

/** What the page knows of its node. */
export type Connection =
  { state: 'up' } | { state: 'down'; attempt: number; retryAt: number } | { state: 'recovered'; at: number };

const MAX_BACKOFF_MS = 15_000;
const HEARTBEAT_MS = 5_000;

let current: Connection = { state: 'up' };
const listeners = new Set<() => void>();
let waiters: (() => void)[] = [];
let probing = false;

function set(c: Connection): void {
  current = c;
  for (const l of listeners) l();
}

/** The current state (for `useSyncExternalStore`). */
export function connection(): Connection {
  return current;
}

/** Subscribes to changes (for `useSyncExternalStore`). */
export function subscribeConnection(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

/** Resolves once the node answers again (at once if it is up). */
export function whenUp(): Promise<void> {
  if (current.state !== 'down') return Promise.resolve();
  return new Promise((resolve) => waiters.push(resolve));
}

/** An error of the network, not an answer of the node: fetch rejects with a TypeError. */
function isNetworkError(e: unknown): boolean {
  return e instanceof TypeError;
}

/** Marks the node unreachable and starts probing it with backoff (once). */
function markDown(origin: string, rawFetch: typeof fetch): void {
  if (current.state !== 'down') set({ state: 'down', attempt: 1, retryAt: Date.now() + 1000 });
  if (probing) return;
  probing = true;
  void (async () => {
    let attempt = 1;
    for (;;) {
      const wait = Math.min(1000 * 2 ** (attempt - 1), MAX_BACKOFF_MS);
      set({ state: 'down', attempt, retryAt: Date.now() + wait });
      await new Promise((r) => setTimeout(r, wait));
      try {
        const res = await rawFetch(`${origin}/v1/status`, { cache: 'no-store' });
        if (res.ok) break;
      } catch (e) {
        if (!isNetworkError(e)) break;
      }
      attempt++;
    }
    probing = false;
    set({ state: 'recovered', at: Date.now() });
    const w = waiters;
    waiters = [];
    for (const f of w) f();
    setTimeout(() => current.state === 'recovered' && set({ state: 'up' }), 5_000);
  })();
}

/**
 * Wraps `window.fetch` so that the page survives a node that is unreachable for a moment (see
 * the file's comment), and checks the node every few seconds so that an idle page notices too.
 */
export function installResilientFetch(origin: string = window.location.origin): void {
  const rawFetch = window.fetch.bind(window);
  const sameNode = (input: RequestInfo | URL): boolean => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    return new URL(url, origin).origin === origin;
  };
  window.fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    if (!sameNode(input)) return rawFetch(input, init);
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    for (;;) {
      await whenUp();
      try {
        return await rawFetch(input, init);
      } catch (e) {
        if (!isNetworkError(e) || init?.signal?.aborted) throw e;
        markDown(origin, rawFetch);
        if (method !== 'GET')
          throw new Error(
            'The node did not answer, so nothing was sent. What you typed is kept: send it again once the node is back.',
          );
      }
    }
  };
  setInterval(() => {
    if (current.state === 'down') return;
    rawFetch(`${origin}/v1/status`, { cache: 'no-store' }).catch((e: unknown) => {
      if (isNetworkError(e)) markDown(origin, rawFetch);
    });
  }, HEARTBEAT_MS);
}
