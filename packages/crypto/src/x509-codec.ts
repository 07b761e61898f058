/**
 * Internal helpers shared by the X.509 certificates (`x509.ts`) and the PKCS#10 certificate
 * requests (`csr.ts`): the WebCrypto provider of @peculiar/x509, P-256 key import, the
 * medledger attributes extension and the distinguished-name rules. Not exported from the
 * package index.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import { assertString } from './assert.js';
import { fromUtf8, toHex, utf8, type RandomSource } from './bytes.js';
import { canonicalize } from './jcs.js';

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
/** Points @peculiar/x509 at node's WebCrypto (once). */
export function provider(): void {
  if (!providerSet) {
    x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
    providerSet = true;
  }
}

export async function importPrivate(pkcs8: Uint8Array): Promise<webcrypto.CryptoKey> {
  return await webcrypto.subtle.importKey('pkcs8', pkcs8, ECDSA_P256, false, ['sign']);
}

export async function importPublic(spki: Uint8Array): Promise<webcrypto.CryptoKey> {
  return await webcrypto.subtle.importKey('spki', spki, ECDSA_P256, true, ['verify']);
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
