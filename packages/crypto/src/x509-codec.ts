/**
 * Internal helpers shared by the X.509 certificates (`x509.ts`) and the PKCS#10 certificate
 * requests (`csr.ts`): the WebCrypto provider of @peculiar/x509, P-256 key import, the
 * medledger attributes extension and the distinguished-name rules. Not exported from the
 * package index.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { assertString } from './assert.js';
import { fromUtf8, toHex, utf8, type RandomSource } from './bytes.js';
import { canonicalize } from './jcs.js';
import { tlv } from './der.js';

/**
 * OID of the medledger attributes extension. This is the unregistered arc Hyperledger Fabric
 * CA uses for its attribute extension (@peculiar/x509 cannot encode a 128-bit UUID arc under
 * 2.25); a production consortium should register an arc of its own.
 */
export const MEDLEDGER_ATTRS_OID = '1.2.3.4.5.6.7.8.1';

export const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** What a certificate or a request says about its holder, in the medledger extension. */
export interface MedledgerAttrs {
  org: string;
  role: string;
  attributes: Record<string, string>;
}

let providerSet = false;
type WebCrypto = typeof globalThis.crypto;
export type WebCryptoKey = Awaited<ReturnType<WebCrypto['subtle']['importKey']>>;

/** The platform's WebCrypto (`globalThis.crypto`: Node 20 and browsers). */
function webcrypto(): WebCrypto {
  const c = globalThis.crypto as WebCrypto | undefined;
  if (c?.subtle === undefined)
    throw new Error('WebCrypto is not available (crypto.subtle needs a secure context)');
  return c;
}

/** Points @peculiar/x509 at the platform's WebCrypto (once). */
export function provider(): void {
  if (!providerSet) {
    x509.cryptoProvider.set(webcrypto() as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
    providerSet = true;
  }
}

export async function importPrivate(pkcs8: Uint8Array): Promise<WebCryptoKey> {
  return await webcrypto().subtle.importKey('pkcs8', pkcs8, ECDSA_P256, false, ['sign']);
}

export async function importPublic(spki: Uint8Array): Promise<WebCryptoKey> {
  return await webcrypto().subtle.importKey('spki', spki, ECDSA_P256, true, ['verify']);
}

function derLength(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  while (n > 0) {
    out.unshift(n & 0xff);
    n >>>= 8;
  }
  return [0x80 | out.length, ...out];
}

/** Checks attribute names and values (strings, names non-empty). */
export function checkAttributes(attributes: Record<string, string>): void {
  for (const [k, v] of Object.entries(attributes)) {
    assertString(k, 'attribute name', true);
    assertString(v, `attribute ${k}`);
  }
}

/** The medledger attributes extension: canonical JSON of `{ org, role, attributes }` as a UTF8String. */
export function attrsExtension(a: MedledgerAttrs): x509.Extension {
  checkAttributes(a.attributes);
  const body = utf8(canonicalize({ org: a.org, role: a.role, attributes: a.attributes }));
  const der = new Uint8Array([0x0c, ...derLength(body.length), ...body]); // UTF8String
  return new x509.Extension(MEDLEDGER_ATTRS_OID, false, der);
}

/** Decodes the medledger attributes extension of a certificate or a request. */
export function readAttrs(ext: x509.Extension | null): MedledgerAttrs {
  if (!ext) throw new TypeError('no medledger attributes extension');
  const v = new Uint8Array(ext.value);
  if (v[0] !== 0x0c) throw new TypeError('medledger attributes extension is not a UTF8String');
  let off = 2;
  let len = v[1] ?? 0;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = (len << 8) | v[2 + i]!;
    off = 2 + n;
  }
  if (off + len !== v.length) throw new TypeError('medledger attributes extension has a bad length');
  let parsed: unknown;
  try {
    parsed = JSON.parse(fromUtf8(v.subarray(off)));
  } catch {
    throw new TypeError('bad medledger attributes');
  }
  if (typeof parsed !== 'object' || parsed === null) throw new TypeError('bad medledger attributes');
  const { org, role, attributes } = parsed as Record<string, unknown>;
  if (
    typeof org !== 'string' ||
    typeof role !== 'string' ||
    typeof attributes !== 'object' ||
    attributes === null ||
    Array.isArray(attributes)
  ) {
    throw new TypeError('bad medledger attributes');
  }
  for (const x of Object.values(attributes))
    if (typeof x !== 'string') throw new TypeError('bad medledger attributes');
  return { org, role, attributes: attributes as Record<string, string> };
}

/** A name allowed in a distinguished name: letters, digits and " ._@:-" (nothing to escape). */
export function dnName(s: string): string {
  assertString(s, 'name', true);
  if (!/^[A-Za-z0-9 ._@:-]+$/.test(s))
    throw new TypeError('names may hold only letters, digits and " ._@:-"');
  return s;
}

/** The subject of a member certificate or request: `CN=<common name>, O=<org>, OU=<role>`. */
export function memberSubject(commonName: string, org: string, role: string): string {
  return `CN=${dnName(commonName)}, O=${dnName(org)}, OU=${dnName(role)}`;
}

/** A random positive 128-bit serial number, hex. */
export function serial(random: RandomSource): string {
  const b = random(16);
  b[0] = b[0]! & 0x7f; // positive INTEGER
  return toHex(b);
}

/** AlgorithmIdentifier ecdsa-with-SHA256 (RFC 5758 §3.2: parameters absent). */
const ECDSA_WITH_SHA256 = new Uint8Array([
  0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02,
]);

/**
 * The signed part, the signature algorithm and the signature of a request (RFC 2986 §4.2),
 * read strictly: one DER SEQUENCE, nothing before or after it, ecdsa-with-SHA256, no unused
 * bits. asn1js, under @peculiar/x509, tolerates lengths that disagree with the bytes, so the
 * signature is checked here over the exact bytes of the signed part.
 */
/**
 * The signed part and the DER ECDSA signature of a certificate or a certificate request
 * (SEQUENCE { tbs, ecdsa-with-SHA256, BIT STRING }), or undefined if `der` is not one.
 */
export function signedParts(der: Uint8Array): { tbs: Uint8Array; signature: Uint8Array } | undefined {
  const outer = tlv(der, 0, der.length);
  if (!outer || outer.tag !== 0x30 || outer.end !== der.length) return undefined;
  const info = tlv(der, outer.start, outer.end);
  if (!info || info.tag !== 0x30) return undefined;
  const alg = tlv(der, info.end, outer.end);
  if (!alg || alg.tag !== 0x30) return undefined;
  const algBytes = der.subarray(info.end, alg.end);
  if (algBytes.length !== ECDSA_WITH_SHA256.length || !algBytes.every((b, i) => b === ECDSA_WITH_SHA256[i]))
    return undefined;
  const sig = tlv(der, alg.end, outer.end);
  if (!sig || sig.tag !== 0x03 || sig.end !== outer.end || der[sig.start] !== 0) return undefined;
  return { tbs: der.subarray(outer.start, info.end), signature: der.subarray(sig.start + 1, sig.end) };
}
