import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { utf8 } from '../src/bytes.js';
import {
  EncryptedAmount,
  HE_MAX_AMOUNT,
  HE_MAX_TERMS,
  HE_VECTOR_MAX_TERMS,
  HE_VECTOR_MAX_VALUE,
  HePublicKey,
  HeSecretKey,
  createHeKeyPair,
  heDecrypt,
  heEncrypt,
  heSum,
} from '../src/he.js';
import { EncryptedVector, heDecryptVector, heEncryptVector, heSumVectors } from '../src/he-vector.js';
import { BFV_MAX_TERMS, createBfv, type Bfv } from '../src/he-bfv.js';

let patient: Awaited<ReturnType<typeof createHeKeyPair>>;
let other: Awaited<ReturnType<typeof createHeKeyPair>>;
let bfv: Bfv;
before(async () => {
  [patient, other, bfv] = await Promise.all([createHeKeyPair(), createHeKeyPair(), createBfv()]);
});
after(() => bfv.dispose());

const cents = fc.bigInt({ min: 0n, max: HE_MAX_AMOUNT });

test('paillier: the insurer totals encrypted expenses across hospitals (random amounts)', () => {
  fc.assert(
    fc.property(fc.array(cents, { minLength: 1, maxLength: 4 }), (items) => {
      const cts = items.map((c) => heEncrypt(patient.publicKey, c)); // one per hospital
      const total = heSum(patient.publicKey, cts);
      assert.equal(total.count, items.length);
      assert.equal(
        heDecrypt(patient.secretKey, total),
        items.reduce((a, b) => a + b, 0n),
      );
    }),
    { numRuns: 5 },
  );
  const worst = heSum(patient.publicKey, [
    heEncrypt(patient.publicKey, HE_MAX_AMOUNT),
    heEncrypt(patient.publicKey, HE_MAX_AMOUNT),
  ]);
  assert.equal(heDecrypt(patient.secretKey, worst), 2n * HE_MAX_AMOUNT, 'sums beyond 2^53 stay exact');
});

test('paillier: ciphertexts hide equal amounts; the wrong key does not decrypt', () => {
  const a = heEncrypt(patient.publicKey, 12_550);
  const b = heEncrypt(patient.publicKey, 12_550);
  assert.notEqual(a.c, b.c);
  assert.throws(() => heDecrypt(other.secretKey, a), RangeError);
});

test('paillier: overflow bounds are enforced at encryption, addition and decryption', () => {
  const pk = patient.publicKey;
  assert.throws(() => heEncrypt(pk, -1n), RangeError);
  assert.throws(() => heEncrypt(pk, HE_MAX_AMOUNT + 1n), RangeError);
  assert.throws(() => heEncrypt(pk, 1.5), TypeError);
  const one = heEncrypt(pk, 1n);
  const many = new EncryptedAmount(one.c, HE_MAX_TERMS);
  assert.throws(() => heSum(pk, [many, one]), /too many terms/);
  // A forged "amount" of n - 1 (i.e. -1) is caught by the decryption bound.
  const forged = new EncryptedAmount(pk.key.encrypt(pk.n - 1n), 1);
  assert.throws(() => heDecrypt(patient.secretKey, forged), /exceeds the bound/);
  assert.throws(() => heSum(pk, [new EncryptedAmount(pk.n2, 1)]), /out of range/);
});

test('paillier: packed vector sums for federated learning (random vectors)', () => {
  const pk = patient.publicKey;
  assert.equal(pk.slots, 31);
  fc.assert(
    fc.property(
      fc
        .integer({ min: 1, max: 70 })
        .chain((len) =>
          fc.array(
            fc.array(fc.bigInt({ min: 0n, max: HE_VECTOR_MAX_VALUE }), { minLength: len, maxLength: len }),
            { minLength: 1, maxLength: 3 },
          ),
        ),
      (vectors) => {
        const sum = heSumVectors(
          pk,
          vectors.map((v) => heEncryptVector(pk, v)),
        );
        const expected = vectors[0]!.map((_, i) => vectors.reduce((a, v) => a + v[i]!, 0n));
        assert.deepEqual(
          heDecryptVector(patient.secretKey, EncryptedVector.fromBytes(sum.toBytes())),
          expected,
        );
      },
    ),
    { numRuns: 4 },
  );
  assert.throws(() => heEncryptVector(pk, [HE_VECTOR_MAX_VALUE + 1n]), RangeError);
  const v = heEncryptVector(pk, [1n, 2n]);
  assert.throws(
    () => heSumVectors(pk, [new EncryptedVector(2, HE_VECTOR_MAX_TERMS, v.blocks), v]),
    /overflow/,
  );
  assert.throws(() => heSumVectors(pk, [v, heEncryptVector(pk, [1n])]), /lengths differ/);
});

test('paillier: keys and ciphertexts round-trip; malformed bytes throw TypeError', () => {
  const pk = HePublicKey.fromBytes(patient.publicKey.toBytes());
  const sk = HeSecretKey.fromBytes(patient.secretKey.toBytes());
  const ct = EncryptedAmount.fromBytes(heEncrypt(pk, 4200).toBytes());
  assert.equal(heDecrypt(sk, ct), 4200n);
  assert.throws(() => HePublicKey.fromBytes(utf8('junk')), TypeError);
  assert.throws(() => EncryptedAmount.fromBytes(pk.toBytes()), TypeError);
  assert.throws(() => EncryptedAmount.fromBytes(ct.toBytes().subarray(0, 20)), TypeError);
  assert.throws(() => EncryptedVector.fromBytes(ct.toBytes()), TypeError);
});

test('bfv: vector sums agree with plaintext sums; the term bound is enforced', () => {
  const a = [5n, 0n, 2n ** 32n - 1n];
  const b = [7n, 1n, 2n ** 32n - 1n];
  const ca = bfv.encryptVector(a);
  const cb = bfv.encryptVector(b);
  const s = bfv.add(ca, cb);
  try {
    assert.deepEqual(bfv.decryptVector(s), [12n, 1n, 2n * (2n ** 32n - 1n)]);
    assert.throws(() => bfv.add({ ...ca, count: BFV_MAX_TERMS }, cb), /overflow/);
    assert.throws(() => bfv.encryptVector([2n ** 32n]), RangeError);
  } finally {
    for (const c of [ca, cb, s]) c.ct.delete();
  }
});
