/**
 * Pseudonyms through a real node over HTTP (issue 3 §8): per-episode subjects, records indexed
 * by them, linkable with the episode key and only with it; researchers served records with no
 * linkable identifier unless the patient granted linkage (then a study linkage pseudonym).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  deriveStudyKey,
  generateEpisodeKey,
  generateLinkageSecret,
  linkagePseudonym,
} from '@medledger/crypto';
import { episodeSubject, isEpisodeSubject } from '@medledger/client';
import { LINKAGE_SYSTEM } from '../src/records/deidentify.js';
import { makeRecordsWorld, observation, type RecordsWorld } from './helpers/records.js';

let w: RecordsWorld;
const k1 = generateEpisodeKey();
const k2 = generateEpisodeKey();
let s1: string;
let s2: string;

before(async () => {
  w = await makeRecordsWorld();
  s1 = episodeSubject(k1, w.id.bob);
  s2 = episodeSubject(k2, w.id.bob);
  await w.c.alice.writeSpv({ recordId: 'ep1-lab-a', patient: w.id.bob, resource: observation(s1, 5.1) });
  await w.c.alice.writeSpv({ recordId: 'ep1-lab-b', patient: w.id.bob, resource: observation(s1, 5.9) });
  await w.c.alice.writeSpv({ recordId: 'ep2-lab-a', patient: w.id.bob, resource: observation(s2, 6.3) });
});
after(async () => {
  await w.cleanup();
});

/** Every string in a JSON value. */
function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  if (typeof v === 'object' && v !== null) return Object.values(v).flatMap(strings);
  return [];
}

test('pseudonyms: an episode key links exactly that episode’s records; another key links none of them', async () => {
  assert.notEqual(s1, s2);
  assert.equal(isEpisodeSubject(k1, w.id.bob, s2), false);
  const withK1 = await w.c.baker.recordsBySubject(episodeSubject(k1, w.id.bob));
  assert.deepEqual(
    withK1.map((r) => r.recordId),
    ['ep1-lab-a', 'ep1-lab-b'],
  );
  const withK2 = await w.c.baker.recordsBySubject(episodeSubject(k2, w.id.bob));
  assert.deepEqual(
    withK2.map((r) => r.recordId),
    ['ep2-lab-a'],
  );
  const wrongKey = await w.c.baker.recordsBySubject(episodeSubject(generateEpisodeKey(), w.id.bob));
  assert.deepEqual(wrongKey, []);
  assert.ok(
    withK1.every((r) => !('patient' in r)),
    'the index does not return the patient id',
  );
});

test('pseudonyms: a researcher without linkage gets records of two episodes that share no identifier', async () => {
  await w.c.bob.grantConsent({
    grantId: 'g-study-nolink',
    grantee: { kind: 'member', memberId: w.id.researcher },
    scope: { categories: ['lab'] },
    purposes: ['research'],
    notBefore: 0,
    notAfter: Date.now() + 3_600_000,
  });
  const a = await w.c.researcher.readSpv('ep1-lab-a', 'research');
  const b = await w.c.researcher.readSpv('ep2-lab-a', 'research');
  for (const r of [a, b]) {
    assert.equal(r.deidentified, true);
    assert.equal(r.verified, false, 'no salt is sent with a de-identified record');
    for (const f of ['id', 'identifier', 'subject', 'encounter', 'performer'])
      assert.equal(r.resource[f], undefined, `${f} removed`);
    const text = JSON.stringify(r.resource);
    for (const secret of [w.id.bob, s1, s2, 'Patient/', 'Encounter/', 'ACC-'])
      assert.ok(!text.includes(secret));
  }
  const shared = strings(a.resource).filter((x) => strings(b.resource).includes(x));
  // What both still share is clinical coding (LOINC, units, category), never an identifier.
  for (const x of shared) assert.ok(!x.includes(s1) && !x.includes(s2) && !x.includes(w.id.bob));
  assert.ok(a.removed.includes('Observation.subject') && a.removed.includes('Observation.identifier'));
});

test('pseudonyms: with linkage granted and a study key released, both episodes carry the same linkage id', async () => {
  await w.c.bob.grantConsent({
    grantId: 'g-study-link',
    grantee: { kind: 'member', memberId: w.id.researcher },
    scope: { categories: ['lab'] },
    purposes: ['research'],
    notBefore: 0,
    notAfter: Date.now() + 3_600_000,
    linkage: true,
  });
  const studyKey = deriveStudyKey(generateLinkageSecret(), 'study-gastric-2025');
  await w.c.bob.releaseStudyKey('g-study-link', studyKey);
  const a = await w.c.researcher.readSpv('ep1-lab-a', 'research');
  const b = await w.c.researcher.readSpv('ep2-lab-a', 'research');
  const expected = { identifier: { system: LINKAGE_SYSTEM, value: linkagePseudonym(studyKey, w.id.bob) } };
  assert.deepEqual(a.resource.subject, expected);
  assert.deepEqual(b.resource.subject, expected);
  assert.ok(!JSON.stringify([a.resource, b.resource]).includes(s1));
  // Only the patient releases a study key, and only for a grant with linkage.
  await assert.rejects(w.c.researcher.releaseStudyKey('g-study-link', studyKey));
  await assert.rejects(w.c.bob.releaseStudyKey('g-study-nolink', studyKey), /linkage/);
});
