/**
 * TLS server certificates of nodes (RFC 5280 profile, issued from an RFC 2986 request): the
 * node's request names its hosts, the organization's root issues a serverAuth leaf for exactly
 * those hosts, which OpenSSL (node:crypto X509Certificate) verifies under the root. Negative
 * cases: a member request, a request for another organization, a tampered request, bad hosts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import {
  certificateToPem,
  certificatesFromPem,
  createCertificateRequest,
  createOrgRootCertificate,
  createTlsCertificateRequest,
  generateP256KeyPair,
  issueTlsServerCertificate,
  parseTlsCertificateRequest,
  parseTlsServerCertificate,
  verifyCertificateIssuedBy,
  type TlsHost,
} from '../src/index.js';

const day = 86_400_000;
const t0 = Date.UTC(2026, 0, 1);
const hosts: TlsHost[] = [
  { type: 'dns', value: 'node-a.hospital.example' },
  { type: 'ip', value: '127.0.0.1' },
];

async function orgCa(org: string) {
  const keys = generateP256KeyPair();
  const cert = await createOrgRootCertificate({ org, ...keys, notBefore: t0, notAfter: t0 + 3650 * day });
  return { keys, cert };
}

test('rfc5280-tls: the issued leaf names the requested hosts, serverAuth, the org, and verifies under the root', async () => {
  const ca = await orgCa('hospitalA');
  const node = generateP256KeyPair();
  const request = await createTlsCertificateRequest({ ...node, org: 'hospitalA', hosts });
  const { certificate } = await issueTlsServerCertificate({
    request,
    issuerCertificate: ca.cert,
    issuerPrivateKey: ca.keys.privateKey,
    notBefore: t0,
    notAfter: t0 + 90 * day,
  });
  const info = parseTlsServerCertificate(certificate);
  assert.equal(info.org, 'hospitalA');
  assert.deepEqual(info.hosts, hosts);
  assert.deepEqual(info.publicKey, node.publicKey);
  assert.ok(verifyCertificateIssuedBy(certificate, ca.keys.publicKey));
  const x = new X509Certificate(certificate);
  assert.ok(x.checkHost('node-a.hospital.example'));
  assert.ok(x.checkIP('127.0.0.1'));
  assert.equal(x.checkHost('other.example'), undefined);
  assert.ok(x.verify(new X509Certificate(ca.cert).publicKey));
  assert.match(x.toLegacyObject().ext_key_usage?.join(',') ?? '', /1\.3\.6\.1\.5\.5\.7\.3\.1/);
  assert.deepEqual(certificatesFromPem(certificateToPem(certificate) + certificateToPem(ca.cert)), [
    certificate,
    ca.cert,
  ]);
});

test('rfc5280-tls: a root refuses a request made for another organization', async () => {
  const ca = await orgCa('hospitalA');
  const request = await createTlsCertificateRequest({ ...generateP256KeyPair(), org: 'hospitalB', hosts });
  await assert.rejects(
    issueTlsServerCertificate({
      request,
      issuerCertificate: ca.cert,
      issuerPrivateKey: ca.keys.privateKey,
      notBefore: t0,
      notAfter: t0 + day,
    }),
    /asks organization hospitalB, the issuer is hospitalA/,
  );
});

test('rfc5280-tls: a member request is not a TLS request', async () => {
  const csr = await createCertificateRequest({
    ...generateP256KeyPair(),
    commonName: 'dr-ada',
    org: 'hospitalA',
    role: 'doctor',
  });
  await assert.rejects(parseTlsCertificateRequest(csr), /not a TLS server request/);
});

test('rfc5280-tls: a request with a changed byte fails its self-signature check', async () => {
  const request = await createTlsCertificateRequest({ ...generateP256KeyPair(), org: 'hospitalA', hosts });
  const i = Buffer.from(request).indexOf(Buffer.from('node-a'));
  const tampered = Uint8Array.from(request);
  tampered[i] = 'x'.charCodeAt(0);
  await assert.rejects(parseTlsCertificateRequest(tampered), /bad self-signature|malformed/);
});

test('rfc5280-tls: hosts must be lowercase DNS names or IP addresses', async () => {
  for (const bad of [
    [],
    [{ type: 'dns', value: 'Bad_Host' }],
    [{ type: 'ip', value: '300.1.1.1' }],
  ] as TlsHost[][])
    await assert.rejects(
      createTlsCertificateRequest({ ...generateP256KeyPair(), org: 'hospitalA', hosts: bad }),
      TypeError,
    );
});
