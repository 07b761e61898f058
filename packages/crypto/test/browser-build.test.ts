/**
 * The browser build (`primitives.browser.ts`, `sig.browser.ts`, chosen by the package's
 * `"browser"` field) against the Node build: the same exports, the same bytes for the same
 * inputs (SHA-256, HMAC, AES-256-GCM, AES-CTR, X25519, HKDF, scrypt, hex, base64url), and
 * ECDSA P-256 keys and signatures that each build accepts from the other (FIPS 186-5; low-S
 * only, as `sig.ts`). Both run here in Node, so any divergence shows up as a failing case.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as nodePrims from '../src/primitives.js';
import * as webPrims from '../src/primitives.browser.js';
import * as nodeSig from '../src/sig.js';
import * as webSig from '../src/sig.browser.js';

const bytes = (max = 200) => fc.uint8Array({ maxLength: max });
const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const nonce12 = fc.uint8Array({ minLength: 12, maxLength: 12 });

test('behavior: the browser builds export the same names as the Node builds', () => {
  assert.deepEqual(Object.keys(webPrims).sort(), Object.keys(nodePrims).sort());
  assert.deepEqual(Object.keys(webSig).sort(), Object.keys(nodeSig).sort());
});

test('property: SHA-256, HMAC-SHA-256 and the byte codecs agree between builds', () => {
  fc.assert(
    fc.property(bytes(), bytes(64), fc.string({ unit: 'binary' }), (data, key, text) => {
      assert.deepEqual(webPrims.sha256Raw(data), nodePrims.sha256Raw(data));
      assert.deepEqual(webPrims.sha256Text(text), nodePrims.sha256Text(text));
      assert.equal(webPrims.sha256TextHex(text), nodePrims.sha256TextHex(text));
      assert.deepEqual(webPrims.hmacSha256(key, data, key), nodePrims.hmacSha256(key, data, key));
      assert.equal(webPrims.hexEncode(data), nodePrims.hexEncode(data));
      assert.deepEqual(webPrims.hexDecode(nodePrims.hexEncode(data)), data);
      assert.equal(webPrims.b64uEncode(data), nodePrims.b64uEncode(data));
      assert.deepEqual(webPrims.b64uDecode(nodePrims.b64uEncode(data)), data);
      assert.equal(webPrims.utf8ByteLength(text), nodePrims.utf8ByteLength(text));
    }),
    { numRuns: 200 },
  );
  assert.equal(webPrims.hexDecode('0g'), undefined);
  assert.equal(nodePrims.hexDecode('0g'), undefined);
});

test('property: AES-256-GCM seals the same bytes in both builds, each opens the other’s, and a flipped byte fails in both', () => {
  fc.assert(
    fc.property(key32, nonce12, bytes(), bytes(40), fc.nat(), (key, nonce, pt, aad, flipAt) => {
      const sealed = nodePrims.aes256GcmEncrypt(key, nonce, pt, aad);
      assert.deepEqual(webPrims.aes256GcmEncrypt(key, nonce, pt, aad), sealed);
      assert.deepEqual(webPrims.aes256GcmDecrypt(key, nonce, sealed, aad), pt);
      assert.deepEqual(nodePrims.aes256GcmDecrypt(key, nonce, sealed, aad), pt);
      const bad = sealed.slice();
      const at = flipAt % bad.length;
      bad[at] = bad[at]! ^ 1;
      assert.throws(() => webPrims.aes256GcmDecrypt(key, nonce, bad, aad), /decryption failed/);
      assert.throws(() => nodePrims.aes256GcmDecrypt(key, nonce, bad, aad), /decryption failed/);
    }),
    { numRuns: 100 },
  );
});

test('property: AES-CTR streams, X25519 and HKDF agree between builds', () => {
  fc.assert(
    fc.property(
      key32,
      key32,
      fc.nat({ max: 100 }),
      fc.nat({ max: 100 }),
      bytes(32),
      (a, b, offset, length, info) => {
        const iv = new Uint8Array(16);
        assert.deepEqual(
          webPrims.aes256CtrStream(a, iv, offset, length),
          nodePrims.aes256CtrStream(a, iv, offset, length),
        );
        const pa = nodePrims.x25519PublicKeyRaw(a);
        const pb = webPrims.x25519PublicKeyRaw(b);
        assert.deepEqual(webPrims.x25519PublicKeyRaw(a), pa);
        assert.deepEqual(webPrims.x25519SharedSecretRaw(a, pb), nodePrims.x25519SharedSecretRaw(b, pa));
        assert.deepEqual(webPrims.hkdfSha256(a, b, info, 42), nodePrims.hkdfSha256(a, b, info, 42));
      },
    ),
    { numRuns: 50 },
  );
  // RFC 7748 §6.1: a small-order public key gives an all-zero secret, refused by both.
  const zeroPoint = new Uint8Array(32);
  assert.throws(() => nodePrims.x25519SharedSecretRaw(new Uint8Array(32).fill(7), zeroPoint));
  assert.throws(() => webPrims.x25519SharedSecretRaw(new Uint8Array(32).fill(7), zeroPoint));
});

test('rfc7914: scrypt agrees between builds and matches the RFC 7914 §12 vector', () => {
  const salt = new TextEncoder().encode('NaCl');
  const expected =
    'fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640';
  for (const p of [nodePrims, webPrims]) {
    assert.equal(
      Buffer.from(p.scryptKey('password', salt, { N: 1024, r: 8, p: 16 }, 64)).toString('hex'),
      expected,
    );
  }
});

test('property: P-256 keys and signatures cross between builds: each verifies the other’s low-S signatures, and neither accepts a high-S twin or a wrong key', () => {
  const keys = [nodeSig.generateP256KeyPair(), webSig.generateP256KeyPair()];
  const other = nodeSig.generateP256KeyPair();
  fc.assert(
    fc.property(fc.constantFrom(0, 1), bytes(), (i, msg) => {
      const k = keys[i]!;
      assert.deepEqual(webSig.p256PublicKeyOf(k.privateKey), nodeSig.p256PublicKeyOf(k.privateKey));
      for (const [signer, verifier] of [
        [nodeSig, webSig],
        [webSig, nodeSig],
      ] as const) {
        const sig = signer.signP256(k.privateKey, msg);
        assert.ok(signer.isLowSP256(sig));
        assert.ok(verifier.verifyP256(k.publicKey, msg, sig));
        assert.equal(verifier.verifyP256(k.publicKey, msg, verifier.negateP256S(sig)), false);
        assert.equal(verifier.verifyP256(other.publicKey, msg, sig), false);
      }
    }),
    { numRuns: 40 },
  );
});

test('behavior: the browser build reads the keys Node writes (PKCS#8, SPKI, compressed SPKI) and refuses what is not a P-256 key', () => {
  const k = nodeSig.generateP256KeyPair();
  const compressed = new Uint8Array(
    // Node exports the compressed point through a JWK-free path: rebuild from the x coordinate.
    Buffer.concat([
      Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex'),
      Buffer.from([0x02 | (k.publicKey[k.publicKey.length - 1]! & 1)]),
      Buffer.from(k.publicKey.subarray(k.publicKey.length - 64, k.publicKey.length - 32)),
    ]),
  );
  assert.deepEqual(webSig.canonicalP256PublicKey(compressed), nodeSig.canonicalP256PublicKey(compressed));
  assert.deepEqual(webSig.canonicalP256PublicKey(compressed), k.publicKey);
  assert.throws(() => webSig.importP256PrivateKey(k.publicKey), TypeError);
  assert.throws(() => webSig.importP256PublicKey(k.privateKey), TypeError);
  assert.throws(() => webSig.importP256PublicKey(new Uint8Array(91)), TypeError);
  const notOnCurve = k.publicKey.slice();
  notOnCurve[notOnCurve.length - 1] = notOnCurve[notOnCurve.length - 1]! ^ 1;
  assert.throws(() => webSig.importP256PublicKey(notOnCurve), /not a P-256 key/);
  assert.throws(() => nodeSig.importP256PublicKey(notOnCurve), TypeError);
});

test('behavior: DER signatures (certificates) verify in both builds, in either form of s', () => {
  const k = nodeSig.generateP256KeyPair();
  const msg = new TextEncoder().encode('tbs');
  const der = (raw: Uint8Array): Uint8Array => {
    const int = (b: Uint8Array): number[] => {
      let i = 0;
      while (i < b.length - 1 && b[i] === 0) i++;
      const v = [...b.subarray(i)];
      return v[0]! & 0x80 ? [0, ...v] : v;
    };
    const r = int(raw.subarray(0, 32));
    const s = int(raw.subarray(32));
    const body = [0x02, r.length, ...r, 0x02, s.length, ...s];
    return Uint8Array.from([0x30, body.length, ...body]);
  };
  const raw = nodeSig.signP256(k.privateKey, msg);
  for (const form of [raw, nodeSig.negateP256S(raw)]) {
    assert.ok(webSig.verifyP256Der(k.publicKey, msg, der(form)));
    assert.ok(nodeSig.verifyP256Der(k.publicKey, msg, der(form)));
  }
  assert.equal(webSig.verifyP256Der(k.publicKey, new TextEncoder().encode('tbt'), der(raw)), false);
  assert.equal(nodeSig.verifyP256Der(k.publicKey, msg, raw), false, 'raw r || s is not DER');
  assert.equal(webSig.verifyP256Der(k.publicKey, msg, raw), false, 'raw r || s is not DER');
});
