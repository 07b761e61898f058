import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import {
  acceptCredential,
  createHolderSecret,
  createIssuanceRequest,
  generateIssuerKeys,
  initAnonymousCredentials,
  issueCredential,
  presentCredential,
  presentationToJson,
  verifyPresentation,
  type Credential,
  type IssuerKeys,
  type PresentationRequest,
} from '../src/credentials.js';
import { ageAtLeast, dateToNumber, resolvePredicate, timeToDateNumber, validOn } from '../src/zk.js';

let issuer: IssuerKeys;
const blockTime = Date.UTC(2026, 2, 15, 9, 30);

async function patient(birthDate: string, insuranceValidUntil: string): Promise<Credential> {
  const hs = await createHolderSecret();
  const nonce = randomBytes(16);
  const issued = await issueCredential({
    issuerSecretKey: issuer.secretKey,
    request: await createIssuanceRequest(hs, nonce),
    issuerNonce: nonce,
    role: 'patient',
    organization: 'insurer-x',
    expiresAt: blockTime + 86_400_000,
    attributes: {
      birthDate: dateToNumber(birthDate),
      insuranceValidUntil: dateToNumber(insuranceValidUntil),
      plan: 'gold',
    },
  });
  return acceptCredential(issued, hs, issuer.publicKey);
}

before(async () => {
  await initAnonymousCredentials();
  issuer = await generateIssuerKeys();
});

test('zk: dates encode as order-preserving YYYYMMDD; block time maps to its UTC date', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), (ms) => {
      const d = new Date(ms);
      const want = d.getUTCFullYear() * 10_000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
      assert.equal(timeToDateNumber(ms), want);
      assert.equal(dateToNumber(d.toISOString().slice(0, 10)), want);
    }),
    { numRuns: 500 },
  );
  for (const bad of ['2026-02-29', '2026-13-01', '2026-1-01', '20260101', '2026-04-31']) {
    assert.throws(() => dateToNumber(bad), TypeError, bad);
  }
  assert.equal(dateToNumber('2024-02-29'), 20_240_229);
  assert.deepEqual(ageAtLeast(18, '2026-03-15'), { attribute: 'birthDate', max: 20_080_315 });
  assert.throws(() => resolvePredicate({ attribute: 'x', min: 5, max: 4 }), RangeError);
  assert.throws(() => resolvePredicate({ attribute: 'x', min: -1 }), RangeError);
});

test('zk: age >= 18 on the block date is proven from a hidden birth date (boundary day included)', async () => {
  const today = timeToDateNumber(blockTime);
  const adult = await patient('2008-03-15', '2027-01-01');
  const r: PresentationRequest = {
    nonce: randomBytes(16),
    now: blockTime,
    predicates: [ageAtLeast(18, today)],
  };
  const p = await presentCredential(adult, r);
  const res = await verifyPresentation(issuer.publicKey, r, p);
  assert.ok(res.ok);
  assert.deepEqual(res.revealed, {});
  assert.ok(
    !JSON.stringify(presentationToJson(p)).includes('20080315'),
    'birth date not in the presentation',
  );
});

test('zk: a minor cannot prove age >= 18; a proof for a weaker predicate fails the stronger request', async () => {
  const minor = await patient('2008-03-16', '2027-01-01');
  const r18: PresentationRequest = {
    nonce: randomBytes(16),
    now: blockTime,
    predicates: [ageAtLeast(18, '2026-03-15')],
  };
  await assert.rejects(presentCredential(minor, r18), /predicate on birthDate does not hold/);
  const r17: PresentationRequest = { ...r18, predicates: [ageAtLeast(17, '2026-03-15')] };
  const p17 = await presentCredential(minor, r17);
  assert.ok((await verifyPresentation(issuer.publicKey, r17, p17)).ok);
  assert.equal((await verifyPresentation(issuer.publicKey, r18, p17)).ok, false, 'verifier rejects');
});

test('zk: insurance valid on the block date, with role disclosed and two predicates at once', async () => {
  const c = await patient('1970-06-01', '2026-03-15');
  const day = timeToDateNumber(blockTime);
  const r: PresentationRequest = {
    nonce: randomBytes(16),
    now: blockTime,
    reveal: ['role'],
    predicates: [validOn('insuranceValidUntil', day), ageAtLeast(18, day)],
  };
  const res = await verifyPresentation(issuer.publicKey, r, await presentCredential(c, r));
  assert.ok(res.ok);
  assert.deepEqual(res.revealed, { role: 'patient' });
  const tomorrow: PresentationRequest = { ...r, predicates: [validOn('insuranceValidUntil', day + 1)] };
  await assert.rejects(presentCredential(c, tomorrow), /insuranceValidUntil does not hold/);
});

test('zk: predicates over strings, unknown or disclosed attributes are refused', async () => {
  const c = await patient('1990-01-01', '2030-01-01');
  const base = { nonce: randomBytes(16), now: blockTime };
  await assert.rejects(
    presentCredential(c, { ...base, predicates: [{ attribute: 'plan', min: 1 }] }),
    /plan does not hold/,
  );
  await assert.rejects(
    presentCredential(c, { ...base, predicates: [{ attribute: 'nope', min: 1 }] }),
    /no numeric attribute/,
  );
  await assert.rejects(
    presentCredential(c, { ...base, reveal: ['birthDate'], predicates: [ageAtLeast(18, '2026-01-01')] }),
    /predicate over revealed/,
  );
  await assert.rejects(presentCredential(c, { ...base, reveal: ['holderSecret'] }), /cannot reveal/);
});
