/** `consortium.rotate-node-key`: founders and the organization itself give its node a new key. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { generateKeyPairSync } from 'node:crypto';
import { fromB64u, generateP256KeyPair, toB64u } from '@medledger/crypto';
import {
  activeNode,
  consortiumNodes,
  founderApproval,
  isActiveNodeKey,
  type Governance,
  type SignedTx,
  type Signer,
} from '../src/index.js';
import { MemChain, T0, makeFixture } from './fixtures.js';
import { addPayload, govTx, newOrg, rootKeys } from './consortium-fixtures.js';

const ROTATE = 'consortium.rotate-node-key';
const outcome = (c: MemChain, txs: SignedTx[], time: number): { code: string; message?: string }[] =>
  c
    .apply(c.makeBlock(txs, time))
    .outcomes.map((o) => ({ code: o.code, ...(o.message ? { message: o.message } : {}) }));
const freshKey = (): string => toB64u(generateP256KeyPair().publicKey);

test('behavior: a founder and the organization rotate its node key; the old key stops counting', async () => {
  const f = await makeFixture(['a', 'b', 'c']);
  const c = new MemChain(f);
  const old = f.genesis.orgs[1]!.nodeKey!;
  const key = freshKey();
  // b is a founder: its own signature counts toward the threshold of 2.
  const r = c.apply(
    c.makeBlock([govTx(f, rootKeys(f), ROTATE, { org: 'b', nodeKey: key }, ['a', 'b'], T0)], T0 + 1),
  ).outcomes[0]!;
  assert.equal(r.code, 'OK', r.message);
  assert.deepEqual(r.events, [{ type: 'consortium.node-key-rotated', org: 'b', firstKey: false }]);
  assert.equal(activeNode(c.reader, 'b')?.nodeKey, key);
  assert.equal(isActiveNodeKey(c.reader, 'b', key), true);
  assert.equal(isActiveNodeKey(c.reader, 'b', old), false);
  assert.equal(isActiveNodeKey(c.reader, 'a', key), false, 'the key is b’s, not a’s');
});

test('behavior: an organization that ran no node gets its first node key and becomes a consortium node', async () => {
  const f = await makeFixture(['a', 'b', 'c'], {}, { nodeOrgs: ['a', 'b'] });
  const c = new MemChain(f);
  assert.equal(activeNode(c.reader, 'c'), undefined);
  const key = freshKey();
  const r = c.apply(
    c.makeBlock([govTx(f, rootKeys(f), ROTATE, { org: 'c', nodeKey: key }, ['a', 'c'], T0)], T0 + 1),
  ).outcomes[0]!;
  assert.equal(r.code, 'OK', r.message);
  assert.deepEqual(r.events, [{ type: 'consortium.node-key-rotated', org: 'c', firstKey: true }]);
  assert.deepEqual(
    consortiumNodes(c.reader).map((o) => o.id),
    ['a', 'b', 'c'],
  );
});

test("security: the founders alone cannot set an organization's node key; the organization must sign too", async () => {
  const f = await makeFixture(['a', 'b', 'c']);
  const c = new MemChain(f);
  const [o] = outcome(
    c,
    [govTx(f, rootKeys(f), ROTATE, { org: 'c', nodeKey: freshKey() }, ['a', 'b'], T0)],
    T0 + 1,
  );
  assert.deepEqual(o, {
    code: 'UNAUTHORIZED',
    message: "a new node key for c must be signed by c's own root key (org:c) as well as by the founders",
  });
  assert.equal(activeNode(c.reader, 'c')?.nodeKey, f.genesis.orgs[2]!.nodeKey);
});

test('security: a non-founder organization signs its own rotation but does not count toward the threshold', async () => {
  const f = await makeFixture(['a', 'b', 'c']);
  const c = new MemChain(f);
  const d = await newOrg(f, 'd');
  assert.deepEqual(
    c.commit([govTx(f, rootKeys(f), 'consortium.add-org', addPayload(d), ['a', 'b'], T0)], T0 + 1),
    ['OK'],
  );
  const keys = rootKeys(f, ['d', d]);
  const [alone] = outcome(
    c,
    [govTx(f, keys, ROTATE, { org: 'd', nodeKey: freshKey() }, ['a', 'd'], T0)],
    T0 + 2,
  );
  assert.deepEqual(alone, {
    code: 'GOVERNANCE_THRESHOLD',
    message: 'rotating the node key of d needs the signatures of 2 founders; it has 1 (a)',
  });
  assert.deepEqual(
    c.commit([govTx(f, keys, ROTATE, { org: 'd', nodeKey: freshKey() }, ['a', 'b', 'd'], T0)], T0 + 3),
    ['OK'],
  );
  // d may sign its own rotation, not somebody else's.
  const [other] = outcome(
    c,
    [govTx(f, keys, ROTATE, { org: 'b', nodeKey: freshKey() }, ['a', 'b', 'd'], T0)],
    T0 + 4,
  );
  assert.deepEqual(other, { code: 'NOT_A_FOUNDER', message: 'org:d is not a founder (founders: a, b, c)' });
});

test('negative: a key that is not a canonical P-256 SPKI is refused with the field', async () => {
  const f = await makeFixture(['a', 'b', 'c']);
  const c = new MemChain(f);
  const ed = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' });
  const p256 = fromB64u(freshKey());
  // The same P-256 key in compressed form: a second encoding of one key.
  const x = p256.slice(27, 59);
  const y = p256.slice(59, 91);
  const prefix = Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex');
  const compressed = Buffer.concat([prefix, Buffer.from([2 + (y[31]! & 1)]), x]);
  const cases: [string, string, RegExp][] = [
    ['Ed25519', toB64u(ed), /payload\.nodeKey: must be the SPKI DER of a P-256 public key/],
    ['random bytes', toB64u(new Uint8Array(91).fill(7)), /payload\.nodeKey: must be the SPKI DER of a P-256/],
    [
      'compressed point',
      toB64u(compressed),
      /payload\.nodeKey: must be the uncompressed SPKI DER of the key/,
    ],
    ['not base64url', 'a+b/', /payload\.nodeKey: must match/],
  ];
  for (const [what, nodeKey, re] of cases) {
    const [o] = outcome(c, [govTx(f, rootKeys(f), ROTATE, { org: 'b', nodeKey }, ['a', 'b'], T0)], T0 + 1);
    assert.equal(o!.code, 'INVALID_PAYLOAD', what);
    assert.match(o!.message!, re, what);
  }
  assert.equal(activeNode(c.reader, 'b')?.nodeKey, f.genesis.orgs[1]!.nodeKey);
});

test('negative: a key any organization holds or ever held is refused (NODE_KEY_USED)', async () => {
  const f = await makeFixture(['a', 'b', 'c', 'd']);
  const c = new MemChain(f);
  const keys = rootKeys(f);
  const rotate = (
    org: string,
    nodeKey: string,
    by: string[],
    at: number,
  ): { code: string; message?: string } =>
    outcome(c, [govTx(f, keys, ROTATE, { org, nodeKey }, by, T0)], at)[0]!;
  const [aKey, bOld, dKey] = [0, 1, 3].map((i) => f.genesis.orgs[i]!.nodeKey!);
  assert.deepEqual(rotate('b', aKey!, ['a', 'b', 'c'], T0 + 1), {
    code: 'NODE_KEY_USED',
    message: 'this node key is already used by organization a',
  });
  assert.deepEqual(rotate('b', bOld!, ['a', 'b', 'c'], T0 + 2), {
    code: 'NODE_KEY_USED',
    message: "b's node already has this key",
  });
  const bNew = freshKey();
  assert.equal(rotate('b', bNew, ['a', 'b', 'c'], T0 + 3).code, 'OK');
  // b's genesis key, rotated away, is never handed out again, to b or anyone else.
  assert.equal(rotate('b', bOld!, ['a', 'b', 'c'], T0 + 4).code, 'NODE_KEY_USED');
  assert.equal(
    rotate('c', bOld!, ['a', 'b', 'c'], T0 + 5).message,
    'this node key is already used by organization b',
  );
  // A removed organization's key is retired with it.
  const remove = govTx(f, keys, 'consortium.remove-org', { org: 'd', reason: 'x' }, ['a', 'b', 'c'], T0);
  assert.deepEqual(c.commit([remove], T0 + 6), ['OK']);
  assert.equal(
    rotate('c', dKey!, ['a', 'b', 'c'], T0 + 7).message,
    'this node key is already used by organization d',
  );
  // Nor may a node key be the organization's own root key.
  const root = (c.state.get('org:c') as { rootPublicKey: string }).rootPublicKey;
  assert.equal(rotate('c', root, ['a', 'b', 'c'], T0 + 8).code, 'NODE_KEY_USED');
  // Two rotations to one new key in one block: the second is refused.
  const shared = freshKey();
  const both = outcome(
    c,
    [
      govTx(f, keys, ROTATE, { org: 'a', nodeKey: shared }, ['a', 'b', 'c'], T0),
      govTx(f, keys, ROTATE, { org: 'c', nodeKey: shared }, ['a', 'b', 'c'], T0),
    ],
    T0 + 9,
  );
  assert.deepEqual(
    both.map((o) => o.code),
    ['OK', 'NODE_KEY_USED'],
  );
});

test('negative: rotating an unknown or removed organization is refused; a removed founder cannot sign', async () => {
  const f = await makeFixture(['a', 'b', 'c']);
  const c = new MemChain(f);
  const keys = rootKeys(f);
  assert.deepEqual(
    outcome(c, [govTx(f, keys, ROTATE, { org: 'zed', nodeKey: freshKey() }, ['a', 'b'], T0)], T0 + 1)[0],
    { code: 'UNKNOWN_ORG', message: 'no organization zed in the consortium' },
  );
  assert.deepEqual(
    c.commit([govTx(f, keys, 'consortium.remove-org', { org: 'c', reason: 'x' }, ['a', 'b'], T0)], T0 + 2),
    ['OK'],
  );
  assert.deepEqual(
    outcome(c, [govTx(f, keys, ROTATE, { org: 'c', nodeKey: freshKey() }, ['a', 'b'], T0)], T0 + 3)[0],
    { code: 'ORG_REMOVED', message: 'organization c was removed at height 2' },
  );
  assert.deepEqual(
    outcome(c, [govTx(f, keys, ROTATE, { org: 'b', nodeKey: freshKey() }, ['b', 'c'], T0)], T0 + 4)[0],
    { code: 'ORG_REMOVED', message: 'org:c: organization c was removed from the consortium at height 2' },
  );
});

test('property: a change is approved exactly when at least threshold distinct founders sign and nobody else', () => {
  const ids = ['o1', 'o2', 'o3', 'o4', 'o5', 'o6'];
  const signer = (org: string): Signer => ({
    kind: 'org',
    id: `org:${org}`,
    org,
    orgRole: 'cdo',
    publicKey: '',
  });
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 5 }).chain((n) =>
        fc.record({
          founders: fc.constant(ids.slice(0, n)),
          threshold: fc.integer({ min: 1, max: n }),
          // signers drawn from every organization, repeats allowed
          signers: fc.array(fc.constantFrom(...ids), { maxLength: 8 }),
          alsoAllowed: fc.option(fc.constantFrom(...ids), { nil: undefined }),
        }),
      ),
      ({ founders, threshold, signers, alsoAllowed }) => {
        const gov: Governance = { founders, threshold };
        const r = founderApproval(signers.map(signer), gov, 'a change', alsoAllowed);
        const outsider = signers.some((s) => !founders.includes(s) && s !== alsoAllowed);
        const distinct = new Set(signers.filter((s) => founders.includes(s))).size;
        const want = outsider ? 'NOT_A_FOUNDER' : distinct < threshold ? 'GOVERNANCE_THRESHOLD' : undefined;
        assert.equal(r?.code, want);
      },
    ),
    { numRuns: 500 },
  );
});
