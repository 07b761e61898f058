/**
 * Signers: a WebCrypto key (non-extractable, Node 20's `crypto.subtle`, as a browser's) and a
 * key held in the process sign the same bytes in the same format — 64-byte low-S r || s —
 * that `verifyP256`, and so every node, accepts; a wallet built on either makes transactions
 * whose signatures verify against the wallet's public key and nothing else.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  fromB64u,
  generateP256KeyPair,
  isLowSP256,
  negateP256S,
  p256PublicKeyOf,
  verifyP256,
} from '@medledger/crypto';
import { LedgerError, txSigningBytes } from '@medledger/core';
import {
  AUTH_HEADER,
  ApiClient,
  Wallet,
  createKeySigner,
  createWebCryptoSigner,
  generateWebCryptoKeyPair,
  isSyncSigner,
  requestSigningBytes,
  signRequest,
  signRequestAsync,
  signRequestWith,
  isSigner,
  type WebCryptoKeyPair,
} from '../src/index.js';

const txParams = {
  chainId: 'chain-1',
  type: 'record.anchor' as const,
  payload: { recordId: 'r1', hash: 'ab'.repeat(32) },
  createdAt: 1_700_000_000_000,
};

test('property: a WebCrypto signature is 64 bytes, low-S, and verifies with verifyP256 under its SPKI', async () => {
  const signer = await createWebCryptoSigner(await generateWebCryptoKeyPair());
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (message) => {
      const sig = await signer.sign(message);
      assert.equal(sig.length, 64);
      assert.ok(isLowSP256(sig), 'low-S form');
      assert.ok(verifyP256(signer.publicKey, message, sig));
      assert.equal(
        verifyP256(signer.publicKey, message, negateP256S(sig)),
        false,
        'the high-S twin is refused',
      );
    }),
    { numRuns: 60 },
  );
});

test('security: a WebCrypto key made for a wallet is not extractable, and its signatures do not verify under another key', async () => {
  const pair = await generateWebCryptoKeyPair();
  assert.equal(pair.privateKey.extractable, false);
  await assert.rejects(
    globalThis.crypto.subtle.exportKey(
      'pkcs8',
      pair.privateKey as unknown as Parameters<typeof globalThis.crypto.subtle.exportKey>[1],
    ),
    'the private key cannot be exported',
  );
  const signer = await createWebCryptoSigner(pair);
  const other = generateP256KeyPair();
  const msg = new TextEncoder().encode('message');
  const sig = await signer.sign(msg);
  assert.equal(verifyP256(other.publicKey, msg, sig), false, 'wrong key');
  const tampered = new TextEncoder().encode('messagf');
  assert.equal(verifyP256(signer.publicKey, tampered, sig), false, 'tampered message');
});

test('behavior: createWebCryptoSigner refuses keys that are not ECDSA P-256 signing keys', async () => {
  const subtle = globalThis.crypto.subtle;
  const p384 = (await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, true, [
    'sign',
    'verify',
  ])) as unknown as WebCryptoKeyPair;
  await assert.rejects(createWebCryptoSigner(p384), /not an ECDSA P-256 key/);
  const p256 = (await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ])) as unknown as WebCryptoKeyPair;
  await assert.rejects(
    createWebCryptoSigner({ privateKey: p256.publicKey, publicKey: p256.publicKey }),
    /not a private key for signing/,
  );
});

test('behavior: the key signer gives what signP256 gives, synchronously, and its SPKI is the key’s', () => {
  const keys = generateP256KeyPair();
  const signer = createKeySigner(keys.privateKey);
  assert.ok(isSyncSigner(signer));
  assert.deepEqual(signer.publicKey, p256PublicKeyOf(keys.privateKey));
  const msg = new TextEncoder().encode('abc');
  const sig = signer.signSync(msg);
  assert.ok(verifyP256(keys.publicKey, msg, sig));
  assert.ok(isLowSP256(sig));
});

test('behavior: a wallet on a WebCrypto signer signs a transaction (txAsync) that verifies under its public key; sync signing is refused with a clear error', async () => {
  const signer = await createWebCryptoSigner(await generateWebCryptoKeyPair());
  const wallet = new Wallet({ signerId: 'm1', signer });
  assert.deepEqual(fromB64u(wallet.publicKey), signer.publicKey);
  const tx = await wallet.txAsync(txParams);
  assert.deepEqual(tx.body.signers, ['m1']);
  assert.equal(tx.signatures.length, 1);
  assert.ok(verifyP256(signer.publicKey, txSigningBytes(tx.body), fromB64u(tx.signatures[0]!.sig)));
  assert.throws(() => wallet.tx(txParams), /signs asynchronously/);
  const foreign = { ...tx.body, signers: ['someone-else'] };
  await assert.rejects(
    wallet.signatureAsync(foreign),
    (e: unknown) => e instanceof LedgerError && e.code === 'NOT_A_SIGNER',
  );
});

test('behavior: a wallet on a PKCS#8 key signs synchronously and asynchronously, both verifying', async () => {
  const keys = generateP256KeyPair();
  const wallet = new Wallet({ signerId: 'm2', privateKey: keys.privateKey });
  const tx = wallet.tx(txParams);
  const txA = await wallet.txAsync(txParams);
  for (const t of [tx, txA]) {
    assert.ok(verifyP256(keys.publicKey, txSigningBytes(t.body), fromB64u(t.signatures[0]!.sig)));
  }
  assert.throws(
    () => wallet.signature({ ...tx.body, signers: ['x'] }),
    (e: unknown) => e instanceof LedgerError && e.code === 'NOT_A_SIGNER',
  );
});

test('behavior: a signed request from a WebCrypto signer has the header shape of signRequest and verifies over the same bytes', async () => {
  const signer = await createWebCryptoSigner(await generateWebCryptoKeyPair());
  const p = {
    method: 'GET',
    path: '/v1/txs/abc',
    ts: 1_700_000_000_000,
    signerId: 'm1',
    audience: { chainId: 'chain-1', node: 'hospitalA' },
  };
  const header = await signRequestWith(signer, p);
  const [id, ts, sig] = header.split('.');
  assert.deepEqual([id, ts], ['m1', '1700000000000']);
  assert.ok(verifyP256(signer.publicKey, requestSigningBytes(p), fromB64u(sig!)));
  const keys = generateP256KeyPair();
  assert.match(signRequest({ ...p, privateKey: keys.privateKey }), /^m1\.1700000000000\.[A-Za-z0-9_-]{86}$/);
  assert.match(header, /^m1\.1700000000000\.[A-Za-z0-9_-]{86}$/);
});

test('behavior: ApiClient signs a request with a WebCrypto signer in place of a key: the header verifies under its public key and covers the exact body', async () => {
  const signer = await createWebCryptoSigner(await generateWebCryptoKeyPair());
  const audience = { chainId: 'chain-1', node: 'hospitalA' };
  const seen: { url: string; headers: Record<string, string>; body: Uint8Array }[] = [];
  const fetchStub = (async (input: string | URL | Request, init?: RequestInit) => {
    seen.push({
      url: String(input),
      headers: init?.headers as Record<string, string>,
      body: init?.body as Uint8Array,
    });
    return new Response('{"ok":true}', { status: 200, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
  const api = new ApiClient(
    'http://127.0.0.1:1',
    { signerId: 'ab'.repeat(32), privateKey: signer, audience, now: () => 1_700_000_000_000 },
    { fetch: fetchStub },
  );
  assert.equal(isSigner(signer), true);
  await api.send('POST', '/v1/x?y=1', { hello: 'world' }, { sign: true });
  const sent = seen[0]!;
  const [id, ts, sig] = sent.headers[AUTH_HEADER]!.split('.') as [string, string, string];
  assert.equal(id, 'ab'.repeat(32));
  const bytes = requestSigningBytes({
    method: 'POST',
    path: '/v1/x?y=1',
    ts: Number(ts),
    body: sent.body,
    signerId: id,
    audience,
  });
  assert.equal(verifyP256(signer.publicKey, bytes, fromB64u(sig)), true);
  const otherBody = requestSigningBytes({
    method: 'POST',
    path: '/v1/x?y=1',
    ts: Number(ts),
    body: new TextEncoder().encode('{"hello":"else"}'),
    signerId: id,
    audience,
  });
  assert.equal(verifyP256(signer.publicKey, otherBody, fromB64u(sig)), false, 'another body does not verify');
  // The same call with a PKCS#8 key (the CLI's and SDK's callers) still signs synchronously.
  const k = generateP256KeyPair();
  const headerSync = signRequest({
    signerId: id,
    privateKey: k.privateKey,
    method: 'GET',
    path: '/v1/status',
    ts: 1,
    audience,
  });
  const headerAsync = await signRequestAsync({
    signerId: id,
    privateKey: createKeySigner(k.privateKey),
    method: 'GET',
    path: '/v1/status',
    ts: 1,
    audience,
  });
  for (const h of [headerSync, headerAsync]) {
    const b = requestSigningBytes({ method: 'GET', path: '/v1/status', ts: 1, signerId: id, audience });
    assert.equal(verifyP256(k.publicKey, b, fromB64u(h.split('.')[2]!)), true);
  }
  assert.equal(isSigner(k.privateKey), false);
});

test('behavior: identical requests from one signer never carry the same timestamp, so the node does not take the second for a replay', async () => {
  const seen: string[] = [];
  const fetchStub = (async (_input: string | URL | Request, init?: RequestInit) => {
    seen.push((init?.headers as Record<string, string>)[AUTH_HEADER]!);
    return new Response('{"ok":true}', { status: 200, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
  const k = generateP256KeyPair();
  const audience = { chainId: 'chain-1', node: 'hospitalA' };
  // A clock that does not move: the same millisecond for every call.
  const api = new ApiClient(
    'http://127.0.0.1:1',
    { signerId: 'cd'.repeat(32), privateKey: k.privateKey, audience, now: () => 1_700_000_000_000 },
    { fetch: fetchStub },
  );
  await Promise.all([
    api.send('GET', '/v1/x', undefined, { sign: true }),
    api.send('GET', '/v1/x', undefined, { sign: true }),
  ]);
  await api.send('GET', '/v1/x', undefined, { sign: true });
  const ts = seen.map((h) => Number(h.split('.')[1]));
  assert.equal(new Set(ts).size, 3, `timestamps ${ts.join(', ')}`);
  assert.ok(ts.every((t) => t >= 1_700_000_000_000 && t < 1_700_000_000_010));
});
