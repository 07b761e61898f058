/**
 * The certificate requests a node keeps for its organization (enrollment/requests.ts), on a
 * real SQLite file: a request is kept only if it is a PKCS#10 request for this organization
 * signed by the key it carries (RFC 2986 §4.2); it survives a restart; the pending count is
 * capped; a certificate is accepted back only if the organization's root key on the ledger
 * signed it for the request's key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createCertificateRequest,
  createOrgRootCertificate,
  generateP256KeyPair,
  issueCertificateFromRequest,
  toB64u,
} from '@medledger/crypto';
import { LedgerError, mapStateReader, orgKey } from '@medledger/core';
import { CertificateRequestStore } from '../src/enrollment/requests.js';

const NOW = Date.UTC(2026, 0, 1);
const YEAR = 365 * 86_400_000;

async function orgRoot(org: string) {
  const k = generateP256KeyPair();
  const cert = await createOrgRootCertificate({ org, ...k, notBefore: NOW - YEAR, notAfter: NOW + YEAR });
  return { ...k, cert };
}

const request = async (org = 'hospitalA', role = 'patient') =>
  createCertificateRequest({ ...generateP256KeyPair(), commonName: 'patient-0011223344556677', org, role });

const code = (c: string) => (e: unknown) => e instanceof LedgerError && e.code === c;

test('behavior: a certificate request is kept once, survives a reopen, and is answered only with a certificate of the org’s root for its key', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cert-requests-'));
  try {
    const rootA = await orgRoot('hospitalA');
    const rootB = await orgRoot('hospitalB');
    const state = mapStateReader(
      new Map([[orgKey('hospitalA'), { id: 'hospitalA', rootPublicKey: toB64u(rootA.publicKey) }]]),
    );
    const open = (maxPending?: number) =>
      CertificateRequestStore.open({
        path: join(dir, 'cert-requests.sqlite'),
        org: 'hospitalA',
        state: () => state,
        now: () => NOW,
        ...(maxPending === undefined ? {} : { maxPending }),
      });
    let store = open();
    const csr = await request();
    const first = await store.submit('hospitalA', csr);
    assert.equal(first.created, true);
    assert.equal(first.request.status, 'pending');
    assert.equal((await store.submit('hospitalA', csr)).created, false, 'the same request is kept once');

    // Refused, and nothing kept: a wrong self-signature, another organization's request, another node's.
    const bad = Uint8Array.from(csr);
    bad[bad.length - 3]! ^= 0x80;
    await assert.rejects(store.submit('hospitalA', bad), code('CSR_INVALID'));
    await assert.rejects(store.submit('hospitalA', await request('hospitalB')), code('WRONG_ORG'));
    await assert.rejects(store.submit('hospitalB', csr), code('WRONG_ORG'));
    assert.equal(store.list('hospitalA').length, 1);

    // Durable: a reopened store has it.
    store.close();
    store = open(2);
    assert.deepEqual(store.get('hospitalA', first.request.id), first.request);
    await store.submit('hospitalA', await request());
    await assert.rejects(store.submit('hospitalA', await request()), code('TOO_MANY_REQUESTS'));

    // The answer: a certificate of hospitalB's root, or for another key, is refused.
    const issue = async (root: typeof rootA, req: Uint8Array) =>
      (
        await issueCertificateFromRequest({
          request: req,
          issuerCertificate: root.cert,
          issuerPrivateKey: root.privateKey,
          notBefore: NOW - 1000,
          notAfter: NOW + YEAR / 2,
        })
      ).certificate;
    assert.throws(
      () => store.issue('hospitalA', first.request.id, new Uint8Array([1, 2, 3])),
      code('CERT_MISMATCH'),
    );
    await assert.rejects(
      (async () => store.issue('hospitalA', first.request.id, await issue(rootA, await request())))(),
      code('CERT_MISMATCH'),
    );
    const byB = await issueCertificateFromRequest({
      request: await request('hospitalB'),
      issuerCertificate: rootB.cert,
      issuerPrivateKey: rootB.privateKey,
      notBefore: NOW - 1000,
      notAfter: NOW + YEAR / 2,
    });
    assert.throws(() => store.issue('hospitalA', first.request.id, byB.certificate), code('CERT_MISMATCH'));
    assert.equal(store.get('hospitalA', first.request.id)?.status, 'pending');

    const cert = await issue(rootA, csr);
    const issued = store.issue('hospitalA', first.request.id, cert);
    assert.equal(issued.status, 'issued');
    assert.equal(issued.certificate, toB64u(cert));
    assert.equal(
      store.issue('hospitalA', first.request.id, cert).status,
      'issued',
      'the same answer again is fine',
    );
    const again = await issue(rootA, csr); // another serial number: another certificate
    assert.throws(() => store.issue('hospitalA', first.request.id, again), code('CONFLICT'));
    assert.deepEqual(
      store.list('hospitalA', 'issued').map((r) => r.id),
      [first.request.id],
    );
    assert.throws(() => store.issue('hospitalA', 'ab'.repeat(32), cert), code('NOT_FOUND'));
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
