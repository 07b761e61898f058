import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { utf8 } from '../src/bytes.js';
import { initPairing } from '../src/pairing.js';
import {
  PeksIndex,
  PeksPublicKey,
  PeksSecretKey,
  PeksTrapdoor,
  createPeksKeyPair,
  peksIndex,
  peksTest,
  peksTrapdoor,
} from '../src/peks.js';

before(() => initPairing());

const icd = fc.stringMatching(/^[A-Z][0-9]{2}(\.[0-9]{1,2})?$/);

test('bdop04: a trapdoor matches the indexes of its keyword, and nothing else', () => {
  const { secretKey, publicKey } = createPeksKeyPair();
  fc.assert(
    fc.property(icd, icd, (w, other) => {
      fc.pre(w !== other);
      const td = peksTrapdoor(secretKey, w);
      assert.ok(peksTest(peksIndex(publicKey, w), td));
      assert.equal(peksTest(peksIndex(publicKey, other), td), false);
    }),
    { numRuns: 8 },
  );
});

test('bdop04: a doctor with one trapdoor finds exactly the records carrying that code', () => {
  const { secretKey, publicKey } = createPeksKeyPair();
  const records = [['C50.9', 'E11.9'], ['I10'], ['E11.9', 'I10'], ['C50.9']];
  const indexes = records.map((codes) => codes.map((c) => peksIndex(publicKey, c)));
  const td = peksTrapdoor(secretKey, 'E11.9');
  const hits = indexes.flatMap((ix, i) => (ix.some((x) => peksTest(x, td)) ? [i] : []));
  assert.deepEqual(hits, [0, 2]);
});

test('bdop04: a trapdoor of another key pair matches nothing; indexes are randomized', () => {
  const alice = createPeksKeyPair();
  const bob = createPeksKeyPair();
  const ix = peksIndex(alice.publicKey, 'C50.9');
  assert.equal(peksTest(ix, peksTrapdoor(bob.secretKey, 'C50.9')), false);
  assert.notDeepEqual(ix.toBytes(), peksIndex(alice.publicKey, 'C50.9').toBytes());
  const tampered = new PeksIndex(
    ix.a,
    ix.b.map((v, i) => (i === 0 ? v ^ 1 : v)),
  );
  assert.equal(peksTest(tampered, peksTrapdoor(alice.secretKey, 'C50.9')), false);
});

test('bdop04: objects round-trip through bytes; malformed bytes throw TypeError', () => {
  const { secretKey, publicKey } = createPeksKeyPair();
  const ix = PeksIndex.fromBytes(peksIndex(publicKey, 'I10').toBytes());
  const td = PeksTrapdoor.fromBytes(
    peksTrapdoor(PeksSecretKey.fromBytes(secretKey.toBytes()), 'I10').toBytes(),
  );
  assert.ok(peksTest(ix, td));
  assert.deepEqual(PeksPublicKey.fromBytes(publicKey.toBytes()).toBytes(), publicKey.toBytes());
  assert.throws(() => PeksIndex.fromBytes(td.toBytes()), TypeError);
  assert.throws(() => PeksTrapdoor.fromBytes(ix.toBytes()), TypeError);
  assert.throws(() => PeksIndex.fromBytes(ix.toBytes().subarray(0, 50)), TypeError);
  assert.throws(() => PeksPublicKey.fromBytes(utf8('ml-peks-pk/1')), TypeError);
  assert.throws(() => peksTrapdoor(secretKey, ''), RangeError);
});
