import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { utf8 } from '../src/bytes.js';
import {
  generateRingKeyPair,
  isRingPublicKey,
  keyImageOf,
  ringPublicKeyOf,
  ringSign,
  ringSignatureFromBytes,
  ringSignatureToBytes,
  ringSignaturesLinked,
  ringVerify,
  type RingKeyPair,
} from '../src/ring.js';

const members = (n: number): RingKeyPair[] => Array.from({ length: n }, () => generateRingKeyPair());

test('bLSAG/SAG: any member signs for a ring it picks; signatures verify after a bytes round trip', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 2, max: 9 }),
      fc.nat(),
      fc.uint8Array({ maxLength: 64 }),
      fc.option(fc.string({ minLength: 1, maxLength: 20 }), { nil: undefined }),
      (n, who, message, scope) => {
        const keys = members(n);
        const ring = keys.map((k) => k.publicKey);
        const signer = keys[who % n]!;
        const sig = ringSign({
          message,
          ring,
          secretKey: signer.secretKey,
          ...(scope !== undefined ? { scope } : {}),
        });
        const back = ringSignatureFromBytes(ringSignatureToBytes(sig));
        assert.ok(ringVerify({ message, ring, signature: back, ...(scope !== undefined ? { scope } : {}) }));
        assert.equal(back.keyImage !== undefined, scope !== undefined);
      },
    ),
    { numRuns: 15 },
  );
});

test('ring: tampered message, response, challenge, ring or scope are rejected', () => {
  const keys = members(5);
  const ring = keys.map((k) => k.publicKey);
  const message = utf8('answer: yes');
  const sig = ringSign({ message, ring, secretKey: keys[2]!.secretKey, scope: 'survey-1' });
  const ok = { message, ring, signature: sig, scope: 'survey-1' };
  assert.ok(ringVerify(ok));
  assert.equal(ringVerify({ ...ok, message: utf8('answer: no') }), false);
  const r = sig.responses.map((x) => x.slice());
  r[3]![0]! ^= 1;
  assert.equal(ringVerify({ ...ok, signature: { ...sig, responses: r } }), false);
  const c = sig.challenge.slice();
  c[5]! ^= 1;
  assert.equal(ringVerify({ ...ok, signature: { ...sig, challenge: c } }), false);
  assert.equal(ringVerify({ ...ok, ring: [...ring].reverse() }), false, 'ring order is signed');
  assert.equal(ringVerify({ ...ok, ring: [...ring.slice(0, 4), generateRingKeyPair().publicKey] }), false);
  assert.equal(ringVerify({ ...ok, scope: 'survey-2' }), false);
  const { scope: _s, ...noScope } = ok;
  assert.equal(ringVerify(noScope), false, 'linkable signature without scope');
  assert.equal(
    ringVerify({ ...ok, signature: { ...sig, keyImage: keyImageOf(keys[1]!.secretKey, 'survey-1') } }),
    false,
  );
  assert.equal(ringVerify({ ...ok, ring: [ring[0]!, ring[0]!, ...ring.slice(2)] }), false, 'duplicate keys');
  assert.equal(ringVerify({ ...ok, signature: { ...sig, responses: sig.responses.slice(1) } }), false);
});

test('ring: a non-member cannot sign for a ring, and a forged signature does not verify', () => {
  const keys = members(4);
  const ring = keys.map((k) => k.publicKey);
  const outsider = generateRingKeyPair();
  const message = utf8('tx');
  assert.throws(() => ringSign({ message, ring, secretKey: outsider.secretKey }), /does not contain/);
  // The outsider signs for a ring holding its own key, then swaps its key for a member's.
  const own = [...ring.slice(0, 3), outsider.publicKey];
  const sig = ringSign({ message, ring: own, secretKey: outsider.secretKey });
  assert.ok(ringVerify({ message, ring: own, signature: sig }));
  assert.equal(ringVerify({ message, ring, signature: sig }), false);
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32 * 5, maxLength: 32 * 5 }), (junk) => {
      const random = {
        challenge: junk.slice(0, 32),
        responses: [1, 2, 3, 4].map((i) => junk.slice(32 * i, 32 * i + 32)),
      };
      assert.equal(ringVerify({ message, ring, signature: random }), false);
    }),
    { numRuns: 20 },
  );
});

test('bLSAG: same key and scope link; different scopes or keys do not', () => {
  const keys = members(6);
  const ring = keys.map((k) => k.publicKey);
  const other = [...ring.slice(1), generateRingKeyPair().publicKey].map((k, i) => (i === 0 ? ring[0]! : k));
  const a1 = ringSign({ message: utf8('answer 1'), ring, secretKey: keys[0]!.secretKey, scope: 'survey-7' });
  const a2 = ringSign({
    message: utf8('answer 2'),
    ring: other,
    secretKey: keys[0]!.secretKey,
    scope: 'survey-7',
  });
  const a3 = ringSign({ message: utf8('answer 1'), ring, secretKey: keys[0]!.secretKey, scope: 'survey-8' });
  const b1 = ringSign({ message: utf8('answer 1'), ring, secretKey: keys[1]!.secretKey, scope: 'survey-7' });
  assert.ok(ringVerify({ message: utf8('answer 2'), ring: other, signature: a2, scope: 'survey-7' }));
  assert.ok(ringSignaturesLinked(a1, a2), 'double answer in one survey is detected, even over another ring');
  assert.equal(ringSignaturesLinked(a1, a3), false, 'other scope');
  assert.equal(ringSignaturesLinked(a1, b1), false, 'other member');
  assert.deepEqual(a1.keyImage, keyImageOf(keys[0]!.secretKey, 'survey-7'));
  const plain = ringSign({ message: utf8('x'), ring, secretKey: keys[0]!.secretKey });
  assert.equal(ringSignaturesLinked(plain, plain), false, 'plain signatures carry no key image');
});

test('ring: signatures by different members have the same shape (no index in the encoding)', () => {
  const keys = members(4);
  const ring = keys.map((k) => k.publicKey);
  const encs = keys.map((k) =>
    ringSignatureToBytes(ringSign({ message: utf8('m'), ring, secretKey: k.secretKey })),
  );
  assert.ok(encs.every((e) => e.length === encs[0]!.length));
  assert.ok(encs.every((e) => e[1] === 0));
  for (let i = 0; i < encs.length; i++)
    for (let j = i + 1; j < encs.length; j++) assert.notDeepEqual(encs[i], encs[j]);
});

test('ring: keys and encodings are validated; malformed bytes throw TypeError', () => {
  const k = generateRingKeyPair();
  assert.deepEqual(ringPublicKeyOf(k.secretKey), k.publicKey);
  assert.ok(isRingPublicKey(k.publicKey));
  assert.equal(isRingPublicKey(new Uint8Array(32)), false, 'identity');
  assert.equal(isRingPublicKey(new Uint8Array(32).fill(0xff)), false);
  assert.throws(() => ringPublicKeyOf(new Uint8Array(32)), RangeError);
  assert.throws(() => ringPublicKeyOf(new Uint8Array(32).fill(0xff)), RangeError, 'non-canonical scalar');
  const keys = [k, generateRingKeyPair()];
  const enc = ringSignatureToBytes(
    ringSign({ message: utf8('m'), ring: keys.map((x) => x.publicKey), secretKey: k.secretKey, scope: 's' }),
  );
  assert.throws(() => ringSignatureFromBytes(enc.subarray(0, enc.length - 1)), TypeError);
  assert.throws(() => ringSignatureFromBytes(Uint8Array.of(2, ...enc.subarray(1))), TypeError);
  const big = enc.slice();
  big.fill(0xff, 4, 36);
  assert.throws(() => ringSignatureFromBytes(big), /non-canonical scalar/);
  const badImage = enc.slice();
  badImage.fill(0xff, enc.length - 32);
  assert.throws(() => ringSignatureFromBytes(badImage), /key image/);
});
