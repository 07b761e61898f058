import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import {
  deriveStudyKey,
  generateEpisodeKey,
  generateLinkageSecret,
  isPseudonymOf,
  linkagePseudonym,
  linkEpisode,
  pseudonym,
  PSEUDONYM_KEY_BYTES,
} from '../src/pseudonym.js';
import { fromB64u, type RandomSource } from '../src/bytes.js';

const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const patientId = fc.string({ minLength: 1, maxLength: 40 });

function hamming(a: Uint8Array, b: Uint8Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    let x = a[i]! ^ b[i]!;
    while (x) {
      d += x & 1;
      x >>= 1;
    }
  }
  return d;
}

test('pseudonym: is base64url(HMAC-SHA256(episodeKey, "medledger/pseudonym/v1" || patientId))', () => {
  fc.assert(
    fc.property(key32, patientId, (k, id) => {
      const want = createHmac('sha256', k)
        .update('medledger/pseudonym/v1' + id, 'utf8')
        .digest('base64url');
      assert.equal(pseudonym(k, id), want);
      assert.equal(pseudonym(k, id).length, 43);
    }),
  );
});

test('pseudonym: the same patient under two episode keys gives unrelated pseudonyms', () => {
  fc.assert(
    fc.property(key32, key32, patientId, (k1, k2, id) => {
      fc.pre(Buffer.compare(k1, k2) !== 0);
      assert.notEqual(pseudonym(k1, id), pseudonym(k2, id));
      assert.ok(!isPseudonymOf(k2, id, pseudonym(k1, id)));
    }),
  );
  // Statistically they share nothing: about half of the 256 bits differ, and no bit position
  // is biased between the two episodes (as for independent random strings).
  const n = 400;
  let total = 0;
  const agree = new Array<number>(256).fill(0);
  for (let i = 0; i < n; i++) {
    const a = fromB64u(pseudonym(generateEpisodeKey(), 'patient-42'));
    const b = fromB64u(pseudonym(generateEpisodeKey(), 'patient-42'));
    total += hamming(a, b);
    for (let bit = 0; bit < 256; bit++) {
      if (((a[bit >> 3]! >> (bit & 7)) & 1) === ((b[bit >> 3]! >> (bit & 7)) & 1)) agree[bit]!++;
    }
  }
  const mean = total / n;
  assert.ok(mean > 124 && mean < 132, `mean Hamming distance ${mean}`);
  // Each position agrees with probability 1/2: 400 trials, 7 standard deviations is 70.
  for (const a of agree) assert.ok(Math.abs(a - n / 2) < 70, `bit agreement ${a}/${n}`);
});

test('pseudonym: the pseudonym does not contain or reveal the patient id', () => {
  const k = generateEpisodeKey();
  const id = 'patient-0000000042';
  const p = pseudonym(k, id);
  assert.ok(!p.includes(id) && !p.includes('patient'));
  assert.notEqual(p, createHash('sha256').update(id).digest('base64url'));
  // Hashing candidate ids without the key finds nothing.
  const candidates = Array.from({ length: 1000 }, (_, i) => `patient-${String(i).padStart(10, '0')}`);
  for (const c of candidates) {
    assert.notEqual(
      createHash('sha256')
        .update('medledger/pseudonym/v1' + c)
        .digest('base64url'),
      p,
    );
  }
});

test('pseudonym: a doctor with one episode key links exactly that episode; the wrong key links nothing', () => {
  const episodes = [generateEpisodeKey(), generateEpisodeKey(), generateEpisodeKey()];
  const other = generateEpisodeKey();
  // Records of patient-42 in three episodes, interleaved with another patient's in episode 0.
  const subjects: string[] = [];
  const episodeOf: number[] = [];
  for (let r = 0; r < 4; r++) {
    episodes.forEach((k, e) => {
      subjects.push(pseudonym(k, 'patient-42'));
      episodeOf.push(e);
    });
    subjects.push(pseudonym(episodes[0]!, 'patient-7'));
    episodeOf.push(-1);
  }
  episodes.forEach((k, e) => {
    const linked = linkEpisode(k, 'patient-42', subjects);
    assert.deepEqual(
      linked,
      episodeOf.flatMap((x, i) => (x === e ? [i] : [])),
    );
    assert.equal(linked.length, 4);
  });
  assert.deepEqual(linkEpisode(other, 'patient-42', subjects), []);
  assert.deepEqual(linkEpisode(episodes[0]!, 'patient-43', subjects), []);
  assert.ok(!isPseudonymOf(episodes[0]!, 'patient-42', 'not base64url!'));
  assert.ok(!isPseudonymOf(episodes[0]!, 'patient-42', ''));
});

test('pseudonym: keys are 32 random bytes; inputs are checked', () => {
  const a = generateEpisodeKey();
  assert.equal(a.length, PSEUDONYM_KEY_BYTES);
  assert.notDeepEqual(a, generateEpisodeKey());
  const fixed: RandomSource = (n) => new Uint8Array(n).fill(7);
  assert.deepEqual(generateEpisodeKey(fixed), new Uint8Array(32).fill(7));
  assert.throws(() => pseudonym(new Uint8Array(16), 'p'), RangeError);
  assert.throws(() => pseudonym(a, ''), RangeError);
  assert.throws(() => pseudonym('k' as unknown as Uint8Array, 'p'), TypeError);
  assert.throws(() => generateEpisodeKey((n) => new Uint8Array(n - 1)), RangeError);
});

test('linkage: exists only with the study key the patient releases, per study', () => {
  const secret = generateLinkageSecret();
  const studyA = deriveStudyKey(secret, 'study-A');
  const studyB = deriveStudyKey(secret, 'study-B');
  assert.deepEqual(deriveStudyKey(secret, 'study-A'), studyA, 'deterministic per patient and study');
  const lA = linkagePseudonym(studyA, 'patient-42');
  assert.equal(linkagePseudonym(studyA, 'patient-42'), lA, 'every CDO computes the same id in study A');
  assert.notEqual(linkagePseudonym(studyB, 'patient-42'), lA, 'studies are unlinkable');
  // Someone without the patient's secret (another secret, or an episode key) cannot produce it.
  assert.notEqual(linkagePseudonym(deriveStudyKey(generateLinkageSecret(), 'study-A'), 'patient-42'), lA);
  const ep = generateEpisodeKey();
  assert.notEqual(pseudonym(ep, 'patient-42'), lA);
  assert.notEqual(linkagePseudonym(ep, 'patient-42'), lA);
  // Domain separation: the linkage id is not the episode pseudonym under the same key.
  assert.notEqual(pseudonym(studyA, 'patient-42'), lA);
  assert.throws(() => deriveStudyKey(secret, ''), RangeError);
  assert.throws(() => linkagePseudonym(new Uint8Array(31), 'p'), RangeError);
});
