/**
 * The load of `bench consortium`: pre-encoded batches submitted round-robin to the running
 * nodes (each organization's clients use their own node), a bounded number in flight, and
 * for each batch the time it is committed on EVERY running node:
 *
 * - the batch is POSTed with `?wait` to its node, which answers once it committed them all;
 * - at the same moment a long poll for the batch's last transaction's receipt goes to every
 *   other node; a node answers once it stored that transaction's block. If that block is
 *   lower than the highest block of the batch (etcd may order a batch's puts differently),
 *   a second long poll waits for a transaction of the highest block.
 *
 * The batch's commit latency is from before its POST to the last of these answers. A batch
 * whose node was killed on purpose while it was in flight is submitted again to another node
 * (transactions are idempotent: the same ids), keeping its first submit time.
 */
import { Agent } from 'node:http';
import type { Receipt, SubmitResult } from '@medledger/client';
import { postBatch, waitReceipt } from './http.js';

/** A batch of pre-signed transactions, encoded as the request body. */
export interface EncodedBatch {
  body: Buffer;
  /** Transaction ids, in order. */
  ids: string[];
}

/** A node the load goes to. `down` nodes get no new batches and are not waited for. */
export interface LoadTarget {
  org: string;
  url: string;
  down: boolean;
}

export interface BatchOutcome {
  /** When the batch was first submitted and when it was committed on every running node (ms, performance.now()). */
  start: number;
  end: number;
  committed: number;
  failed: number;
  /** Highest block height of the batch's transactions. */
  height: number;
  /** Submitted again after its node was killed. */
  resubmitted: boolean;
  /** Why transactions did not commit with OK, by status or code, with a count. */
  failures: Record<string, number>;
}

const WAIT_MS = 60_000;

/** Signs a request to a node as a member (a signed request may wait up to a minute). */
export type LoadRequestSigner = (target: LoadTarget, method: string, path: string, body?: Buffer) => string;

export class ConsortiumLoad {
  readonly #targets: LoadTarget[];
  readonly #agents = new Map<string, Agent>();
  #next = 0;

  readonly #sign: LoadRequestSigner;

  constructor(targets: LoadTarget[], maxSockets: number, sign: LoadRequestSigner) {
    this.#targets = targets;
    this.#sign = sign;
    for (const t of targets) this.#agents.set(t.org, new Agent({ keepAlive: true, maxSockets }));
  }

  /** Submits `batches` with `inFlight` outstanding; `onBatch` sees each outcome as it completes. */
  async run(
    batches: readonly EncodedBatch[],
    inFlight: number,
    onBatch?: (o: BatchOutcome, index: number) => void,
  ): Promise<BatchOutcome[]> {
    const out: BatchOutcome[] = new Array(batches.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < batches.length) {
        const i = next++;
        out[i] = await this.#one(batches[i]!);
        onBatch?.(out[i]!, i);
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
    return out;
  }

  close(): void {
    for (const a of this.#agents.values()) a.destroy();
  }

  #pick(): LoadTarget {
    for (let k = 0; k < this.#targets.length; k++) {
      const t = this.#targets[this.#next++ % this.#targets.length]!;
      if (!t.down) return t;
    }
    throw new Error('no node is running');
  }

  #agent(t: LoadTarget): Agent {
    return this.#agents.get(t.org)!;
  }

  async #one(b: EncodedBatch): Promise<BatchOutcome> {
    const start = performance.now();
    let target = this.#pick();
    const last = b.ids.at(-1)!;
    // Long polls on every other node, started with the submission.
    const polls = new Map<LoadTarget, Promise<{ r: Receipt | undefined; at: number } | 'down'>>();
    const poll = (t: LoadTarget, txId: string): Promise<{ r: Receipt | undefined; at: number } | 'down'> =>
      waitReceipt(this.#agent(t), t.url, txId, WAIT_MS, (m, p) => this.#sign(t, m, p)).then(
        (r) => ({ r, at: performance.now() }),
        (e: unknown) => {
          if (t.down) return 'down' as const;
          throw e;
        },
      );
    for (const t of this.#targets) if (t !== target && !t.down) polls.set(t, poll(t, last));
    // Rejections are handled where they are awaited; this keeps an early one from being unhandled.
    for (const p of polls.values()) p.catch(() => undefined);
    let results: SubmitResult[];
    let resubmitted = false;
    for (;;) {
      try {
        const path = `/v1/txs/batch?wait=${WAIT_MS}`;
        results = await postBatch(
          this.#agent(target),
          new URL(path, target.url),
          b.body,
          this.#sign(target, 'POST', path, b.body),
        );
        break;
      } catch (e) {
        if (!target.down) throw e;
        resubmitted = true;
        target = this.#pick();
      }
    }
    let end = performance.now();
    let committed = 0;
    let failed = 0;
    let height = 0;
    let atTop = last;
    const failures: Record<string, number> = {};
    for (const r of results) {
      if (r.status === 'committed' && r.receipt.code === 'OK') {
        committed++;
        if (r.receipt.height > height) [height, atTop] = [r.receipt.height, r.txId];
      } else {
        failed++;
        const why =
          r.status === 'rejected'
            ? r.error.code
            : r.status === 'committed'
              ? r.receipt.code
              : `not committed within ${WAIT_MS} ms`;
        failures[why] = (failures[why] ?? 0) + 1;
      }
    }
    for (const t of this.#targets) {
      if (committed === 0) break; // nothing of this batch to wait for elsewhere
      if (t === target || t.down) continue;
      let got = await (polls.get(t) ?? poll(t, last));
      if (got !== 'down' && got.r !== undefined && got.r.height < height) got = await poll(t, atTop);
      if (got === 'down') continue;
      if (got.r === undefined)
        throw new Error(`${t.org} did not commit block ${height} within ${WAIT_MS} ms of ${target.org}`);
      end = Math.max(end, got.at);
    }
    return { start, end, committed, failed, height, resubmitted, failures };
  }
}
