/**
 * Where a node may send a request it was told to send (webhooks): server-side request forgery
 * defence (OWASP SSRF Prevention Cheat Sheet). A patient names the URL, so by default the node
 * refuses every address that reaches the node itself or its private network: loopback,
 * private (RFC 1918, RFC 4193), carrier-grade NAT (RFC 6598), link-local (RFC 3927, RFC 4291;
 * this holds the cloud metadata service 169.254.169.254), unspecified, multicast, reserved and
 * documentation ranges, and IPv4 addresses embedded in IPv6 (mapped, NAT64) are judged as
 * IPv4. The check runs on the addresses DNS resolves to, at each connection, and the socket
 * connects to the checked address (no second resolution an attacker's DNS could answer
 * differently: DNS rebinding). An allow list in the node's configuration opens chosen
 * addresses or ranges (e.g. a hook receiver on the same host; tests open 127.0.0.1).
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/** Which outbound addresses are allowed beyond the public internet. */
export interface OutboundPolicy {
  /** Addresses or CIDR ranges (`127.0.0.1`, `10.1.0.0/16`, `fd00::/8`) allowed although denied by default. */
  allow?: readonly string[];
}

const DENIED_V4: [string, number][] = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
];
const DENIED_V6: [string, number][] = [
  ['::', 128],
  ['::1', 128],
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local (holds fd00:ec2::254, a metadata address)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
];

const denied = new BlockList();
for (const [a, p] of DENIED_V4) denied.addSubnet(a, p, 'ipv4');
for (const [a, p] of DENIED_V6) denied.addSubnet(a, p, 'ipv6');

/** The IPv4 address an IPv6 address carries (mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96), if any. */
function embeddedV4(ip: string): string | undefined {
  const m = /^(?:::ffff:|64:ff9b::)(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/i.exec(ip);
  if (!m) return undefined;
  if (m[1]) return m[1];
  const hi = parseInt(m[2]!, 16);
  const lo = parseInt(m[3]!, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** Compiles a policy into a check of one IP address: undefined if allowed, else the reason. */
export function outboundAddressCheck(policy: OutboundPolicy = {}): (ip: string) => string | undefined {
  const allowed = new BlockList();
  for (const entry of policy.allow ?? []) {
    const [addr, bits] = entry.split('/') as [string, string | undefined];
    const family = isIP(addr);
    if (family === 0) throw new RangeError(`outbound allow list: ${entry} is not an address or CIDR range`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) allowed.addAddress(addr, type);
    else {
      const n = Number(bits);
      if (!Number.isInteger(n) || n < 0 || n > (family === 4 ? 32 : 128))
        throw new RangeError(`outbound allow list: ${entry} has a bad prefix length`);
      allowed.addSubnet(addr, n, type);
    }
  }
  return (ip) => {
    const family = isIP(ip);
    if (family === 0) return `${ip} is not an IP address`;
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (allowed.check(ip, type)) return undefined;
    const v4 = family === 6 ? embeddedV4(ip) : undefined;
    if (v4 !== undefined && allowed.check(v4, 'ipv4')) return undefined;
    if (denied.check(ip, type) || (v4 !== undefined && denied.check(v4, 'ipv4')))
      return `${ip} is a loopback, private, link-local or reserved address (not in the outbound allow list)`;
    return undefined;
  };
}

/** Thrown (as a network error) when a destination is refused. */
export class OutboundDeniedError extends Error {
  readonly code = 'OUTBOUND_DENIED';
}

/**
 * A `lookup` for `http.request`/`https.request`: resolves the host, refuses the connection if
 * any address it resolves to is denied, and hands the socket the checked addresses only.
 */
export function checkedLookup(policy: OutboundPolicy = {}): LookupFunction {
  const check = outboundAddressCheck(policy);
  type Callback = (err: Error | null, address?: string | LookupAddress[], family?: number) => void;
  return ((hostname: string, options: { all?: boolean; family?: number }, callback: Callback) => {
    dnsLookup(
      hostname,
      { all: true, ...(options.family ? { family: options.family } : {}) },
      (err, addrs) => {
        if (err) return callback(err);
        const list = addrs as LookupAddress[];
        const bad = list.map((a) => check(a.address)).find((r) => r !== undefined);
        if (bad !== undefined || list.length === 0)
          return callback(new OutboundDeniedError(`${hostname}: ${bad ?? 'no address'}`));
        if (options.all) callback(null, list);
        else callback(null, list[0]!.address, list[0]!.family);
      },
    );
  }) as unknown as LookupFunction;
}

/**
 * Refuses a URL whose host is an IP literal (or `localhost`) the policy denies; host names are
 * checked again after resolution, at each connection ({@link checkedLookup}).
 * @returns undefined if the URL may be tried, else the reason
 */
export function checkOutboundUrl(url: URL, policy: OutboundPolicy = {}): string | undefined {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) !== 0) return outboundAddressCheck(policy)(host);
  if (/^localhost\.?$/i.test(host) || /\.localhost\.?$/i.test(host))
    return outboundAddressCheck(policy)('127.0.0.1');
  return undefined;
}

/**
 * POSTs `body` to `url` under the policy: the URL's IP literal is checked first, a host name
 * after resolution, and the connection goes to the checked address. Redirects are not
 * followed. Resolves with the HTTP status; rejects on a refused destination, a network error
 * or `signal` aborting.
 */
export function outboundPost(
  url: string,
  o: { headers: Record<string, string>; body: string; signal: AbortSignal; policy?: OutboundPolicy },
): Promise<number> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const host = u.hostname.replace(/^\[|\]$/g, '');
    // An IP literal is connected to without a lookup: check it here; names in checkedLookup.
    const bad = isIP(host) !== 0 ? outboundAddressCheck(o.policy)(host) : undefined;
    if (bad !== undefined) return reject(new OutboundDeniedError(bad));
    const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(u, {
      method: 'POST',
      headers: { ...o.headers, 'content-length': String(Buffer.byteLength(o.body)) },
      lookup: checkedLookup(o.policy),
      signal: o.signal,
    });
    req.on('response', (res) => {
      res.resume(); // drain: the body is not used
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(o.body);
  });
}
