/**
 * RFC 2986 (PKCS#10) certificate requests: a member's self-signed request, checked and turned
 * into a member certificate by the organization, which decides role and attributes. Negative
 * cases: a bad self-signature, a request for another organization, tampered requests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, webcrypto } from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import fc from 'fast-check';
import {
  certificateRequestFromPem,
  certificateRequestToPem,
  createCertificateRequest,
  createCertificateRequestWithKeys,
  createOrgRootCertificate,
  generateP256KeyPair,
  issueCertificateFromRequest,
  parseCertificate,
  parseCertificateRequest,
  utf8,
  verifyCertificateIssuedBy,
  verifyCertificateRequest,
  type P256KeyPair,
} from '../src/index.js';

const day = 86_400_000;
const t0 = Date.UTC(2026, 0, 1);

async function orgCa(org: string): Promise<{ keys: P256KeyPair; cert: Uint8Array }> {
  const keys = generateP256KeyPair();
  const cert = await createOrgRootCertificate({ org, ...keys, notBefore: t0, notAfter: t0 + 3650 * day });
  return { keys, cert };
}

const validity = { notBefore: t0, notAfter: t0 + 365 * day };

test('rfc2986: a member request carries the requested name, role and attributes and verifies under its own key', async () => {
  const member = generateP256KeyPair();
  const csr = await createCertificateRequest({
    ...member,
    commonName: 'dr-ada',
    org: 'hospitalA',
    role: 'doctor',
    attributes: { department: 'oncology' },
  });
  const info = parseCertificateRequest(csr);
  assert.deepEqual(
    { cn: info.commonName, org: info.org, role: info.role, attributes: info.attributes },
    { cn: 'dr-ada', org: 'hospitalA', role: 'doctor', attributes: { department: 'oncology' } },
  );
  assert.deepEqual(info.publicKey, member.publicKey);
  assert.equal(await verifyCertificateRequest(csr), true);
  const pem = certificateRequestToPem(csr);
  assert.match(pem, /^-----BEGIN CERTIFICATE REQUEST-----/);
  assert.deepEqual(certificateRequestFromPem(pem), csr);
  assert.throws(() =>
    certificateRequestFromPem('-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----'),
  );
  // The request holds no private key material.
  const d = createPrivateKey({ key: Buffer.from(member.privateKey), format: 'der', type: 'pkcs8' }).export({
    format: 'jwk',
  }).d!;
  assert.equal(Buffer.from(csr).indexOf(Buffer.from(d, 'base64url')), -1);
});

test('rfc2986: the organization issues for the key in the request, with the role and attributes it decides', async () => {
  const ca = await orgCa('hospitalA');
  const member = generateP256KeyPair();
  const request = await createCertificateRequest({
    ...member,
    commonName: 'dana',
    org: 'hospitalA',
    role: 'doctor',
    attributes: { department: 'oncology', clearance: 'all' },
  });
  const asked = await issueCertificateFromRequest({
    request,
    issuerCertificate: ca.cert,
    issuerPrivateKey: ca.keys.privateKey,
    ...validity,
  });
  const a = parseCertificate(asked.certificate);
  assert.deepEqual(
    [a.commonName, a.org, a.role, a.attributes],
    ['dana', 'hospitalA', 'doctor', { department: 'oncology', clearance: 'all' }],
  );
  assert.deepEqual(a.publicKey, member.publicKey);
  assert.equal(verifyCertificateIssuedBy(asked.certificate, ca.keys.publicKey), true);
  // The organization overrides: she is a nurse, and gets no clearance attribute.
  const decided = await issueCertificateFromRequest({
    request,
    issuerCertificate: ca.cert,
    issuerPrivateKey: ca.keys.privateKey,
    decision: { role: 'nurse', attributes: { department: 'oncology' } },
    ...validity,
  });
  const d = parseCertificate(decided.certificate);
  assert.deepEqual([d.role, d.attributes, d.commonName], ['nurse', { department: 'oncology' }, 'dana']);
  assert.equal(decided.requested.role, 'doctor');
  assert.equal(decided.issued.role, 'nurse');
  assert.equal(d.isCA, false);
});

test('rfc2986: a request signed by a key other than the one it carries is refused (bad self-signature)', async () => {
  const ca = await orgCa('hospitalA');
  const holder = generateP256KeyPair();
  const victim = generateP256KeyPair();
  const subtle = webcrypto.subtle;
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
  const forged = await x509.Pkcs10CertificateRequestGenerator.create({
    name: 'CN=mallory, O=hospitalA, OU=doctor',
    signingAlgorithm: alg,
    keys: {
      privateKey: await subtle.importKey('pkcs8', holder.privateKey, alg, false, ['sign']),
      publicKey: await subtle.importKey('spki', victim.publicKey, alg, true, ['verify']),
    },
    extensions: [
      new x509.Extension(
        '1.2.3.4.5.6.7.8.1',
        false,
        new Uint8Array([
          0x0c,
          ...((b) => [b.length, ...b])(utf8('{"attributes":{},"org":"hospitalA","role":"doctor"}')),
        ]),
      ),
    ],
  });
  const der = new Uint8Array(forged.rawData);
  assert.deepEqual(parseCertificateRequest(der).publicKey, victim.publicKey, 'well-formed');
  assert.equal(await verifyCertificateRequest(der), false);
  await assert.rejects(
    issueCertificateFromRequest({
      request: der,
      issuerCertificate: ca.cert,
      issuerPrivateKey: ca.keys.privateKey,
      ...validity,
    }),
    /bad self-signature/,
  );
});

test('rfc2986: a request for another organization is refused by the issuer', async () => {
  const caA = await orgCa('hospitalA');
  const member = generateP256KeyPair();
  const request = await createCertificateRequest({
    ...member,
    commonName: 'dr-b',
    org: 'hospitalB',
    role: 'doctor',
  });
  assert.equal(await verifyCertificateRequest(request), true);
  await assert.rejects(
    issueCertificateFromRequest({
      request,
      issuerCertificate: caA.cert,
      issuerPrivateKey: caA.keys.privateKey,
      ...validity,
    }),
    /asks organization hospitalB, the issuer is hospitalA/,
  );
});

test('rfc2986: a request altered after signing (role nurse → chief) fails its self-signature', async () => {
  const ca = await orgCa('hospitalA');
  const member = generateP256KeyPair();
  const request = await createCertificateRequest({
    ...member,
    commonName: 'dana',
    org: 'hospitalA',
    role: 'nurse',
  });
  const b = Buffer.from(request);
  let n = 0;
  for (let i = b.indexOf('nurse'); i >= 0; i = b.indexOf('nurse', i + 1), n++) b.write('chief', i);
  assert.equal(n, 2, 'the role is in the subject and in the extension');
  const altered = new Uint8Array(b);
  assert.equal(parseCertificateRequest(altered).role, 'chief', 'still well-formed');
  assert.equal(await verifyCertificateRequest(altered), false);
  await assert.rejects(
    issueCertificateFromRequest({
      request: altered,
      issuerCertificate: ca.cert,
      issuerPrivateKey: ca.keys.privateKey,
      ...validity,
    }),
    /bad self-signature/,
  );
});

test('rfc2986: no single flipped byte of a request gets a certificate issued (property)', async () => {
  const ca = await orgCa('hospitalA');
  const member = generateP256KeyPair();
  const request = await createCertificateRequest({
    ...member,
    commonName: 'dana',
    org: 'hospitalA',
    role: 'nurse',
  });
  await fc.assert(
    fc.asyncProperty(
      fc.nat({ max: request.length - 1 }),
      fc.integer({ min: 1, max: 255 }),
      async (i, mask) => {
        const t = request.slice();
        t[i]! ^= mask;
        await assert.rejects(
          issueCertificateFromRequest({
            request: t,
            issuerCertificate: ca.cert,
            issuerPrivateKey: ca.keys.privateKey,
            ...validity,
          }),
          TypeError,
        );
      },
    ),
    { numRuns: 300 },
  );
});

test('rfc2986: malformed input is refused with a TypeError, and never verifies', async () => {
  assert.throws(() => parseCertificateRequest(utf8('not a request')), /not a DER PKCS#10/);
  assert.equal(await verifyCertificateRequest(utf8('not a request')), false);
  const ca = await orgCa('hospitalA');
  // A certificate is not a request.
  assert.throws(() => parseCertificateRequest(ca.cert), TypeError);
  await assert.rejects(
    createCertificateRequest({
      ...generateP256KeyPair(),
      commonName: 'Dr. <script>',
      org: 'hospitalA',
      role: 'doctor',
    }),
    /names may hold only/,
  );
});

test('rfc2986: a request signed by a non-extractable WebCrypto key verifies under the key it carries, and the organization issues for that key', async () => {
  const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
    'sign',
    'verify',
  ]);
  assert.equal(keys.privateKey.extractable, false);
  const csr = await createCertificateRequestWithKeys({
    keys,
    commonName: 'patient-0123456789abcdef',
    org: 'hospitalA',
    role: 'patient',
  });
  const spki = new Uint8Array(await webcrypto.subtle.exportKey('spki', keys.publicKey));
  assert.deepEqual(parseCertificateRequest(csr).publicKey, spki);
  assert.equal(await verifyCertificateRequest(csr), true);
  const ca = await orgCa('hospitalA');
  const r = await issueCertificateFromRequest({
    request: csr,
    issuerCertificate: ca.cert,
    issuerPrivateKey: ca.keys.privateKey,
    ...validity,
  });
  assert.deepEqual(parseCertificate(r.certificate).publicKey, spki);
  // The same request with one byte of its signature changed is refused.
  const bad = Uint8Array.from(csr);
  bad[bad.length - 2]! ^= 0x04;
  assert.equal(await verifyCertificateRequest(bad), false);
});
