/**
 * The HTTP calls of the domain clients (pharmacy, supply, payments): JSON in and out, errors
 * thrown as `MedledgerHttpError` with the node's `{ code, message }`. Reads that need a member
 * are signed requests (auth.ts) without a body; writes post a body that carries a signed
 * transaction, which authenticates itself.
 */
import { AUTH_HEADER, requestAudience, signRequest } from './auth.js';
import { MedledgerClient, MedledgerHttpError, type RequestSigner } from './http.js';

export class LedgerApi {
  readonly baseUrl: string;
  readonly ledger: MedledgerClient;
  readonly #signer: RequestSigner | undefined;

  /**
   * @param baseUrl the node's URL
   * @param signer the member who signs reads (optional for public routes and submissions)
   */
  constructor(baseUrl: string, signer?: RequestSigner) {
    this.baseUrl = baseUrl.replace(/\/$/, '');
    this.#signer = signer;
    this.ledger = new MedledgerClient(this.baseUrl, signer);
  }

  /** The member id of the signer, if any. */
  get signerId(): string | undefined {
    return this.#signer?.signerId;
  }

  async #req<T>(method: string, path: string, body: unknown, signed: boolean): Promise<T> {
    const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
    if (signed) {
      const s = this.#signer;
      if (!s)
        throw new MedledgerHttpError(401, 'UNAUTHENTICATED', `${path} needs a signed request: give a signer`);
      headers[AUTH_HEADER] = signRequest({
        audience: s.audience ?? (await requestAudience(this.baseUrl)),
        signerId: s.signerId,
        privateKey: s.privateKey,
        method,
        path,
        ts: (s.now ?? Date.now)(),
      });
    }
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      throw new MedledgerHttpError(res.status, 'BAD_RESPONSE', `node answered ${res.status} with non-JSON`);
    }
    if (!res.ok) {
      const e = json as { code?: string; message?: string } | undefined;
      throw new MedledgerHttpError(res.status, e?.code ?? 'HTTP_ERROR', e?.message ?? `HTTP ${res.status}`);
    }
    return json as T;
  }

  /** GET; `signed` signs it as the member (401 from the node without one). */
  get<T>(path: string, signed = false): Promise<T> {
    return this.#req('GET', path, undefined, signed);
  }

  /** POST of a JSON body (not request-signed: it carries a signed transaction). */
  post<T>(path: string, body: unknown): Promise<T> {
    return this.#req('POST', path, body, false);
  }
}
