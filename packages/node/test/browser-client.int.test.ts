/**
 * The client in a real browser (Debian Chromium through playwright-core): the client's entry,
 * bundled for the browser by esbuild, is served by a real node (in-process, SQLite in a temp
 * dir, the real fastify server) at http://127.0.0.1 (a secure context, so WebCrypto is
 * there). In the page, a member makes a non-extractable P-256 key with WebCrypto; the
 * organization certifies its public key and enrolls it; the page builds and signs a
 * transaction and submits it with `MedledgerClient`, and the node commits it. A signature
 * made in the page for another member's id is refused. It lives in the node's tests because
 * it needs a node (the client's tests may not import the node: layering).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { fromB64u, issueMemberCertificate, toB64u } from '@medledger/crypto';
import { memberIdOf } from '@medledger/core';
import { decryptSttBody } from '@medledger/client';
import type * as ClientApi from '@medledger/client';
import type * as CryptoApi from '@medledger/crypto';
import { buildServer } from '../src/index.js';
import { webRoutes } from '../src/api/routes/web.js';
import { enrollAll, makeTestLedger } from './helpers/ledger.js';

const CHROMIUM = '/usr/bin/chromium';

/** What the page's module puts on `window`: the client, and crypto's byte and hash helpers. */
type PageWindow = { medledger: typeof ClientApi & { crypto: typeof CryptoApi }; signer: ClientApi.Signer };

/** The client for the page, bundled for the browser (with crypto's helpers under `crypto`). */
async function bundleClient(): Promise<string> {
  const r = await build({
    stdin: {
      contents: "export * from '@medledger/client'; export * as crypto from '@medledger/crypto';",
      resolveDir: fileURLToPath(new URL('.', import.meta.url)),
    },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    logLevel: 'silent',
    outdir: 'out',
    // umbral-pre's browser build imports its .wasm for a bundler's WASM plugin; the page does
    // not use proxy re-encryption, and the bundle drops it (the crypto package is side-effect free).
    loader: { '.wasm': 'file' },
  });
  const js = r.outputFiles.find((f) => f.path.endsWith('.js'));
  assert.ok(js, 'a JavaScript bundle');
  return js.text;
}

/**
 * The page, served through the portal's routes (`/`, `/assets/:file`) with their content
 * security policy: no inline script, so the module that loads the client is a file too.
 */
function writePage(bundle: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'browser-client-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html><meta charset="utf-8"><title>medledger client</title><script type="module" src="/assets/boot.js"></script>',
  );
  writeFileSync(
    join(dir, 'assets', 'boot.js'),
    "import * as medledger from './client.js'; window.medledger = medledger; window.ready = true;",
  );
  writeFileSync(join(dir, 'assets', 'client.js'), bundle);
  return dir;
}

test(
  'behavior: in Chromium, a non-extractable WebCrypto key signs a transaction that a real node commits; a signature for another member is refused',
  { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install chromium)` },
  async () => {
    const bundle = await bundleClient();
    const t = await makeTestLedger();
    const pageDir = writePage(bundle);
    const app = buildServer(t.node, { plugins: [webRoutes(pageDir)] });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      await enrollAll(t);
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      const page = await browser.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(e.message));
      await page.goto(`${url}/`);
      await page.waitForFunction(
        () => (globalThis as unknown as { ready?: boolean }).ready === true,
        undefined,
        {
          timeout: 30_000,
        },
      );
      assert.deepEqual(pageErrors, []);

      // 1. The member's key is made in the page and cannot leave it.
      const made = await page.evaluate(async () => {
        const w = globalThis as unknown as PageWindow;
        const m = w.medledger;
        const pair = await m.generateWebCryptoKeyPair();
        const signer = await m.createWebCryptoSigner(pair);
        w.signer = signer;
        let exported = true;
        try {
          await crypto.subtle.exportKey(
            'pkcs8',
            pair.privateKey as unknown as Parameters<typeof crypto.subtle.exportKey>[1],
          );
        } catch {
          exported = false;
        }
        return {
          spki: m.crypto.toB64u(signer.publicKey),
          extractable: pair.privateKey.extractable,
          exported,
        };
      });
      assert.equal(made.extractable, false);
      assert.equal(made.exported, false, 'the page cannot export the private key');

      // 2. The organization certifies the public key (it never sees the private key) and enrolls it.
      const org = t.consortium.orgs.get('hospitalA')!;
      const now = Date.now();
      const certificate = await issueMemberCertificate({
        issuerCertificate: org.rootCertificate,
        issuerPrivateKey: org.root.privateKey,
        subjectPublicKey: fromB64u(made.spki),
        commonName: 'dana',
        org: 'hospitalA',
        role: 'doctor',
        notBefore: now - 60_000,
        notAfter: now + 86_400_000,
      });
      const memberId = memberIdOf(certificate);
      const enrol = await t.node.submit(
        t.orgWallet('hospitalA').tx({
          chainId: t.node.chainId,
          type: 'registry.enroll',
          payload: { certificate: toB64u(certificate) },
          createdAt: Date.now(),
        }),
      );
      assert.equal((await t.node.waitForReceipt(enrol.txId, 10_000))?.code, 'OK');

      // 3. The page builds, signs and submits a transaction as that member; the node commits it.
      const signed = await page.evaluate(
        async ({ memberId, chainId, alice }) => {
          const { medledger: m, signer } = globalThis as unknown as PageWindow;
          const c = m.crypto;
          const wallet = new m.Wallet({ signerId: memberId, signer });
          const origin = (globalThis as unknown as { location: { origin: string } }).location.origin;
          const client = new m.MedledgerClient(origin);
          const anchor = (recordId: string) => ({
            recordId,
            hash: c.toHex(c.hashTagged(c.HashTag.record, c.utf8(recordId))),
          });
          const tx = await wallet.txAsync({
            chainId,
            type: 'record.anchor',
            payload: anchor('made-in-the-browser'),
            createdAt: Date.now(),
          });
          const receipt = await client.submitAndWait(tx, 10_000);
          // The same key signing for alice: the node checks alice's key and refuses it.
          const forged = new m.Wallet({ signerId: alice, signer });
          const bad = await forged.txAsync({
            chainId,
            type: 'record.anchor',
            payload: anchor('forged'),
            createdAt: Date.now(),
          });
          let refused = '';
          try {
            await client.submit(bad);
          } catch (e) {
            refused = `${(e as { code?: string }).code}: ${(e as Error).message}`;
          }
          // A signed read (GET /v1/txs/:id) signed in the page; the same header on another path is refused.
          const path = `/v1/txs/${receipt.txId}`;
          const audience = await m.requestAudience(origin);
          const header = await m.signRequestWith(signer, {
            method: 'GET',
            path,
            ts: Date.now(),
            signerId: memberId,
            audience,
          });
          const read = await fetch(path, { headers: { [m.AUTH_HEADER]: header } });
          const readBody = (await read.json()) as { tx?: { body?: { signers?: string[] } } };
          const replayedElsewhere = await fetch(`${path}?final=1`, { headers: { [m.AUTH_HEADER]: header } });
          // An STT body sealed in the page under a release key (AES-256-GCM, @noble/ciphers here).
          const releaseKey = c.randomBytes(32);
          const inner = m.encryptSttBody(releaseKey, c.utf8('a record made in the browser'), 'rec-1');
          return {
            receipt,
            refused,
            read: { status: read.status, signers: readBody.tx?.body?.signers },
            replayedElsewhere: replayedElsewhere.status,
            stt: { key: c.toB64u(releaseKey), inner: c.toB64u(inner) },
          };
        },
        { memberId, chainId: t.node.chainId, alice: t.member('alice').memberId },
      );
      assert.equal(signed.receipt.code, 'OK');
      assert.equal(t.node.receipt(signed.receipt.txId)?.code, 'OK', 'the node has it committed');
      assert.match(signed.refused, /signature/i);
      assert.deepEqual(
        signed.read,
        { status: 200, signers: [memberId] },
        'a read signed in the page is served',
      );
      assert.equal(signed.replayedElsewhere, 401, 'the signature covers the path');
      // Node (OpenSSL) opens what the page sealed.
      const opened = decryptSttBody(fromB64u(signed.stt.key), fromB64u(signed.stt.inner), 'rec-1');
      assert.equal(new TextDecoder().decode(opened), 'a record made in the browser');
      assert.throws(() => decryptSttBody(fromB64u(signed.stt.key), fromB64u(signed.stt.inner), 'rec-2'));
      assert.deepEqual(pageErrors, []);
    } finally {
      await browser.close();
      await app.close();
      await t.cleanup();
      rmSync(pageDir, { recursive: true, force: true });
    }
  },
);
