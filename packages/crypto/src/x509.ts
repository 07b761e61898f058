/**
 * X.509 v3 member certificates (RFC 5280) for the consortium. Each organization is a CA with
 * a self-signed root certificate listed in the genesis file; it issues its members' ECDSA
 * P-256 certificates. The subject is `CN=<member id>, O=<org id>, OU=<role>`; role,
 * organization and attributes also travel in a medledger extension (a UTF8String holding
 * canonical JSON), so nothing has to be parsed out of a display string.
 *
 * Issuance uses @peculiar/x509 (WebCrypto, asynchronous); checking uses node:crypto's
 * `X509Certificate` (OpenSSL, synchronous) so that the state machine can check a certificate
 * deterministically inside a block, against the block's time — never the wall clock.
 *
 * Threat model: a certificate proves that an organization vouched for a key, a role and
 * attributes for a period. Whether the member is still in good standing is the ledger's
 * business (revocation is a transaction), not the certificate's.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { X509Certificate as NodeX509, createPublicKey, webcrypto } from 'node:crypto';
import { assertBytes, assertString } from './assert.js';
import { fromUtf8, toHex, utf8, type RandomSource } from './bytes.js';
import { canonicalize } from './jcs.js';
import { randomBytes } from './random.js';

/**
 * OID of the medledger attributes extension. This is the unregistered arc Hyperledger Fabric
 * CA uses for its attribute extension (@peculiar/x509 cannot encode a 128-bit UUID arc under
 * 2.25); a production consortium should register an arc of its own.
 */
export const MEDLEDGER_ATTRS_OID = '1.2.3.4.5.6.7.8.1';

const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** What a certificate says about its holder. Times are milliseconds since the epoch. */
export interface CertificateInfo {
  commonName: string;
  org: string;
  role: string;
  attributes: Record<string, string>;
  isCA: boolean;
  serialNumber: string;
  notBefore: number;
  notAfter: number;
  /** SPKI DER of the subject's key. */
  publicKey: Uint8Array;
}

let providerSet = false;
function provider(): void {
  if (!providerSet) {
    x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
    providerSet = true;
  }
}

async function importPrivate(pkcs8: Uint8Array): Promise<webcrypto.CryptoKey> {
  return await webcrypto.subtle.importKey('pkcs8', pkcs8, ECDSA_P256, false, ['sign']);
}
async function importPublic(spki: Uint8Array): Promise<webcrypto.CryptoKey> {
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

function attrsExtension(org: string, role: string, attributes: Record<string, string>): x509.Extension {
  const body = utf8(canonicalize({ org, role, attributes }));
  const der = new Uint8Array([0x0c, ...derLength(body.length), ...body]); // UTF8String
  return new x509.Extension(MEDLEDGER_ATTRS_OID, false, der);
}

function dnEscape(s: string): string {
  assertString(s, 'name', true);
  if (!/^[A-Za-z0-9 ._@:-]+$/.test(s))
    throw new TypeError('names may hold only letters, digits and " ._@:-"');
  return s;
}

function serial(random: RandomSource): string {
  const b = random(16);
  b[0] = b[0]! & 0x7f; // positive INTEGER
  return toHex(b);
}

/** Parameters of {@link createOrgRootCertificate}. */
export interface CreateOrgRootCertificateParameters {
  org: string;
  privateKey: Uint8Array;
  publicKey: Uint8Array;
  notBefore: number;
  notAfter: number;
  random?: RandomSource;
}

/** A self-signed CA certificate for an organization. Returns DER bytes. */
export async function createOrgRootCertificate(p: CreateOrgRootCertificateParameters): Promise<Uint8Array> {
  provider();
  const name = `CN=${dnEscape(p.org)} root, O=${dnEscape(p.org)}, OU=org`;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(p.random ?? randomBytes),
    name,
    notBefore: new Date(p.notBefore),
    notAfter: new Date(p.notAfter),
    signingAlgorithm: ECDSA_P256,
    keys: { privateKey: await importPrivate(p.privateKey), publicKey: await importPublic(p.publicKey) },
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature, true),
      attrsExtension(p.org, 'org', {}),
    ],
  });
  return new Uint8Array(cert.rawData);
}

/** Parameters of {@link issueMemberCertificate}. */
export interface IssueMemberCertificateParameters {
  /** DER of the issuing organization's root certificate. */
  issuerCertificate: Uint8Array;
  issuerPrivateKey: Uint8Array;
  subjectPublicKey: Uint8Array;
  commonName: string;
  org: string;
  role: string;
  attributes?: Record<string, string>;
  notBefore: number;
  notAfter: number;
  random?: RandomSource;
}

/** Issues a member certificate signed by the organization's root key. Returns DER bytes. */
export async function issueMemberCertificate(p: IssueMemberCertificateParameters): Promise<Uint8Array> {
  provider();
  const issuer = new x509.X509Certificate(p.issuerCertificate);
  const attributes = p.attributes ?? {};
  for (const [k, v] of Object.entries(attributes)) {
    assertString(k, 'attribute name', true);
    assertString(v, `attribute ${k}`);
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(p.random ?? randomBytes),
    subject: `CN=${dnEscape(p.commonName)}, O=${dnEscape(p.org)}, OU=${dnEscape(p.role)}`,
    issuer: issuer.subject,
    notBefore: new Date(p.notBefore),
    notAfter: new Date(p.notAfter),
    signingAlgorithm: ECDSA_P256,
    publicKey: await importPublic(p.subjectPublicKey),
    signingKey: await importPrivate(p.issuerPrivateKey),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      attrsExtension(p.org, p.role, attributes),
    ],
  });
  return new Uint8Array(cert.rawData);
}

function readAttrs(cert: x509.X509Certificate): {
  org: string;
  role: string;
  attributes: Record<string, string>;
} {
  const ext = cert.getExtension(MEDLEDGER_ATTRS_OID);
  if (!ext) throw new TypeError('certificate has no medledger attributes extension');
  const v = new Uint8Array(ext.value);
  if (v[0] !== 0x0c) throw new TypeError('medledger attributes extension is not a UTF8String');
  let off = 2;
  let len = v[1]!;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = (len << 8) | v[2 + i]!;
    off = 2 + n;
  }
  if (off + len !== v.length) throw new TypeError('medledger attributes extension has a bad length');
  const parsed: unknown = JSON.parse(fromUtf8(v.subarray(off)));
  if (typeof parsed !== 'object' || parsed === null) throw new TypeError('bad medledger attributes');
  const { org, role, attributes } = parsed as Record<string, unknown>;
  if (
    typeof org !== 'string' ||
    typeof role !== 'string' ||
    typeof attributes !== 'object' ||
    attributes === null
  ) {
    throw new TypeError('bad medledger attributes');
  }
  for (const x of Object.values(attributes))
    if (typeof x !== 'string') throw new TypeError('bad medledger attributes');
  return { org, role, attributes: attributes as Record<string, string> };
}

/**
 * Parses a DER certificate. Does not check its signature: see {@link verifyCertificateIssuedBy}.
 * @throws TypeError if the bytes are not an X.509 certificate with medledger attributes.
 */
export function parseCertificate(der: Uint8Array): CertificateInfo {
  assertBytes(der, 'certificate');
  let cert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(der);
  } catch {
    throw new TypeError('not a DER X.509 certificate');
  }
  const { org, role, attributes } = readAttrs(cert);
  const cn = cert.subjectName.getField('CN')[0];
  if (!cn) throw new TypeError('certificate has no common name');
  const bc = cert.getExtension(x509.BasicConstraintsExtension);
  const nodeCert = new NodeX509(der);
  const spki = nodeCert.publicKey.export({ format: 'der', type: 'spki' });
  return {
    commonName: cn,
    org,
    role,
    attributes,
    isCA: bc?.ca === true,
    serialNumber: cert.serialNumber,
    notBefore: cert.notBefore.getTime(),
    notAfter: cert.notAfter.getTime(),
    publicKey: new Uint8Array(spki),
  };
}

/**
 * True if `der` carries a valid signature by the key `issuerPublicKey` (SPKI DER).
 * Validity periods are checked by the caller against the block's time.
 */
export function verifyCertificateIssuedBy(der: Uint8Array, issuerPublicKey: Uint8Array): boolean {
  assertBytes(der, 'certificate');
  assertBytes(issuerPublicKey, 'issuerPublicKey');
  try {
    const cert = new NodeX509(der);
    return cert.verify(createPublicKey({ key: Buffer.from(issuerPublicKey), format: 'der', type: 'spki' }));
  } catch {
    return false;
  }
}
