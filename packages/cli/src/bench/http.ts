/**
 * The benchmarks' HTTP load path: raw `node:http` requests on keep-alive agents with bodies
 * encoded before the clock starts, so the load generator spends as little of the machine's
 * cores as it can while a run is timed.
 */
import { request, type Agent } from 'node:http';
import { AUTH_HEADER, type Receipt, type SubmitResult } from '@medledger/client';

/** One request; resolves with the parsed JSON body of a 200 answer, rejects otherwise. */
function call<T>(agent: Agent, url: URL, method: 'GET' | 'POST', body?: Buffer, auth?: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> =
      body === undefined ? {} : { 'content-type': 'application/json', 'content-length': body.length };
    // A signed request may wait for its receipts up to a minute (an unsigned one 5 s).
    if (auth !== undefined) headers[AUTH_HEADER] = auth;
    const req = request(url, { method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) return reject(new HttpStatusError(res.statusCode ?? 0, text));
        try {
          resolve(JSON.parse(text) as T);
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A node answered with a status other than 200. */
export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`HTTP ${status}: ${body.slice(0, 300)}`);
  }
}

/** POSTs one pre-encoded `{ txs }` batch (signed with `auth`, if given); resolves with its per-transaction results. */
export async function postBatch(
  agent: Agent,
  url: URL,
  body: Buffer,
  auth?: string,
): Promise<SubmitResult[]> {
  return (await call<{ results: SubmitResult[] }>(agent, url, 'POST', body, auth)).results;
}

/**
 * Waits (long poll, up to `waitMs`) for a transaction's receipt on one node.
 * @returns the receipt, or undefined if the node did not commit it in time (404)
 */
export async function waitReceipt(
  agent: Agent,
  base: string,
  txId: string,
  waitMs: number,
  sign?: (method: string, path: string) => string,
): Promise<Receipt | undefined> {
  const path = `/v1/txs/${txId}/receipt?wait=${waitMs}`;
  try {
    return await call<Receipt>(agent, new URL(path, base), 'GET', undefined, sign?.('GET', path));
  } catch (e) {
    if (e instanceof HttpStatusError && e.status === 404) return undefined;
    throw e;
  }
}

/** One GET (signed with `auth`, if given); resolves with the parsed JSON of a 200 answer. */
export function getJson<T>(agent: Agent, url: URL, auth?: string): Promise<T> {
  return call<T>(agent, url, 'GET', undefined, auth);
}

/** `GET /v1/status` of one node. */
export function getStatus<T = Record<string, unknown>>(agent: Agent, base: string): Promise<T> {
  return call<T>(agent, new URL('/v1/status', base), 'GET');
}
