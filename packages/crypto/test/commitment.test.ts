import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { commit, COMMITMENT_BYTES, RECORD_COMMITMENT_TAG, verifyCommitment } from '../src/commitment.js';
import { concatBytes, equalBytes, utf8, type RandomSource } from '../src/bytes.js';
import { HashTag, hashTagged, sha256 } from '../src/hash.js';

const record = utf8('{"resourceType":"Observation","code":"HIV-1 Ab","value":"positive"}');

test('commitment: is SHA-256(len || "medledger/record-commitment/v1" || salt || record)', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 200 }),
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      (r, s) => {
        const { commitment, salt } = commit(r, () => s);
        const tag = utf8(RECORD_COMMITMENT_TAG);
        const want = createHash('sha256')
          .update(concatBytes(Uint8Array.of(tag.length), tag, s, r))
          .digest();
        assert.deepEqual(salt, s);
        assert.deepEqual(commitment, new Uint8Array(want));
      },
    ),
  );
});

test('commitment: opens with its record and salt; any other record, salt or commitment fails', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), (r, bit) => {
      const { commitment, salt } = commit(r);
      assert.equal(commitment.length, COMMITMENT_BYTES);
      assert.ok(verifyCommitment(commitment, r, salt));
      const flip = (b: Uint8Array) => {
        const c = b.slice();
        const i = bit % (c.length * 8);
        c[i >> 3] = c[i >> 3]! ^ (1 << (i & 7));
        return c;
      };
      if (r.length > 0) assert.ok(!verifyCommitment(commitment, flip(r), salt));
      assert.ok(!verifyCommitment(commitment, concatBytes(r, Uint8Array.of(0)), salt));
      assert.ok(!verifyCommitment(flip(commitment), r, salt));
      assert.ok(!verifyCommitment(commitment, r, flip(salt)));
    }),
    { numRuns: 200 },
  );
});

test('commitment: two commitments of the same record differ (unlinkable)', () => {
  const a = commit(record);
  const b = commit(record);
  assert.ok(!equalBytes(a.commitment, b.commitment));
  assert.ok(!equalBytes(a.salt, b.salt));
  assert.ok(verifyCommitment(a.commitment, record, a.salt));
  assert.ok(!verifyCommitment(a.commitment, record, b.salt));
});

test('commitment: without the salt a guessable record cannot be confirmed by hashing candidates', () => {
  const { commitment, salt } = commit(record);
  const candidates = ['positive', 'negative', 'indeterminate'].map((v) =>
    utf8(`{"resourceType":"Observation","code":"HIV-1 Ab","value":"${v}"}`),
  );
  const zero = new Uint8Array(32);
  for (const c of candidates) {
    const unsalted = [
      sha256(c),
      hashTagged(HashTag.record, c),
      hashTagged(RECORD_COMMITMENT_TAG, c),
      hashTagged(RECORD_COMMITMENT_TAG, zero, c),
      new Uint8Array(createHmac('sha256', new Uint8Array(0)).update(c).digest()),
      new Uint8Array(createHash('sha256').update(concatBytes(c, zero)).digest()),
    ];
    for (const h of unsalted) assert.ok(!equalBytes(h, commitment));
    // Nor does verification with a guessed (empty or zero) salt succeed.
    assert.ok(!verifyCommitment(commitment, c, zero));
  }
  // Positive control: with the salt, the dictionary attack does find the record.
  const found = candidates.filter((c) => verifyCommitment(commitment, c, salt));
  assert.deepEqual(found, [record]);
});

test('commitment: wrong lengths verify false; wrong types and short random output throw', () => {
  const { commitment, salt } = commit(record);
  assert.equal(verifyCommitment(commitment.subarray(1), record, salt), false);
  assert.equal(verifyCommitment(commitment, record, salt.subarray(1)), false);
  assert.throws(() => verifyCommitment('x' as unknown as Uint8Array, record, salt), TypeError);
  assert.throws(() => commit('x' as unknown as Uint8Array), TypeError);
  const short: RandomSource = (n) => new Uint8Array(n - 1);
  assert.throws(() => commit(record, short), RangeError);
});
