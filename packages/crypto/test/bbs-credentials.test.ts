import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import {
  acceptCredential,
  createHolderSecret,
  createIssuanceRequest,
  credentialFromJson,
  credentialToJson,
  generateIssuerKeys,
  initAnonymousCredentials,
  issuanceRequestFromJson,
  issuanceRequestToJson,
  issueCredential,
  presentCredential,
  presentationFromJson,
  presentationRequestFromJson,
  presentationRequestToJson,
  presentationToJson,
  revocationUpdateFromJson,
  revocationUpdateToJson,
  RevocationRegistry,
  updateWitness,
  verifyPresentation,
  verifyWitness,
  type AttributeValue,
  type Credential,
  type IssuerKeys,
  type PresentationRequest,
} from '../src/credentials.js';

const now = Date.UTC(2026, 2, 15);
const year = 365 * 86_400_000;
let issuer: IssuerKeys;

async function newCredential(
  keys: IssuerKeys,
  attributes: Record<string, AttributeValue> = { dept: 'oncology', birthDate: 19_900_101 },
  role = 'researcher',
  expiresAt = now + year,
): Promise<Credential> {
  const holderSecret = await createHolderSecret();
  const issuerNonce = randomBytes(16);
  const request = await createIssuanceRequest(holderSecret, issuerNonce);
  const issued = await issueCredential({
    issuerSecretKey: keys.secretKey,
    request,
    issuerNonce,
    role,
    organization: 'hospital-a',
    expiresAt,
    attributes,
  });
  return acceptCredential(issued, holderSecret, keys.publicKey);
}

const req = (extra: Partial<PresentationRequest> = {}): PresentationRequest => ({
  nonce: randomBytes(16),
  now,
  reveal: ['role'],
  ...extra,
});

before(async () => {
  await initAnonymousCredentials();
  issuer = await generateIssuerKeys();
});

test('bbs: issued credentials over random attributes present and verify, disclosing only what is asked', async () => {
  const attrName = fc
    .stringMatching(/^[a-z][a-z0-9]{0,10}$/)
    .filter((n) => !['role', 'organization'].includes(n));
  const attrValue = fc.oneof(fc.string({ maxLength: 40 }), fc.nat({ max: 1e12 }));
  await fc.assert(
    fc.asyncProperty(
      fc.dictionary(attrName, attrValue, { minKeys: 0, maxKeys: 4 }),
      fc.boolean(),
      async (attrs, revealOrg) => {
        const c = await newCredential(issuer, attrs);
        const reveal = revealOrg ? ['role', 'organization'] : ['role'];
        const names = Object.keys(attrs);
        if (names[0] !== undefined) reveal.push(names[0]);
        const r = req({ reveal });
        // every object crosses the wire as canonical JSON
        const wireReq = presentationRequestFromJson(JSON.parse(JSON.stringify(presentationRequestToJson(r))));
        const p = await presentCredential(c, wireReq);
        const wire = presentationFromJson(JSON.parse(JSON.stringify(presentationToJson(p))));
        const res = await verifyPresentation(issuer.publicKey, r, wire);
        assert.ok(res.ok, JSON.stringify(res));
        const expected: Record<string, AttributeValue> = { role: 'researcher' };
        if (revealOrg) expected.organization = 'hospital-a';
        if (names[0] !== undefined) expected[names[0]] = attrs[names[0]]!;
        assert.deepEqual(res.revealed, expected);
        assert.ok(
          !JSON.stringify(presentationToJson(p)).includes('oncology') ||
            Object.values(expected).includes('oncology'),
        );
      },
    ),
    { numRuns: 3 },
  );
});

test('bbs: tampered proof, changed disclosed attribute, wrong issuer key are rejected', async () => {
  const c = await newCredential(issuer);
  const r = req();
  const p = await presentCredential(c, r);
  assert.ok((await verifyPresentation(issuer.publicKey, r, p)).ok);
  // (Dock's proof encoding ignores a few framing bytes, so the flips hit scalars/points.)
  for (const i of [10, 100, 300]) {
    const proof = p.proof.slice();
    proof[i]! ^= 1;
    assert.equal((await verifyPresentation(issuer.publicKey, r, { ...p, proof })).ok, false, `flip at ${i}`);
  }
  assert.equal(
    (await verifyPresentation(issuer.publicKey, r, { ...p, proof: p.proof.subarray(0, 100) })).ok,
    false,
  );
  const changed = { ...p, revealed: { role: 'admin' } };
  assert.equal(
    (await verifyPresentation(issuer.publicKey, r, changed)).ok,
    false,
    'disclosed attribute changed',
  );
  const extra = { ...p, revealed: { role: 'researcher', organization: 'hospital-a' } };
  assert.equal(
    (await verifyPresentation(issuer.publicKey, r, extra)).ok,
    false,
    'disclosure differs from request',
  );
  const other = await generateIssuerKeys();
  assert.equal((await verifyPresentation(other.publicKey, r, p)).ok, false, 'other issuer');
  const otherNym = { ...p, pseudonym: (await presentCredential(c, req())).pseudonym };
  assert.equal((await verifyPresentation(issuer.publicKey, r, otherNym)).ok, false, 'pseudonym swapped');
});

test('bbs: a presentation replayed under another nonce, time or context does not verify', async () => {
  const c = await newCredential(issuer);
  const r = req({ context: 'verifier:lab-1' });
  const p = await presentCredential(c, r);
  assert.ok((await verifyPresentation(issuer.publicKey, r, p)).ok);
  assert.equal((await verifyPresentation(issuer.publicKey, { ...r, nonce: randomBytes(16) }, p)).ok, false);
  assert.equal((await verifyPresentation(issuer.publicKey, { ...r, now: now + 1 }, p)).ok, false);
  assert.equal(
    (await verifyPresentation(issuer.publicKey, { ...r, context: 'verifier:lab-2' }, p)).ok,
    false,
  );
});

test('bbs: two presentations of one credential share no linking bytes; pseudonyms differ', async () => {
  const c = await newCredential(issuer);
  const [r1, r2] = [req(), req()];
  const p1 = await presentCredential(c, r1);
  const p2 = await presentCredential(c, r2);
  assert.ok((await verifyPresentation(issuer.publicKey, r1, p1)).ok);
  assert.ok((await verifyPresentation(issuer.publicKey, r2, p2)).ok);
  assert.notDeepEqual(p1.pseudonym, p2.pseudonym);
  // Windows of 16 bytes: any group element or scalar that could link them is >= 32 bytes.
  // The only shared windows are the proof's framing (u64 lengths and counts: mostly zeros).
  const W = 16;
  const seen = new Set<string>();
  for (let i = 0; i + W <= p1.proof.length; i++)
    seen.add(Buffer.from(p1.proof.subarray(i, i + W)).toString('hex'));
  for (let i = 0; i + W <= p2.proof.length; i++) {
    const w = p2.proof.subarray(i, i + W);
    if (seen.has(Buffer.from(w).toString('hex'))) {
      assert.ok(w.filter((b) => b === 0).length >= 9, `shared non-framing bytes at ${i}`);
    }
  }
  for (const x of [p1.pseudonym, c.credentialId, c.signature, c.holderSecret]) {
    const hex = Buffer.from(x.subarray(0, 16)).toString('hex');
    assert.ok(!Buffer.from(p2.proof).toString('hex').includes(hex));
  }
  assert.deepEqual(p1.attributeNames, p2.attributeNames, 'only the public schema repeats');
});

test('bbs: pseudonym is stable within a verifier scope, differs across scopes and members', async () => {
  const a = await newCredential(issuer);
  const b = await newCredential(issuer);
  const s = (scope: string): PresentationRequest => req({ scope });
  const [ra1, ra2, ra3, rb1] = [
    s('lab-1/2026-03'),
    s('lab-1/2026-03'),
    s('lab-2/2026-03'),
    s('lab-1/2026-03'),
  ];
  const pa1 = await presentCredential(a, ra1);
  const pa2 = await presentCredential(a, ra2);
  const pa3 = await presentCredential(a, ra3);
  const pb1 = await presentCredential(b, rb1);
  const v = async (r: PresentationRequest, p: typeof pa1): Promise<string> => {
    const res = await verifyPresentation(issuer.publicKey, r, p);
    assert.ok(res.ok);
    return res.pseudonym;
  };
  const [n1, n2, n3, nb] = [await v(ra1, pa1), await v(ra2, pa2), await v(ra3, pa3), await v(rb1, pb1)];
  assert.equal(n1, n2, 'same member, same scope');
  assert.notEqual(n1, n3, 'same member, other scope');
  assert.notEqual(n1, nb, 'other member, same scope');
});

test('bbs: a revoked credential cannot prove membership; others update witnesses and still can', async () => {
  const reg = await RevocationRegistry.create();
  const a = await newCredential(issuer);
  const b = await newCredential(issuer);
  const wa = (await reg.add(a.credentialId)).witness;
  const { witness: wb0, update: addB } = await reg.add(b.credentialId);
  const wa1 = updateWitness(wa, a.credentialId, [addB]);
  const r0 = req({ revocation: reg.status() });
  assert.ok((await verifyPresentation(issuer.publicKey, r0, await presentCredential(a, r0, wa1))).ok);
  const revokeA = await reg.revoke(a.credentialId);
  const update = revocationUpdateFromJson(JSON.parse(JSON.stringify(revocationUpdateToJson(revokeA))));
  const r1 = req({ revocation: reg.status() });
  assert.equal(verifyWitness(reg.status(), a.credentialId, wa1), false);
  assert.throws(() => updateWitness(wa1, a.credentialId, [update]), /revoked/);
  const stale = await presentCredential(a, r1, wa1).catch(() => undefined);
  if (stale)
    assert.equal((await verifyPresentation(issuer.publicKey, r1, stale)).ok, false, 'revoked proves nothing');
  const wb1 = updateWitness(wb0, b.credentialId, [update]);
  assert.ok(verifyWitness(reg.status(), b.credentialId, wb1));
  assert.ok((await verifyPresentation(issuer.publicKey, r1, await presentCredential(b, r1, wb1))).ok);
  await assert.rejects(presentCredential(b, r1), /witness is required/);
  const restored = await RevocationRegistry.fromJson(JSON.parse(JSON.stringify(reg.toJson())));
  assert.deepEqual(restored.publicKey, reg.publicKey);
  assert.equal(restored.has(b.credentialId), true);
  assert.equal(restored.has(a.credentialId), false);
});

test('bbs: expired credential cannot authenticate; expiry is not disclosed', async () => {
  const c = await newCredential(issuer, {}, 'nurse', now + 1000);
  const ok = req();
  const p = await presentCredential(c, ok);
  assert.ok((await verifyPresentation(issuer.publicKey, ok, p)).ok);
  assert.ok(!JSON.stringify(presentationToJson(p)).includes(String(now + 1000)));
  await assert.rejects(presentCredential(c, req({ now: now + 1001 })), /expiresAt does not hold/);
  assert.equal((await verifyPresentation(issuer.publicKey, { ...ok, now: now + 1001 }, p)).ok, false);
});

test('bbs: issuance needs a proof of the holder secret bound to the issuer nonce; a stolen signature is useless', async () => {
  const hs = await createHolderSecret();
  const nonce = randomBytes(16);
  const request = issuanceRequestFromJson(issuanceRequestToJson(await createIssuanceRequest(hs, nonce)));
  const base = {
    issuerSecretKey: issuer.secretKey,
    role: 'doctor',
    organization: 'h',
    expiresAt: now + year,
  };
  await assert.rejects(
    issueCredential({ ...base, request, issuerNonce: randomBytes(16) }),
    /does not verify/,
  );
  const bad = {
    ...request,
    commitment: (await createIssuanceRequest(await createHolderSecret(), nonce)).commitment,
  };
  await assert.rejects(issueCredential({ ...base, request: bad, issuerNonce: nonce }), /does not verify/);
  const issued = await issueCredential({ ...base, request, issuerNonce: nonce });
  const thief = await createHolderSecret();
  await assert.rejects(acceptCredential(issued, thief, issuer.publicKey), /does not verify/);
  const stolen: Credential = { ...issued, holderSecret: thief };
  const r = req();
  const p = await presentCredential(stolen, r).catch(() => undefined);
  if (p) assert.equal((await verifyPresentation(issuer.publicKey, r, p)).ok, false);
  const c = await acceptCredential(issued, hs, issuer.publicKey);
  const back = credentialFromJson(JSON.parse(JSON.stringify(credentialToJson(c))));
  assert.deepEqual(back.holderSecret, hs);
});

test('bbs: malformed wire objects are rejected with TypeError', () => {
  assert.throws(
    () => presentationFromJson({ attributeNames: [], revealed: {}, pseudonym: 'AA', proof: '' }),
    TypeError,
  );
  assert.throws(
    () => presentationFromJson({ attributeNames: [1], revealed: {}, pseudonym: '', proof: '' }),
    TypeError,
  );
  assert.throws(() => presentationFromJson(null), TypeError);
  assert.throws(() => presentationRequestFromJson({ nonce: '!!', now: 1 }), TypeError);
  assert.throws(() => presentationRequestFromJson({ nonce: 'AAAAAAAAAAAAAAAAAAAAAA', now: -1 }), RangeError);
  assert.throws(() => credentialFromJson({ credentialId: 'AA' }), TypeError);
  assert.throws(() => issuanceRequestFromJson({ commitment: 'AA', proof: '' }), TypeError);
  assert.throws(() => revocationUpdateFromJson({ op: 'x' }), TypeError);
});
