/**
 * Retrying a node that does not answer for a moment: a network failure (fetch throws a
 * TypeError) or a gateway / overload status (429, 502, 503, 504) is tried again after a
 * growing pause, and the page says so in words; any other error is the node's answer and is
 * thrown at once (retrying a refusal would not change it).
 */

/** Whether an error means "the node did not answer" rather than "the node said no". */
export function isTransient(e: unknown): boolean {
  if (e instanceof TypeError) return true;
  const status = (e as { status?: unknown } | null)?.status;
  return status === 429 || status === 502 || status === 503 || status === 504;
}

/** Parameters of {@link retrying}. */
export interface RetryingParameters {
  /** Told a sentence while the node does not answer, and undefined once it answers. */
  onWaiting: (message: string | undefined) => void;
  /** Stops retrying (the view went away): the last error is thrown. */
  stopped: () => boolean;
  /** First pause in ms (default 1000); it doubles up to `maxDelayMs` (default 8000). */
  delayMs?: number;
  maxDelayMs?: number;
}

/**
 * Runs `load` until it succeeds or fails with the node's own answer.
 * @example const records = await retrying(() => loadTimeline(client, me), { onWaiting: setWaiting, stopped: () => gone });
 */
export async function retrying<T>(load: () => Promise<T>, p: RetryingParameters): Promise<T> {
  let delay = p.delayMs ?? 1000;
  for (let attempt = 1; ; attempt++) {
    try {
      const v = await load();
      p.onWaiting(undefined);
      return v;
    } catch (e) {
      if (!isTransient(e) || p.stopped()) throw e;
      p.onWaiting(
        `The node does not answer right now; trying again in ${Math.round(delay / 1000)} s (attempt ${attempt})…`,
      );
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, p.maxDelayMs ?? 8000);
    }
  }
}
