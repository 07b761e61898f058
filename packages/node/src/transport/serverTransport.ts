/**
 * How a node speaks on the network (README "Transport"): its API over TLS with the server
 * certificate its organization's root issued (tlsFiles.ts), and its calls to peer nodes over
 * TLS trusting only the genesis roots, each peer's certificate issued by the organization the
 * peer is configured as. A node bound to a loopback address may run plain HTTP (`--dev`;
 * node.json `"tls": false`, or no certificate installed), and says so at startup; a node
 * bound to any other address refuses to start without TLS.
 */
import { createTlsFetch, isLoopbackHost, trustedRootsOf } from './tlsFetch.js';
import { LedgerError, type Genesis } from '@medledger/core';
import { hasNodeTls, loadNodeTls } from './tlsFiles.js';

/** The line a plain-HTTP node logs at startup. */
export const PLAIN_HTTP_NOTICE = (host: string): string =>
  `plain HTTP on ${host} (dev): not for use beyond this machine`;

/** Options of fastify's `https` (node:tls secure context). */
export interface HttpsOptions {
  key: string;
  cert: string;
  minVersion: 'TLSv1.2' | 'TLSv1.3';
}

/** What {@link serverTransport} decided. */
export interface ServerTransport {
  /** For the API server; absent: plain HTTP on loopback. */
  https?: HttpsOptions;
  /** fetch for the calls to peer nodes. */
  peerFetch: typeof fetch;
}

/**
 * Decides the node's transport from node.json's `tls` (true, false or absent), the installed
 * certificate and the address it binds.
 * @throws LedgerError TLS_REQUIRED for plain HTTP on a non-loopback address; TLS_NOT_READY if
 *   node.json asks for TLS and no certificate is installed, or the certificate has expired.
 */
export function serverTransport(p: {
  dir: string;
  org: string;
  tls: boolean | undefined;
  host: string;
  passphrase: string;
  genesis: Genesis;
  peers: { org: string; url: string }[];
  log: (line: string) => void;
  now?: number;
}): ServerTransport {
  const roots = trustedRootsOf(p.genesis);
  const byOrigin = new Map(p.peers.map((x) => [new URL(x.url).origin, x.org]));
  const installed = hasNodeTls(p.dir, p.org);
  const plain = p.tls === false || (p.tls === undefined && !installed);
  const peerFetch = createTlsFetch({
    roots,
    orgOf: (u) => byOrigin.get(u.origin),
    // Only a plain dev node calls plain peers, and only on this machine.
    allowPlainLoopback: plain,
  });
  for (const peer of p.peers) {
    const u = new URL(peer.url);
    if (u.protocol === 'http:' && !(plain && isLoopbackHost(u.hostname)))
      p.log(`peer ${peer.org} at ${u.origin} is plain HTTP: this node refuses it (TLS only)`);
  }
  if (plain) {
    if (!isLoopbackHost(p.host))
      throw new LedgerError(
        { code: 'TLS_REQUIRED', host: p.host },
        `refusing plain HTTP on ${p.host}: a node reachable beyond this machine speaks TLS (install a certificate: medledger node tls-request, org issue --tls, node tls-install)`,
      );
    p.log(PLAIN_HTTP_NOTICE(p.host));
    return { peerFetch };
  }
  if (!installed)
    throw new LedgerError(
      { code: 'TLS_NOT_READY' },
      `node.json asks for TLS but ${p.dir} has no tls.cert.pem: run medledger node tls-request, have the organization issue it (org issue --tls), then medledger node tls-install`,
    );
  const m = loadNodeTls(p.dir, p.org, p.passphrase);
  if (m.notAfter <= (p.now ?? Date.now()))
    throw new LedgerError(
      { code: 'TLS_NOT_READY' },
      `the TLS certificate in ${p.dir}/tls.cert.pem expired on ${new Date(m.notAfter).toISOString()}`,
    );
  p.log(`TLS with ${p.org}'s server certificate for ${m.hosts.map((h) => h.value).join(', ')}`);
  return { https: { key: m.key, cert: m.cert, minVersion: 'TLSv1.2' }, peerFetch };
}
