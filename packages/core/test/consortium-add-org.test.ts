/** `consortium.add-org`: k of n founders add an organization that proves it holds its root key. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  generateP256KeyPair,
  issueMemberCertificate,
  parseCertificate,
  signP256,
  toB64u,
} from '@medledger/crypto';
import {
  activeNode,
  consortiumNodes,
  createTxBody,
  currentOrgs,
  isActiveNodeKey,
  orgCardProofMessage,
  parseTx,
  signOrgCard,
  signTxBody,
  type SignedTx,
} from '../src/index.js';
import { MemChain, T0, makeFixture, makeTx, type Fixture } from './fixtures.js';
import { addPayload, govTx, newOrg, rootKeys } from './consortium-fixtures.js';

const ADD = 'consortium.add-org';
const outcome = (c: MemChain, txs: SignedTx[], time: number): { code: string; message?: string }[] =>
  c
    .apply(c.makeBlock(txs, time))
    .outcomes.map((o) => ({ code: o.code, ...(o.message ? { message: o.message } : {}) }));

/** Three founders a, b, c; two of them sign a change. */
const threeFounders = (): Promise<Fixture> => makeFixture(['a', 'b', 'c']);

test('behavior: two of three founders add an organization; its node counts and its root key enrolls members', async () => {
  const f = await threeFounders();
  const c = new MemChain(f);
  const d = await newOrg(f, 'd');
  const tx = govTx(f, rootKeys(f), ADD, addPayload(d), ['a', 'b'], T0);
  // What a node admits: the wire format accepts the type and both signatures.
  assert.deepEqual(parseTx(JSON.parse(JSON.stringify(tx))), tx);
  const r = c.apply(c.makeBlock([tx], T0 + 1));
  assert.equal(r.outcomes[0]!.code, 'OK', r.outcomes[0]!.message);
  assert.deepEqual(r.outcomes[0]!.events, [
    { type: 'consortium.org-added', org: 'd', role: 'cdo', node: true },
  ]);
  const entry = c.state.get('org:d') as Record<string, unknown>;
  assert.equal(entry.addedAt, 1);
  assert.equal(entry.nodeKey, d.card.nodeKey);
  assert.equal(entry.removedAt, undefined);
  assert.deepEqual(c.state.get('chain:orgs'), ['a', 'b', 'c', 'd']);
  assert.deepEqual(
    consortiumNodes(c.reader).map((o) => o.id),
    ['a', 'b', 'c', 'd'],
  );
  assert.ok(activeNode(c.reader, 'd'));
  assert.equal(isActiveNodeKey(c.reader, 'd', d.card.nodeKey!), true);
  // The new organization is not a founder: governance is unchanged.
  assert.deepEqual(c.state.get('chain:governance'), { founders: ['a', 'b', 'c'], threshold: 2 });
  // Its root key now enrolls its members.
  const cert = await issueMemberCertificate({
    issuerCertificate: Buffer.from(d.card.rootCertificate, 'base64url'),
    issuerPrivateKey: d.root.privateKey,
    subjectPublicKey: generateP256KeyPair().publicKey,
    commonName: 'dr-d',
    org: 'd',
    role: 'doctor',
    notBefore: T0 - 1000,
    notAfter: T0 + 86_400_000,
  });
  const byD = makeTx(
    f.chainId,
    'registry.enroll',
    { certificate: toB64u(cert) },
    [['org:d', d.root.privateKey]],
    T0 + 2,
  );
  assert.deepEqual(c.commit([byD], T0 + 3), ['OK']);
});

test('behavior: an organization without a node key joins as a member organization, not as a node', async () => {
  const f = await threeFounders();
  const c = new MemChain(f);
  const d = await newOrg(f, 'd', { node: false, role: 'insurer' });
  assert.deepEqual(c.commit([govTx(f, rootKeys(f), ADD, addPayload(d), ['b', 'c'], T0)], T0 + 1), ['OK']);
  assert.deepEqual(
    currentOrgs(c.reader).map((o) => o.id),
    ['a', 'b', 'c', 'd'],
  );
  assert.equal(activeNode(c.reader, 'd'), undefined);
  assert.equal(consortiumNodes(c.reader).length, 3);
});

test('security: a forged proof of possession is refused (BAD_PROOF) and adds nothing', async () => {
  const f = await threeFounders();
  const c = new MemChain(f);
  const d = await newOrg(f, 'd');
  const other = await makeFixture(['a', 'b', 'c']);
  const thief = generateP256KeyPair();
  const forged: [string, string][] = [
    // someone who does not hold d's root key signs the card
    ['signed by another key', signOrgCard(f.chainId, d.card, thief.privateKey)],
    // d's own proof made for another consortium
    ['made for another chain', signOrgCard(other.chainId, d.card, d.root.privateKey)],
    // d's proof of a card that differs from the one proposed (another node key)
    [
      'of another card',
      signOrgCard(f.chainId, { ...d.card, nodeKey: toB64u(thief.publicKey) }, d.root.privateKey),
    ],
    // the right key over the bare card, not the tagged hash of chain id and card
    ['over other bytes', toB64u(signP256(d.root.privateKey, Buffer.from(JSON.stringify(d.card))))],
  ];
  // The genuine message differs from every forged one.
  assert.notDeepEqual(orgCardProofMessage(f.chainId, d.card), orgCardProofMessage(other.chainId, d.card));
  for (const [what, proof] of forged) {
    const [o] = outcome(c, [govTx(f, rootKeys(f), ADD, { ...addPayload(d), proof }, ['a', 'b'], T0)], T0 + 1);
    assert.equal(o!.code, 'BAD_PROOF', what);
    assert.match(o!.message!, /payload\.proof is not a signature by d's root key/);
  }
  assert.equal(c.state.get('org:d'), undefined);
  assert.deepEqual(c.state.get('chain:orgs'), ['a', 'b', 'c']);
});

test('security: one founder alone cannot add an organization (GOVERNANCE_THRESHOLD)', async () => {
  const f = await threeFounders();
  const c = new MemChain(f);
  const d = await newOrg(f, 'd');
  const [o] = outcome(c, [govTx(f, rootKeys(f), ADD, addPayload(d), ['a'], T0)], T0 + 1);
  assert.deepEqual(o, {
    code: 'GOVERNANCE_THRESHOLD',
    message: 'adding organization d needs the signatures of 2 founders; it has 1 (a)',
  });
  assert.equal(c.state.get('org:d'), undefined);
});

test('security: one founder signing twice counts once; the wire format refuses the double signature', async () => {
  const f = await threeFounders();
  const c = new MemChain(f);
  const d = await newOrg(f, 'd');
  const once = govTx(f, rootKeys(f), ADD, addPayload(d), ['a'], T0);
  // Built by hand: createTxBody and parseTx never let a signer appear twice.
  const body = { ...once.body, signers: ['org:a', 'org:a'] };
  const key = f.orgs.a!.root.privateKey;
  const twice: SignedTx = {
    body,
    signatures: [signTxBody(body, 'org:a', key), signTxBody(body, 'org:a', key)],
  };
  assert.equal(outcome(c, [twice], T0 + 1)[0]!.code, 'GOVERNANCE_THRESHOLD');
  assert.throws(
    () => parseTx(JSON.parse(JSON.stringify(twice))),
    /tx\.body\.signers: must be distinct and sorted/,
  );
  assert.equal(c.state.get('org:d'), undefined);
});

test('security: a signer that is not a founder makes the change invalid (NOT_A_FOUNDER)', async () => {
  const f = await makeFixture(['a', 'b', 'c'], {}, { governance: { founders: ['a', 'b'], threshold: 2 } });
  const c = new MemChain(f);
  const d = await newOrg(f, 'd');
  // c is an organization of genesis but not a founder
  const [byC] = outcome(c, [govTx(f, rootKeys(f), ADD, addPayload(d), ['a', 'b', 'c'], T0)], T0 + 1);
  assert.deepEqual(byC, { code: 'NOT_A_FOUNDER', message: 'org:c is not a founder (founders: a, b)' });
  // a node key is not a founder's root key
  const viaNode = (() => {
    const base = govTx(f, rootKeys(f), ADD, addPayload(d), ['a', 'b'], T0);
    const body = createTxBody({ ...base.body, signers: ['org:a', 'node:b'], nonce: new Uint8Array(16) });
    return {
      body,
      signatures: [
        signTxBody(body, 'node:b', f.orgs.b!.node.privateKey),
        signTxBody(body, 'org:a', f.orgs.a!.root.privateKey),
      ],
    };
  })();
  const [o] = outcome(c, [viaNode], T0 + 2);
  assert.equal(o!.code, 'NOT_A_FOUNDER');
  assert.match(o!.message!, /^node:b may not sign adding organization d/);
  // an organization added later is not a founder either
  assert.deepEqual(c.commit([govTx(f, rootKeys(f), ADD, addPayload(d), ['a', 'b'], T0)], T0 + 3), ['OK']);
  const e = await newOrg(f, 'e');
  const [byD] = outcome(c, [govTx(f, rootKeys(f, ['d', d]), ADD, addPayload(e), ['a', 'd'], T0)], T0 + 4);
  assert.equal(byD!.code, 'NOT_A_FOUNDER');
  assert.equal(c.state.get('org:e'), undefined);
});

test('negative: an id already in use, or once used by a removed organization, is refused (ORG_EXISTS)', async () => {
  const f = await threeFounders();
  const c = new MemChain(f);
  const again = await newOrg(f, 'c');
  const [o] = outcome(c, [govTx(f, rootKeys(f), ADD, addPayload(again), ['a', 'b'], T0)], T0 + 1);
  assert.deepEqual(o, { code: 'ORG_EXISTS', message: 'organization c is already in the consortium' });
  const remove = govTx(f, rootKeys(f), 'consortium.remove-org', { org: 'c', reason: 'left' }, ['a', 'b'], T0);
  assert.deepEqual(c.commit([remove], T0 + 2), ['OK']);
  const reuse = await newOrg(f, 'c');
  const [o2] = outcome(c, [govTx(f, rootKeys(f), ADD, addPayload(reuse), ['a', 'b'], T0)], T0 + 3);
  assert.equal(o2!.code, 'ORG_EXISTS');
  assert.match(
    o2!.message!,
    /organization id c was used by an organization removed at height 2; an id is never reused/,
  );
  assert.equal(
    (c.state.get('org:c') as { rootCertificate: string }).rootCertificate,
    f.genesis.orgs[2]!.rootCertificate,
  );
});

test('negative: a root certificate that is not a CA certificate of that id is refused with the field', async () => {
  const f = await threeFounders();
  const c = new MemChain(f);
  const d = await newOrg(f, 'd');
  const e = await newOrg(f, 'e');
  const memberCert = await issueMemberCertificate({
    issuerCertificate: Buffer.from(d.card.rootCertificate, 'base64url'),
    issuerPrivateKey: d.root.privateKey,
    subjectPublicKey: generateP256KeyPair().publicKey,
    commonName: 'not-a-ca',
    org: 'd',
    role: 'doctor',
    notBefore: T0 - 1000,
    notAfter: T0 + 86_400_000,
  });
  const cases: [string, Record<string, unknown>, RegExp][] = [
    [
      "e's root certificate on d's card",
      { ...d.card, rootCertificate: e.card.rootCertificate },
      /payload\.card\.rootCertificate: must be a CA certificate of d/,
    ],
    [
      'a member certificate',
      { ...d.card, rootCertificate: toB64u(memberCert) },
      /payload\.card\.rootCertificate: must be a CA certificate of d/,
    ],
    [
      'not a certificate',
      { ...d.card, rootCertificate: 'AAAA' },
      /payload\.card\.rootCertificate: not a DER X\.509 certificate/,
    ],
    ['unknown role', { ...d.card, role: 'pirate' }, /payload\.card\.role: must be one of/],
    ['bad id', { ...d.card, id: 'd d' }, /payload\.card\.id: must match/],
    ['extra field', { ...d.card, admin: 'x' }, /payload\.card\.admin: unknown field/],
  ];
  for (const [what, card, re] of cases) {
    const [o] = outcome(
      c,
      [govTx(f, rootKeys(f), ADD, { card, proof: d.proof } as never, ['a', 'b'], T0)],
      T0 + 1,
    );
    assert.equal(o!.code, 'INVALID_PAYLOAD', what);
    assert.match(o!.message!, re, what);
  }
  assert.deepEqual(c.state.get('chain:orgs'), ['a', 'b', 'c']);
});

test('negative: a root certificate not valid at the block time is refused (CERT_NOT_VALID)', async () => {
  const f = await threeFounders();
  const c = new MemChain(f);
  const later = await newOrg(f, 'd', { notBefore: T0 + 86_400_000 });
  const [o] = outcome(c, [govTx(f, rootKeys(f), ADD, addPayload(later), ['a', 'b'], T0)], T0 + 1);
  assert.deepEqual(o, {
    code: 'CERT_NOT_VALID',
    message: 'the root certificate of d is not valid at the block time',
  });
});

test('negative: a node key that is not a P-256 SPKI, or one some organization holds, is refused', async () => {
  const f = await threeFounders();
  const c = new MemChain(f);
  const d = await newOrg(f, 'd');
  const withKey = (nodeKey: string): { card: never; proof: string } => {
    const card = { ...d.card, nodeKey };
    return { card: card as never, proof: signOrgCard(f.chainId, card, d.root.privateKey) };
  };
  const notKey = outcome(
    c,
    [govTx(f, rootKeys(f), ADD, withKey(toB64u(new Uint8Array(91))), ['a', 'b'], T0)],
    T0 + 1,
  )[0]!;
  assert.equal(notKey.code, 'INVALID_PAYLOAD');
  assert.match(notKey.message!, /payload\.card\.nodeKey: must be the SPKI DER of a P-256 public key/);
  const aKey = outcome(
    c,
    [govTx(f, rootKeys(f), ADD, withKey(f.genesis.orgs[0]!.nodeKey!), ['a', 'b'], T0)],
    T0 + 2,
  )[0]!;
  assert.deepEqual(aKey, {
    code: 'NODE_KEY_USED',
    message: 'the node key of d is already used by organization a',
  });
  const rootKey = toB64u(parseCertificate(Buffer.from(d.card.rootCertificate, 'base64url')).publicKey);
  const own = outcome(c, [govTx(f, rootKeys(f), ADD, withKey(rootKey), ['a', 'b'], T0)], T0 + 3)[0]!;
  assert.equal(own.code, 'NODE_KEY_USED');
  assert.match(own.message!, /is its root key/);
  assert.equal(c.state.get('org:d'), undefined);
});

test("security: a removed founder's signature is refused (ORG_REMOVED) before the contract counts it", async () => {
  const f = await threeFounders();
  const c = new MemChain(f);
  const remove = govTx(f, rootKeys(f), 'consortium.remove-org', { org: 'c', reason: 'left' }, ['a', 'b'], T0);
  assert.deepEqual(c.commit([remove], T0 + 1), ['OK']);
  const d = await newOrg(f, 'd');
  const [o] = outcome(c, [govTx(f, rootKeys(f), ADD, addPayload(d), ['a', 'c'], T0)], T0 + 2);
  assert.deepEqual(o, {
    code: 'ORG_REMOVED',
    message: 'org:c: organization c was removed from the consortium at height 1',
  });
  assert.equal(c.state.get('org:d'), undefined);
});
