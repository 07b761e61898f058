/**
 * The client's one fetch path: {@link ApiClient.call} builds the request of a route of the
 * table (path parameters, query, JSON body), signs it when the route's auth says so and the
 * client has a signer (auth.ts: the signature covers the exact body bytes sent), and decodes
 * an error answer `{ code, message }` into a {@link MedledgerHttpError}.
 */
import { AUTH_HEADER, requestAudience, signRequestAsync, type RequestAudience } from '../auth.js';
import type { RequestKey } from '../signer.js';
import { MedledgerHttpError } from '../errors.js';
import { pathOf, SIGNED_AUTH, type ArgsOf, type ResponseOf, type RouteSpec } from './route.js';

/** Who signs the client's requests (client/http.ts `RequestSigner` is one). */
export interface CallSigner {
  /** Member id, or `node:<org>` for a consortium node's key. */
  signerId: string;
  /** A key held in this process, or a {@link Signer} (a WebCrypto key in a browser). */
  privateKey: RequestKey;
  /** Clock of the request timestamp (default Date.now). */
  now?: () => number;
  /** The node the requests are meant for; default what its `GET /v1/status` says, read once. */
  audience?: RequestAudience;
}

/** Options of one call. */
export interface CallOptions {
  /**
   * Sign the request (default: when the route needs a member, patient or peer, and the client
   * has a signer; `optional` routes are signed only when this is true).
   */
  sign?: boolean;
  /** Sign as this member instead of the client's signer. */
  signer?: CallSigner;
  /** Statuses besides 2xx whose body is an answer, not an error (e.g. 403 of a denied anonymous read). */
  accept?: readonly number[];
  signal?: AbortSignal;
}

/** What a call answered: the status and the decoded body. */
export interface Answer<T> {
  status: number;
  body: T;
}

const encoder = new TextEncoder();

/** `call(route)` needs no argument when the route has no required part. */
type CallArgs<R extends RouteSpec> =
  object extends ArgsOf<R> ? [args?: ArgsOf<R>, opts?: CallOptions] : [args: ArgsOf<R>, opts?: CallOptions];

/**
 * A client of one node's API, typed by the route table.
 * @example
 * const api = new ApiClient('http://127.0.0.1:7545', { signerId, privateKey });
 * const block = await api.call(API.ledger.getBlock, { params: { height: '1' } });
 */
export class ApiClient {
  readonly baseUrl: string;
  readonly signer: CallSigner | undefined;
  readonly #fetch: typeof fetch;

  /** @param opts.fetch the fetch to use (e.g. one that trusts only the consortium's roots); the global one by default */
  constructor(baseUrl: string, signer?: CallSigner, opts: { fetch?: typeof fetch } = {}) {
    this.baseUrl = baseUrl.replace(/\/$/, '');
    this.signer = signer;
    this.#fetch = opts.fetch ?? ((input, init) => fetch(input, init));
  }

  /**
   * Calls a route and answers its decoded body.
   * @throws MedledgerHttpError with the node's code on any answer but 2xx (BAD_RESPONSE if the
   *   answer is not JSON)
   */
  async call<R extends RouteSpec>(route: R, ...[args, opts]: CallArgs<R>): Promise<ResponseOf<R>> {
    return (await this.answer(route, ...([args, opts] as CallArgs<R>))).body;
  }

  /** As {@link call}, with the answer's status (e.g. 200 committed or 202 pending). */
  async answer<R extends RouteSpec>(route: R, ...[args, opts]: CallArgs<R>): Promise<Answer<ResponseOf<R>>> {
    const a = (args ?? {}) as { params?: object; query?: object; body?: unknown };
    const sign = opts?.sign ?? (SIGNED_AUTH.has(route.auth) && route.auth !== 'optional');
    const r = await this.send(route.method, pathOf(route, a.params, a.query), a.body, {
      ...opts,
      sign,
      contentType: route.consumes ?? 'application/json',
    });
    return r as Answer<ResponseOf<R>>;
  }

  /**
   * A request by method and concrete path (with its query), through the same signing and
   * decoding as {@link call}: for a caller that must send what the table would not build (a
   * test of a malformed request). Signed when `opts.sign` is true and there is a signer.
   */
  async send(
    method: string,
    path: string,
    body?: unknown,
    opts: CallOptions & { contentType?: string } = {},
  ): Promise<Answer<unknown>> {
    const res = await this.#request(method, path, body, opts);
    return { status: res.status, body: await decodeAnswer(res, opts.accept) };
  }

  /**
   * Opens a streaming route (`produces: text/event-stream`): the request built and signed as
   * {@link call} does, the response handed back as it is, unread (the caller checks `ok`).
   */
  async open<R extends RouteSpec>(
    route: R,
    args: ArgsOf<R>,
    opts: CallOptions & { headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const a = args as { params?: object; query?: object };
    return this.#request(route.method, pathOf(route, a.params, a.query), undefined, {
      ...opts,
      sign: opts.sign ?? SIGNED_AUTH.has(route.auth),
    });
  }

  async #request(
    method: string,
    path: string,
    body: unknown,
    opts: CallOptions & { contentType?: string; headers?: Record<string, string> },
  ): Promise<Response> {
    const headers: Record<string, string> = { ...opts.headers };
    let bytes: Uint8Array | undefined;
    if (body !== undefined) {
      bytes = encoder.encode(JSON.stringify(body));
      headers['content-type'] = opts.contentType ?? 'application/json';
    }
    const signer = opts.signer ?? this.signer;
    if (opts.sign && signer) {
      headers[AUTH_HEADER] = await signRequestAsync({
        audience: signer.audience ?? (await requestAudience(this.baseUrl, this.#fetch)),
        signerId: signer.signerId,
        privateKey: signer.privateKey,
        method,
        path,
        ts: nextTs(signer.signerId, (signer.now ?? Date.now)()),
        body: bytes,
      });
    }
    return this.#fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      ...(bytes ? { body: bytes } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  }
}

// The last timestamp each signer's requests carried in this process. A node keeps the key of
// every request it accepted (method, path, body, time, signer) and refuses the same key again
// as a replay, so two identical requests signed in the same millisecond (two reads of one
// page, a retry) would make the second fail: each signer's timestamps are strictly increasing
// here instead, within a second of the clock: a signer sending over 1,000 requests a second
// runs ahead of it by at most that, well inside the node's skew window, and a clock set back by
// more (or a caller's own clock far from the last one) is taken as it is.
const lastTs = new Map<string, number>();
function nextTs(signerId: string, now: number): number {
  const last = lastTs.get(signerId);
  const ts = last !== undefined && last >= now && last - now < 1000 ? last + 1 : now;
  lastTs.set(signerId, ts);
  return ts;
}

/**
 * The JSON of an answer, or the error it carries.
 * @throws MedledgerHttpError as {@link ApiClient.call} says
 */
export async function decodeAnswer(res: Response, accept: readonly number[] = []): Promise<unknown> {
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    throw new MedledgerHttpError(res.status, 'BAD_RESPONSE', `node answered ${res.status} with non-JSON`);
  }
  if (!res.ok && !accept.includes(res.status)) {
    const e = json as { code?: unknown; message?: unknown } | undefined;
    throw new MedledgerHttpError(
      res.status,
      typeof e?.code === 'string' ? e.code : 'HTTP_ERROR',
      typeof e?.message === 'string' ? e.message : `HTTP ${res.status}`,
    );
  }
  return json;
}
