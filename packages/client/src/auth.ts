/**
 * Signed requests: how a member authenticates an HTTP call to a node (ledger reads, records,
 * access logs, webhooks, long waits). The member signs, with its P-256 key, the canonical
 * JSON of {method, path, ts, bodyHash, signer, chainId, node}: the request, the exact body
 * bytes, the time, who signs, and the one node of the one chain the request is meant for.
 * Header: `x-medledger-auth: <signerId>.<ts>.<sig>` (sig: 64-byte low-S r || s, base64url).
 *
 * The node checks the signature against the signer's key on the ledger, that the signer is
 * not revoked, that `ts` is within ±5 minutes of its clock, that `chainId` and `node` are its
 * own (a request signed for node A is refused at node B), and that the same signed content was
 * not accepted before (replay; the memory of it survives a restart of the node). Event streams
 * from a browser's EventSource, which cannot set headers, use a single-use ticket obtained by
 * a signed request (`POST /v1/patients/:id/events/tickets`); no credential goes in a URL.
 */
import { isSigner, type RequestKey, type Signer, type SigningKey } from './signer.js';
import {
  HashTag,
  canonicalBytes,
  hashTagged,
  importP256PrivateKey,
  signP256,
  toB64u,
  toHex,
} from '@medledger/crypto';

export const AUTH_HEADER = 'x-medledger-auth';
export const AUTH_TAG = 'medledger/http-request/v2';

/** The node a request is meant for: the chain's id and the node's organization. */
export interface RequestAudience {
  chainId: string;
  /** Organization id of the node (its `org` in `GET /v1/status`). */
  node: string;
}

/** Parameters of {@link requestSigningBytes}. */
export interface RequestSigningParameters {
  method: string;
  /** Path and query string, as sent. */
  path: string;
  ts: number;
  /** Exact body bytes, if any. */
  body?: Uint8Array | undefined;
  signerId: string;
  audience: RequestAudience;
}

/** The bytes a request signature covers (also the node's replay key, with the signer). */
export function requestSigningBytes(p: RequestSigningParameters): Uint8Array {
  const bodyHash = p.body && p.body.length > 0 ? toHex(hashTagged(HashTag.record, p.body)) : '';
  return hashTagged(
    AUTH_TAG,
    canonicalBytes({
      method: p.method.toUpperCase(),
      path: p.path,
      ts: p.ts,
      bodyHash,
      signer: p.signerId,
      chainId: p.audience.chainId,
      node: p.audience.node,
    }),
  );
}

/** Parameters of {@link signRequest}. */
export interface SignRequestParameters extends RequestSigningParameters {
  privateKey: SigningKey;
}

/**
 * The auth header value for a request.
 * @example
 * const audience = await requestAudience(baseUrl);
 * headers[AUTH_HEADER] = signRequest({ signerId, privateKey, method: 'GET', path, ts: Date.now(), audience });
 */
export function signRequest(p: SignRequestParameters): string {
  const key = p.privateKey instanceof Uint8Array ? importP256PrivateKey(p.privateKey) : p.privateKey;
  return `${p.signerId}.${p.ts}.${toB64u(signP256(key, requestSigningBytes(p)))}`;
}

/**
 * {@link signRequest} with any {@link Signer}: a browser's non-extractable WebCrypto key
 * signs the same header bytes.
 * @example headers[AUTH_HEADER] = await signRequestWith(signer, { signerId, method: 'GET', path, ts, audience });
 */
export async function signRequestWith(signer: Signer, p: RequestSigningParameters): Promise<string> {
  return `${p.signerId}.${p.ts}.${toB64u(await signer.sign(requestSigningBytes(p)))}`;
}

/** The auth header value for a request, signed by whichever {@link RequestKey} the caller holds. */
export async function signRequestAsync(
  p: RequestSigningParameters & { privateKey: RequestKey },
): Promise<string> {
  const { privateKey, ...rest } = p;
  return isSigner(privateKey)
    ? await signRequestWith(privateKey, rest)
    : signRequest({ ...rest, privateKey });
}

const audiences = new Map<string, Promise<RequestAudience>>();

/**
 * The audience of a node, read once from its `GET /v1/status` and kept per base URL. Pin it
 * instead (`RequestSigner.audience`) where the node's identity is known beforehand: a node that
 * lies about its organization here gets requests signed for the node it names.
 * @throws Error if the node does not answer with a chain id and an organization
 */
export function requestAudience(
  baseUrl: string,
  fetchFn: typeof fetch = (i, init) => fetch(i, init),
): Promise<RequestAudience> {
  const key = baseUrl.replace(/\/$/, '');
  let a = audiences.get(key);
  if (!a) {
    a = (async () => {
      const res = await fetchFn(`${key}/v1/status`);
      const s = (await res.json().catch(() => undefined)) as { chainId?: unknown; org?: unknown } | undefined;
      if (!res.ok || typeof s?.chainId !== 'string' || typeof s.org !== 'string')
        throw new Error(`${key} did not tell its chain id and organization (HTTP ${res.status})`);
      return { chainId: s.chainId, node: s.org };
    })();
    audiences.set(key, a);
    a.catch(() => audiences.delete(key));
  }
  return a;
}
