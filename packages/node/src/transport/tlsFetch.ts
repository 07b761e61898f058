/**
 * Node.js only (node:https, node:tls): it lives in the node, not the client, so that the
 * client stays browser-safe; the CLI imports it from `@medledger/node`.
 *
 * A `fetch` for a node's API over TLS that trusts only the consortium's roots — the root
 * certificates in the genesis — and nothing of the system's CA store. On top of the chain
 * check that OpenSSL does against those roots and the host name check (RFC 6125), it checks
 * that the server's leaf is a TLS server certificate (`tls-cert.ts` in @medledger/crypto)
 * issued by the root of the organization it names, and, where the caller knows which
 * organization runs the URL (a configured peer), that it is that organization. Plain HTTP is
 * refused, except to this machine's loopback address when the caller allows it (a `--dev`
 * node). Hand the result to `new MedledgerClient(url, signer, { fetch })`.
 */
import { Agent, request as httpsRequest } from 'node:https';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { Readable } from 'node:stream';
import {
  certificateToPem,
  fromB64u,
  parseCertificate,
  parseTlsServerCertificate,
  verifyCertificateIssuedBy,
} from '@medledger/crypto';
import { MedledgerError } from '@medledger/client';

/** A root the client trusts: an organization of the genesis and its root certificate (DER). */
export interface TrustedRoot {
  org: string;
  certificate: Uint8Array;
}

/** A TLS check failed (`TLS_UNTRUSTED`) or a plain-HTTP URL was refused (`TLS_REQUIRED`). */
export class TransportError extends MedledgerError {
  declare readonly code: 'TLS_UNTRUSTED' | 'TLS_REQUIRED';
  constructor(code: 'TLS_UNTRUSTED' | 'TLS_REQUIRED', message: string) {
    super(code, message);
    this.name = 'TransportError';
  }
}

/** The genesis organizations' roots (also accepts the state's organization entries). */
export function trustedRootsOf(genesis: { orgs: { id: string; rootCertificate: string }[] }): TrustedRoot[] {
  return genesis.orgs.map((o) => ({ org: o.id, certificate: fromB64u(o.rootCertificate) }));
}

/** True for 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * Checks a server's leaf certificate against the trusted roots: a TLS server certificate,
 * signed by the root of the organization it names, and of `expectedOrg` when given.
 * @returns the organization
 * @throws TransportError TLS_UNTRUSTED naming what is wrong
 */
export function checkNodeCertificate(leaf: Uint8Array, roots: TrustedRoot[], expectedOrg?: string): string {
  let info: ReturnType<typeof parseTlsServerCertificate>;
  try {
    info = parseTlsServerCertificate(leaf);
  } catch (e) {
    throw new TransportError('TLS_UNTRUSTED', `the server's certificate: ${(e as Error).message}`);
  }
  const root = roots.find((r) => r.org === info.org);
  if (!root || !verifyCertificateIssuedBy(leaf, parseCertificate(root.certificate).publicKey))
    throw new TransportError(
      'TLS_UNTRUSTED',
      `the server's certificate names organization ${info.org} but is not issued by that organization's root in the genesis`,
    );
  if (expectedOrg !== undefined && info.org !== expectedOrg)
    throw new TransportError(
      'TLS_UNTRUSTED',
      `the server's certificate is organization ${info.org}'s; this URL is configured as ${expectedOrg}'s node`,
    );
  return info.org;
}

/** Options of {@link createTlsFetch}. */
export interface TlsFetchOptions {
  /** The only roots trusted (the genesis's: {@link trustedRootsOf}). */
  roots: TrustedRoot[];
  /** The organization whose node a URL is (e.g. from the configured peers); undefined: any in `roots`. */
  orgOf?: (url: URL) => string | undefined;
  /** Let `http:` through to a loopback host (a `--dev` node on this machine); refused otherwise. */
  allowPlainLoopback?: boolean;
}

const NULL_BODY = new Set([101, 204, 205, 304]);

/**
 * A fetch that speaks TLS to nodes whose certificates chain to the given roots (see the module
 * comment). Supports string bodies and byte bodies, headers, method and abort signals.
 * @example
 * const f = createTlsFetch({ roots: trustedRootsOf(genesis) });
 * const client = new MedledgerClient('https://node-a.example:7545', signer, { fetch: f });
 */
export function createTlsFetch(o: TlsFetchOptions): typeof fetch {
  const ca = o.roots.map((r) => certificateToPem(r.certificate));
  const agent = new Agent({ keepAlive: true, ca, minVersion: 'TLSv1.2' });
  const tlsFetch = (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    if (url.protocol === 'http:') {
      if (o.allowPlainLoopback && isLoopbackHost(url.hostname)) return fetch(input, init);
      return Promise.reject(
        new TransportError(
          'TLS_REQUIRED',
          `refusing plain HTTP to ${url.origin}: this client speaks TLS only`,
        ),
      );
    }
    if (url.protocol !== 'https:')
      return Promise.reject(new TypeError(`unsupported URL scheme ${url.protocol}`));
    const expected = o.orgOf?.(url);
    const body = init.body;
    if (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof Uint8Array))
      return Promise.reject(new TypeError('tlsFetch sends string or byte bodies only'));
    return new Promise<Response>((resolve, reject) => {
      const req = httpsRequest(
        url,
        {
          method: init.method ?? 'GET',
          headers: Object.fromEntries(new Headers(init.headers).entries()),
          agent,
          checkServerIdentity: (host: string, cert: PeerCertificate) => {
            const e = checkServerIdentity(host, cert);
            if (e) return e;
            try {
              checkNodeCertificate(new Uint8Array(cert.raw), o.roots, expected);
              return undefined;
            } catch (err) {
              return err as Error;
            }
          },
        },
        (res) => {
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers))
            for (const x of [v ?? []].flat()) headers.append(k, x);
          const status = res.statusCode ?? 500;
          const stream = NULL_BODY.has(status) ? null : (Readable.toWeb(res) as unknown as ReadableStream);
          if (!stream) res.resume();
          resolve(new Response(stream, { status, statusText: res.statusMessage ?? '', headers }));
        },
      );
      req.on('error', reject);
      const signal = init.signal;
      if (signal) {
        if (signal.aborted) req.destroy(signal.reason as Error);
        else signal.addEventListener('abort', () => req.destroy(signal.reason as Error), { once: true });
      }
      req.end(body ?? undefined);
    });
  };
  return tlsFetch as typeof fetch;
}
