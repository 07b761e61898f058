import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toB64u, toHex, randomBytes } from '@medledger/crypto';
import {
  LedgerError,
  parseTx,
  applyBlock,
  defaultContracts,
  checkBlockLinks,
  blockHashOf,
  signTxBody,
  type SignedTx,
} from '../src/index.js';
import { MemChain, T0, enrollTx, makeFixture, makeTx } from './fixtures.js';

const hash = (): string => toHex(randomBytes(32));

test('behavior: an enrolled member anchors a record; the same signed transaction commits once', async () => {
  const f = await makeFixture();
  const c = new MemChain(f);
  const alice = await f.member('hospitalA', 'doctor', 'alice');
  assert.deepEqual(c.commit([enrollTx(f, 'hospitalA', alice, T0)], T0 + 1), ['OK']);
  const tx = makeTx(
    f.chainId,
    'record.anchor',
    { recordId: 'r1', hash: hash() },
    [[alice.id, alice.keys.privateKey]],
    T0 + 2,
  );
  assert.deepEqual(c.commit([tx, tx], T0 + 3), ['OK', 'DUPLICATE_TX'], 'twice in one block');
  assert.deepEqual(c.commit([tx], T0 + 4), ['DUPLICATE_TX'], 'again in a later block');
  // The same body signed again (ECDSA is randomized: a different signature) is still the same transaction.
  const again: SignedTx = {
    body: tx.body,
    signatures: [{ signer: alice.id, sig: signTxBody(tx.body, alice.id, alice.keys.privateKey).sig }],
  };
  assert.notEqual(again.signatures[0]!.sig, tx.signatures[0]!.sig);
  assert.deepEqual(c.commit([again], T0 + 5), ['DUPLICATE_TX']);
  assert.equal(c.state.get('anchor:r1') !== undefined, true);
});

test('security: a revoked member: earlier transactions stay valid, later ones are SIGNER_REVOKED', async () => {
  const f = await makeFixture();
  const c = new MemChain(f);
  const bob = await f.member('hospitalB', 'doctor', 'bob');
  c.commit([enrollTx(f, 'hospitalB', bob, T0)], T0 + 1);
  const before = makeTx(
    f.chainId,
    'record.anchor',
    { recordId: 'before', hash: hash() },
    [[bob.id, bob.keys.privateKey]],
    T0 + 2,
  );
  const revoke = makeTx(
    f.chainId,
    'registry.revoke',
    { memberId: bob.id, reason: 'left the hospital' },
    [['org:hospitalB', f.orgs.hospitalB!.root.privateKey]],
    T0 + 3,
  );
  const after = makeTx(
    f.chainId,
    'record.anchor',
    { recordId: 'after', hash: hash() },
    [[bob.id, bob.keys.privateKey]],
    T0 + 2,
  );
  // Signed before the revocation, ordered after it in the same block: still refused.
  assert.deepEqual(c.commit([before, revoke, after], T0 + 4), ['OK', 'OK', 'SIGNER_REVOKED']);
  assert.ok(c.state.get('anchor:before'));
  assert.equal(c.state.get('anchor:after'), undefined);
  const again = makeTx(
    f.chainId,
    'registry.revoke',
    { memberId: bob.id, reason: 'x' },
    [['org:hospitalB', f.orgs.hospitalB!.root.privateKey]],
    T0 + 5,
  );
  assert.deepEqual(c.commit([again], T0 + 6), ['ALREADY_REVOKED']);
});

test('security: an organization cannot enroll a certificate another organization issued, nor revoke its members', async () => {
  const f = await makeFixture();
  const c = new MemChain(f);
  const bobB = await f.member('hospitalB', 'doctor', 'bob');
  const forged = makeTx(
    f.chainId,
    'registry.enroll',
    { certificate: toB64u(bobB.cert) },
    [['org:hospitalA', f.orgs.hospitalA!.root.privateKey]],
    T0,
  );
  assert.deepEqual(c.commit([forged], T0 + 1), ['UNAUTHORIZED']);
  c.commit([enrollTx(f, 'hospitalB', bobB, T0)], T0 + 2);
  const rev = makeTx(
    f.chainId,
    'registry.revoke',
    { memberId: bobB.id, reason: 'x' },
    [['org:hospitalA', f.orgs.hospitalA!.root.privateKey]],
    T0,
  );
  assert.deepEqual(c.commit([rev], T0 + 3), ['UNAUTHORIZED']);
  // A member cannot enroll members.
  const eve = await f.member('hospitalB', 'doctor', 'eve');
  const selfEnroll = makeTx(
    f.chainId,
    'registry.enroll',
    { certificate: toB64u(eve.cert) },
    [[bobB.id, bobB.keys.privateKey]],
    T0,
  );
  assert.deepEqual(c.commit([selfEnroll], T0 + 4), ['UNAUTHORIZED']);
});

test('security: certificates must be valid at signing time; expired or not-yet-valid signers are refused', async () => {
  const f = await makeFixture();
  const c = new MemChain(f);
  const shortLived = await f.member('hospitalA', 'doctor', 'temp', {
    notBefore: T0 - 10,
    notAfter: T0 + 1000,
  });
  c.commit([enrollTx(f, 'hospitalA', shortLived, T0)], T0 + 1);
  const inside = makeTx(
    f.chainId,
    'record.anchor',
    { recordId: 'in', hash: hash() },
    [[shortLived.id, shortLived.keys.privateKey]],
    T0 + 500,
  );
  const outside = makeTx(
    f.chainId,
    'record.anchor',
    { recordId: 'out', hash: hash() },
    [[shortLived.id, shortLived.keys.privateKey]],
    T0 + 2000,
  );
  assert.deepEqual(c.commit([inside, outside], T0 + 2500), ['OK', 'CERT_NOT_VALID']);
  const expiredAtEnroll = await f.member('hospitalA', 'doctor', 'old', {
    notBefore: T0 - 100,
    notAfter: T0 - 50,
  });
  assert.deepEqual(c.commit([enrollTx(f, 'hospitalA', expiredAtEnroll, T0)], T0 + 3000), ['CERT_NOT_VALID']);
});

test('security: a wrong signature, unknown signer, wrong chain, expired or future transaction is invalid and changes nothing', async () => {
  const f = await makeFixture();
  const c = new MemChain(f);
  const a = await f.member('hospitalA', 'doctor', 'a');
  const stranger = await f.member('hospitalA', 'doctor', 'stranger');
  c.commit([enrollTx(f, 'hospitalA', a, T0)], T0 + 1);
  const good = makeTx(
    f.chainId,
    'record.anchor',
    { recordId: 'g', hash: hash() },
    [[a.id, a.keys.privateKey]],
    T0 + 10,
  );
  const wrongKey: SignedTx = {
    body: { ...good.body, nonce: toB64u(randomBytes(16)) },
    signatures: [
      {
        signer: a.id,
        sig: makeTx(f.chainId, 'record.anchor', {}, [[a.id, stranger.keys.privateKey]], 0).signatures[0]!.sig,
      },
    ],
  };
  const unknown = makeTx(
    f.chainId,
    'record.anchor',
    { recordId: 'u', hash: hash() },
    [[stranger.id, stranger.keys.privateKey]],
    T0 + 10,
  );
  const otherChain = makeTx(
    'f'.repeat(64),
    'record.anchor',
    { recordId: 'o', hash: hash() },
    [[a.id, a.keys.privateKey]],
    T0 + 10,
  );
  const old = makeTx(
    f.chainId,
    'record.anchor',
    { recordId: 'old', hash: hash() },
    [[a.id, a.keys.privateKey]],
    T0 + 10,
  );
  const future = makeTx(
    f.chainId,
    'record.anchor',
    { recordId: 'fut', hash: hash() },
    [[a.id, a.keys.privateKey]],
    T0 + 21 + 5 * 60_000 + 1,
  );
  const digestBefore = c.digest;
  const stateBefore = JSON.stringify([...c.state]);
  const codes = c.commit([wrongKey, unknown, otherChain], T0 + 20);
  assert.deepEqual(codes, ['BAD_SIGNATURE', 'UNKNOWN_SIGNER', 'WRONG_CHAIN']);
  assert.equal(JSON.stringify([...c.state]), stateBefore, 'state unchanged by invalid transactions');
  assert.notEqual(c.digest, digestBefore, 'the digest still commits to the validity codes');
  assert.deepEqual(c.commit([future], T0 + 21), ['TX_FROM_FUTURE'], 'more than the 5 min skew ahead');
  assert.deepEqual(c.commit([old], T0 + 10 + 3_600_000 + 1), ['TX_EXPIRED'], 'older than the 1 h TTL');
  assert.deepEqual(c.commit([good], T0 + 10 + 2 * 3_600_000), ['TX_EXPIRED']);
});

test('behavior: unknown types and invalid payloads get codes that name the problem', async () => {
  const f = await makeFixture();
  const c = new MemChain(f);
  const a = await f.member('hospitalA', 'doctor', 'a');
  c.commit([enrollTx(f, 'hospitalA', a, T0)], T0 + 1);
  const unknownType = makeTx(f.chainId, 'no.such', {}, [[a.id, a.keys.privateKey]], T0);
  const badPayload = makeTx(
    f.chainId,
    'record.anchor',
    { recordId: 'x', hash: 'not-hex' },
    [[a.id, a.keys.privateKey]],
    T0,
  );
  const r = applyBlock(c.reader, c.makeBlock([unknownType, badPayload], T0 + 2), {
    contracts: defaultContracts(),
    params: f.genesis.params,
    prevStateDigest: c.digest,
  });
  assert.deepEqual(
    r.outcomes.map((o) => o.code),
    ['UNKNOWN_TYPE', 'INVALID_PAYLOAD'],
  );
  assert.match(r.outcomes[1]!.message!, /payload\.hash: must match/);
});

test("security: a contract that throws refuses its transaction with CONTRACT_FAILED and changes nothing, instead of failing the block; the block's other transactions commit", async () => {
  const f = await makeFixture();
  const c = new MemChain(f);
  const a = await f.member('hospitalA', 'doctor', 'a');
  c.commit([enrollTx(f, 'hospitalA', a, T0)], T0 + 1);
  // A contract with a bug: it writes, emits, then throws on what it reads.
  const contracts = defaultContracts().register<{ n: number }>({
    type: 'test.throws',
    parse: (p) => p as { n: number },
    execute(ctx, p) {
      ctx.state.put('test:written-before-the-throw', { n: p.n });
      ctx.emit({ type: 'record.written', patient: a.id });
      return (undefined as unknown as { code: 'OK' }[])[p.n]!;
    },
  });
  const throws = makeTx(f.chainId, 'test.throws', { n: 1 }, [[a.id, a.keys.privateKey]], T0);
  const anchor = makeTx(
    f.chainId,
    'record.anchor',
    { recordId: 'after-the-throw', hash: hash() },
    [[a.id, a.keys.privateKey]],
    T0,
  );
  const apply = () =>
    applyBlock(c.reader, c.makeBlock([throws, anchor], T0 + 2), {
      contracts,
      params: f.genesis.params,
      prevStateDigest: c.digest,
    });
  const r = apply();
  assert.deepEqual(
    r.outcomes.map((o) => [o.code, o.message]),
    [
      ['CONTRACT_FAILED', 'contract test.throws threw (TypeError)'],
      ['OK', undefined],
    ],
  );
  assert.deepEqual(r.outcomes[0]!.events, [], 'no event of the failed contract');
  const keys = r.writes.map(([k]) => k);
  assert.ok(!keys.includes('test:written-before-the-throw'), 'no write of the failed contract');
  assert.ok(keys.includes('anchor:after-the-throw'));
  // Deterministic: the same block on the same state gives the same digest on every node.
  assert.equal(apply().stateDigest, r.stateDigest);
});

test('behavior: applyBlock is deterministic — same state and block give the same digest and writes', async () => {
  const f = await makeFixture();
  const a = await f.member('hospitalA', 'doctor', 'a');
  const txs = [
    enrollTx(f, 'hospitalA', a, T0),
    makeTx(f.chainId, 'record.anchor', { recordId: 'r', hash: hash() }, [[a.id, a.keys.privateKey]], T0),
  ];
  const c1 = new MemChain(f);
  const c2 = new MemChain(f);
  const block = c1.makeBlock(txs, T0 + 5);
  const r1 = c1.apply(block);
  const r2 = c2.apply(JSON.parse(JSON.stringify(block)));
  assert.equal(r1.stateDigest, r2.stateDigest);
  assert.deepEqual(r1.writes, r2.writes);
  assert.deepEqual(
    r1.outcomes.map((o) => o.code),
    ['OK', 'OK'],
    'a member enrolled earlier in the same block can sign',
  );
  // A different order gives different codes and a different digest.
  const c3 = new MemChain(f);
  const r3 = c3.apply(c3.makeBlock([txs[1]!, txs[0]!], T0 + 5));
  assert.deepEqual(
    r3.outcomes.map((o) => o.code),
    ['UNKNOWN_SIGNER', 'OK'],
  );
  assert.notEqual(r3.stateDigest, r1.stateDigest);
});

test('security: block links — wrong parent, time going backwards, bad Merkle root or state digest are named', async () => {
  const f = await makeFixture();
  const c = new MemChain(f);
  const a = await f.member('hospitalA', 'doctor', 'a');
  const b1 = c.makeBlock([enrollTx(f, 'hospitalA', a, T0)], T0 + 10);
  assert.equal(checkBlockLinks(b1, c.head, c.digest), undefined);
  assert.match(
    checkBlockLinks({ ...b1, header: { ...b1.header, time: T0 - 1 } }, c.head, c.digest)!,
    /time goes backwards/,
  );
  assert.match(
    checkBlockLinks({ ...b1, header: { ...b1.header, prevHash: '0'.repeat(64) } }, c.head, c.digest)!,
    /prevHash/,
  );
  assert.match(
    checkBlockLinks({ ...b1, header: { ...b1.header, height: 5 } }, c.head, c.digest)!,
    /height 5 does not follow 0/,
  );
  assert.match(checkBlockLinks({ ...b1, txs: [] }, c.head, c.digest)!, /txCount/);
  assert.match(
    checkBlockLinks({ ...b1, header: { ...b1.header, txRoot: '1'.repeat(64) } }, c.head, c.digest)!,
    /txRoot/,
  );
  assert.match(checkBlockLinks(b1, c.head, '2'.repeat(64))!, /stateDigest/);
  assert.equal(blockHashOf(b1.header).length, 64);
});

test('behavior: malformed transactions are rejected with the path of the first bad field', async () => {
  const f = await makeFixture();
  const a = await f.member('hospitalA', 'doctor', 'a');
  const tx = makeTx(
    f.chainId,
    'record.anchor',
    { recordId: 'r', hash: hash() },
    [[a.id, a.keys.privateKey]],
    T0,
  );
  const bad = (mut: (t: Record<string, unknown>) => void, re: RegExp): void => {
    const t = JSON.parse(JSON.stringify(tx)) as Record<string, unknown>;
    mut(t);
    assert.throws(
      () => parseTx(t),
      (e: unknown) => e instanceof LedgerError && e.code === 'MALFORMED_TX' && re.test(e.message),
    );
  };
  assert.ok(parseTx(JSON.parse(JSON.stringify(tx))));
  bad((t) => delete t.body, /tx\.body: must be an object/);
  bad(
    (t) => ((t.body as Record<string, unknown>).createdAt = 'now'),
    /tx\.body\.createdAt: must be an integer/,
  );
  bad((t) => ((t.body as Record<string, unknown>).extra = 1), /tx\.body\.extra: unknown field/);
  bad((t) => ((t.body as Record<string, unknown>).nonce = 'AAAA'), /nonce: must be 16 bytes/);
  bad((t) => ((t.signatures as unknown[]).length = 0), /tx\.signatures: must have 1\.\.32 items/);
  bad(
    (t) => ((t.signatures as Record<string, unknown>[])[0]!.signer = 'someone-else'),
    /not a listed signer/,
  );
  bad((t) => ((t.signatures as Record<string, unknown>[])[0]!.sig = 'AAAA'), /must be 64 bytes/);
  bad((t) => ((t.body as Record<string, unknown>).signers = ['b', 'a']), /distinct and sorted/);
  bad(
    (t) => ((t.body as Record<string, unknown>).signers = ['a', 'bad id!']),
    /tx\.body\.signers\[1\]: must match/,
  );
  bad((t) => ((t.signatures as unknown[])[0] = 'sig'), /tx\.signatures\[0\]: must be an object/);
  bad(
    (t) => ((t.signatures as Record<string, unknown>[])[0]!.extra = 1),
    /tx\.signatures\[0\]\.extra: unknown field/,
  );
  bad(
    (t) => delete (t.signatures as Record<string, unknown>[])[0]!.signer,
    /tx\.signatures\[0\]\.signer: must be a string/,
  );
  assert.throws(() => parseTx('not json object'), /tx: must be an object/);
  assert.throws(
    () => parseTx({ ...tx, body: { ...tx.body, payload: { big: 'x'.repeat(300_000) } } }),
    /the limit is/,
  );
});

test('security: memoized ids and texts never outlive a change: re-parsing re-derives them, copies do not inherit them', async () => {
  const { txCanonicalText, txIdOf, parsePayload } = await import('../src/index.js');
  const f = await makeFixture();
  const a = await f.member('hospitalA', 'doctor', 'a');
  const signed = makeTx(
    f.chainId,
    'record.anchor',
    { recordId: 'r', hash: hash() },
    [[a.id, a.keys.privateKey]],
    T0,
  );
  const t = parseTx(JSON.parse(JSON.stringify(signed)));
  const id = txIdOf(t.body);
  const contract = defaultContracts().get('record.anchor')!;
  assert.equal((parsePayload(contract, t.body) as { recordId: string }).recordId, 'r');
  // Somebody changes the object in place and submits it again: nothing memoized survives.
  (t.body.payload as { recordId: string }).recordId = 'changed';
  parseTx(t);
  assert.notEqual(txIdOf(t.body), id, 'the id follows the changed body');
  assert.match(txCanonicalText(t), /"recordId":"changed"/);
  assert.equal((parsePayload(contract, t.body) as { recordId: string }).recordId, 'changed');
  // A copy made with a spread is a different transaction with its own id and text.
  const copy = { ...t, body: { ...t.body, nonce: toB64u(randomBytes(16)) } };
  assert.notEqual(txIdOf(copy.body), txIdOf(t.body));
  assert.notEqual(txCanonicalText(copy), txCanonicalText(t));
  assert.deepEqual(Object.keys(t.body).sort(), [
    'chainId',
    'createdAt',
    'nonce',
    'payload',
    'signers',
    'type',
  ]);
  assert.equal(JSON.stringify(t), JSON.stringify(JSON.parse(JSON.stringify(t))), 'memos are not serialized');
});

test('rfc8785: the fast canonical text of a parsed transaction equals the general serializer', async () => {
  const { canonicalize } = await import('@medledger/crypto');
  const { txCanonicalText, txIdOf, createTxBody, parseTxSized } = await import('../src/index.js');
  const fc = (await import('fast-check')).default;
  const f = await makeFixture();
  const a = await f.member('hospitalA', 'doctor', 'a');
  const b = await f.member('hospitalB', 'doctor', 'b');
  fc.assert(
    fc.property(
      fc.dictionary(
        fc.string({ minLength: 1, maxLength: 8 }),
        fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.string({ unit: 'grapheme', maxLength: 20 })),
      ),
      fc.integer({ min: 0, max: 2 ** 45 }),
      fc.boolean(),
      (payload, createdAt, cosigned) => {
        const signers: [string, Uint8Array][] = [[a.id, a.keys.privateKey]];
        if (cosigned) signers.push([b.id, b.keys.privateKey]);
        const signed = makeTx(f.chainId, 'record.anchor', payload as never, signers, createdAt);
        const { tx: parsed, size } = parseTxSized(JSON.parse(JSON.stringify(signed)));
        assert.equal(txCanonicalText(parsed), canonicalize(parsed));
        assert.equal(size, Buffer.byteLength(canonicalize(parsed)), 'size is of the UTF-8 bytes');
        assert.equal(
          txIdOf(parsed.body),
          txIdOf(createTxBody({ ...parsed.body, nonce: Buffer.from(parsed.body.nonce, 'base64url') })),
        );
      },
    ),
    { numRuns: 200 },
  );
});
