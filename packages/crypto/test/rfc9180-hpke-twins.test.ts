/**
 * HPKE base mode (RFC 9180), DHKEM(X25519, HKDF-SHA256) with HKDF-SHA256: the Node twin's own
 * implementation over node:crypto (`primitives.ts`) and the browser twin over @hpke/core
 * (`primitives.browser.ts`) against the RFC's Appendix A.1 vector, and against each other:
 * the same ephemeral randomness gives the same bytes, each opens what the other sealed, and
 * both refuse a wrong key, a changed byte or context, and a small-order public key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as nodePrims from '../src/primitives.js';
import * as webPrims from '../src/primitives.browser.js';
import { fromHex, toHex } from '../src/bytes.js';

// RFC 9180 Appendix A.1 (base mode, AES-128-GCM; the RFC has no X25519 vector with
// AES-256-GCM, only the AEAD key length differs), sequence number 0.
const A1 = {
  info: '4f6465206f6e2061204772656369616e2055726e',
  ikmE: '7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234',
  pkEm: '37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431',
  pkRm: '3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d',
  skRm: '4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8',
  pt: '4265617574792069732074727574682c20747275746820626561757479',
  aad0: '436f756e742d30',
  ct0: 'f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a',
};

const twins = [
  ['node:crypto', nodePrims],
  ['@hpke/core', webPrims],
] as const;

for (const [name, p] of twins) {
  test(`rfc9180 A.1: the ${name} twin seals the published enc and ciphertext and opens it`, async () => {
    const { enc, ct } = await p.hpkeSealBase(
      fromHex(A1.pkRm),
      fromHex(A1.info),
      fromHex(A1.aad0),
      fromHex(A1.pt),
      fromHex(A1.ikmE),
      'aes-128-gcm',
    );
    assert.equal(toHex(enc), A1.pkEm);
    assert.equal(toHex(ct), A1.ct0);
    const pt = await p.hpkeOpenBase(
      fromHex(A1.skRm),
      fromHex(A1.pkEm),
      fromHex(A1.info),
      fromHex(A1.aad0),
      fromHex(A1.ct0),
      'aes-128-gcm',
    );
    assert.equal(toHex(pt), A1.pt);
  });
}

const b32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const bytes = (max: number) => fc.uint8Array({ maxLength: max });

test('property: both twins seal the same bytes from the same randomness, and each opens the other’s (AES-256-GCM)', async () => {
  await fc.assert(
    fc.asyncProperty(b32, b32, bytes(40), bytes(60), bytes(200), async (skR, ikmE, info, aad, pt) => {
      const pkR = nodePrims.x25519PublicKeyRaw(skR);
      const n = await nodePrims.hpkeSealBase(pkR, info, aad, pt, ikmE);
      const w = await webPrims.hpkeSealBase(pkR, info, aad, pt, ikmE);
      assert.deepEqual(n.enc, w.enc);
      assert.deepEqual(n.ct, w.ct);
      assert.equal(n.ct.length, pt.length + 16);
      assert.deepEqual(await webPrims.hpkeOpenBase(skR, n.enc, info, aad, n.ct), pt);
      assert.deepEqual(await nodePrims.hpkeOpenBase(skR, w.enc, info, aad, w.ct), pt);
    }),
    { numRuns: 40 },
  );
});

test('security: a wrong key, a changed byte of enc or ciphertext, or another info or aad fails to open in both twins', async () => {
  await fc.assert(
    fc.asyncProperty(b32, b32, b32, bytes(100), fc.nat(), async (skR, other, ikmE, pt, at) => {
      fc.pre(toHex(skR) !== toHex(other));
      const pkR = nodePrims.x25519PublicKeyRaw(skR);
      const info = Uint8Array.of(1, 2, 3);
      const aad = Uint8Array.of(9);
      const { enc, ct } = await nodePrims.hpkeSealBase(pkR, info, aad, pt, ikmE);
      const flip = (b: Uint8Array): Uint8Array => {
        const c = b.slice();
        const i = at % c.length;
        c[i] = c[i]! ^ 0x01;
        return c;
      };
      for (const [, p] of twins) {
        const bad: [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array][] = [
          [other, enc, info, aad, ct],
          [skR, flip(enc), info, aad, ct],
          [skR, enc, info, aad, flip(ct)],
          [skR, enc, Uint8Array.of(1, 2, 4), aad, ct],
          [skR, enc, info, Uint8Array.of(8), ct],
        ];
        for (const args of bad)
          await assert.rejects(p.hpkeOpenBase(...args), { message: 'decryption failed' });
      }
    }),
    { numRuns: 15 },
  );
});

test('rfc9180 §7.1.4: both twins refuse to seal to a small-order X25519 public key (all-zero DH)', async () => {
  const ikmE = new Uint8Array(32).fill(7);
  for (const [, p] of twins) {
    for (const low of [new Uint8Array(32), Uint8Array.of(1, ...new Uint8Array(31))]) {
      await assert.rejects(
        p.hpkeSealBase(low, new Uint8Array(0), new Uint8Array(0), Uint8Array.of(1), ikmE),
        {
          message: 'hpke: DH failed',
        },
      );
    }
  }
});
