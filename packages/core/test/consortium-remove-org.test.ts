/** `consortium.remove-org`: k of n founders remove an organization; its past stays valid. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex, randomBytes } from '@medledger/crypto';
import { activeNode, consortiumNodes, resolveSigner, txIdOf, type SignedTx } from '../src/index.js';
import { MemChain, T0, enrollTx, makeFixture, makeTx } from './fixtures.js';
import { govTx, rootKeys } from './consortium-fixtures.js';

const REMOVE = 'consortium.remove-org';
const outcome = (c: MemChain, txs: SignedTx[], time: number): { code: string; message?: string }[] =>
  c
    .apply(c.makeBlock(txs, time))
    .outcomes.map((o) => ({ code: o.code, ...(o.message ? { message: o.message } : {}) }));

test('behavior: two of three founders remove an organization; it leaves the list, the nodes and the founders', async () => {
  const f = await makeFixture(['a', 'b', 'c']);
  const c = new MemChain(f);
  const tx = govTx(f, rootKeys(f), REMOVE, { org: 'c', reason: 'left the consortium' }, ['a', 'b'], T0);
  const r = c.apply(c.makeBlock([tx], T0 + 1)).outcomes[0]!;
  assert.equal(r.code, 'OK', r.message);
  assert.deepEqual(r.events, [
    { type: 'consortium.org-removed', org: 'c', reason: 'left the consortium', founder: true },
  ]);
  const entry = c.state.get('org:c') as Record<string, unknown>;
  assert.equal(entry.removedAt, 1);
  assert.equal(entry.removedReason, 'left the consortium');
  assert.equal(entry.nodeKey, f.genesis.orgs[2]!.nodeKey, 'the entry stays, so its past verifies');
  assert.deepEqual(c.state.get('chain:orgs'), ['a', 'b']);
  assert.deepEqual(c.state.get('chain:governance'), { founders: ['a', 'b'], threshold: 2 });
  assert.equal(activeNode(c.reader, 'c'), undefined);
  assert.deepEqual(
    consortiumNodes(c.reader).map((o) => o.id),
    ['a', 'b'],
  );
  assert.equal(resolveSigner(c.reader, 'org:c'), undefined);
  assert.equal(resolveSigner(c.reader, 'node:c'), undefined);
});

test('security: members of a removed organization are refused (ORG_REMOVED); what they did before stays valid', async () => {
  const f = await makeFixture(['a', 'b', 'c']);
  const c = new MemChain(f);
  const dr = await f.member('c', 'doctor', 'dr-c');
  assert.deepEqual(c.commit([enrollTx(f, 'c', dr, T0)], T0 + 1), ['OK']);
  const anchor = (id: string, at: number): SignedTx =>
    makeTx(
      f.chainId,
      'record.anchor',
      { recordId: id, hash: toHex(randomBytes(32)) },
      [[dr.id, dr.keys.privateKey]],
      at,
    );
  const before = anchor('before', T0 + 2);
  assert.deepEqual(c.commit([before], T0 + 3), ['OK']);
  const remove = govTx(f, rootKeys(f), REMOVE, { org: 'c', reason: 'audit' }, ['a', 'b'], T0 + 4);
  // Signed before the removal, ordered after it in the same block: refused.
  const after = anchor('after', T0 + 2);
  const out = outcome(c, [remove, after], T0 + 5);
  assert.deepEqual(
    out.map((o) => o.code),
    ['OK', 'ORG_REMOVED'],
  );
  assert.equal(out[1]!.message, `${dr.id}'s organization c was removed from the consortium`);
  assert.ok(c.state.get('anchor:before'), 'the earlier record stays');
  assert.equal(c.state.get('anchor:after'), undefined);
  assert.equal(c.reader.hasCommittedTx(txIdOf(before.body)), true, 'and stays committed');
  // The organization's root key enrolls nobody any more.
  const late = await f.member('c', 'doctor', 'dr-late');
  const [enroll] = outcome(c, [enrollTx(f, 'c', late, T0 + 6)], T0 + 7);
  assert.deepEqual(enroll, {
    code: 'ORG_REMOVED',
    message: 'org:c: organization c was removed from the consortium at height 3',
  });
});

test('negative: removing an unknown or an already removed organization is refused', async () => {
  const f = await makeFixture(['a', 'b', 'c']);
  const c = new MemChain(f);
  const [unknown] = outcome(
    c,
    [govTx(f, rootKeys(f), REMOVE, { org: 'zed', reason: 'x' }, ['a', 'b'], T0)],
    T0 + 1,
  );
  assert.deepEqual(unknown, { code: 'UNKNOWN_ORG', message: 'no organization zed in the consortium' });
  assert.deepEqual(
    c.commit([govTx(f, rootKeys(f), REMOVE, { org: 'c', reason: 'x' }, ['a', 'b'], T0)], T0 + 2),
    ['OK'],
  );
  const [twice] = outcome(
    c,
    [govTx(f, rootKeys(f), REMOVE, { org: 'c', reason: 'again' }, ['a', 'b'], T0)],
    T0 + 3,
  );
  assert.deepEqual(twice, { code: 'ORG_REMOVED', message: 'organization c was already removed at height 2' });
  assert.equal((c.state.get('org:c') as { removedReason: string }).removedReason, 'x');
});

test('negative: the last consortium node cannot be removed (LAST_NODE)', async () => {
  // Only a runs a node; b and c are member organizations.
  const f = await makeFixture(['a', 'b', 'c'], {}, { nodeOrgs: ['a'] });
  const c = new MemChain(f);
  const [last] = outcome(
    c,
    [govTx(f, rootKeys(f), REMOVE, { org: 'a', reason: 'x' }, ['a', 'b'], T0)],
    T0 + 1,
  );
  assert.deepEqual(last, {
    code: 'LAST_NODE',
    message: "organization a runs the consortium's last node; add another node before removing it",
  });
  assert.equal(activeNode(c.reader, 'a')?.id, 'a');
  // An organization without a node may go.
  assert.deepEqual(
    c.commit([govTx(f, rootKeys(f), REMOVE, { org: 'c', reason: 'x' }, ['a', 'b'], T0)], T0 + 2),
    ['OK'],
  );
});

test('negative: a removal that leaves fewer founders than the threshold is refused', async () => {
  const f = await makeFixture(
    ['a', 'b', 'c', 'd'],
    {},
    { governance: { founders: ['a', 'b', 'c'], threshold: 2 } },
  );
  const c = new MemChain(f);
  assert.deepEqual(
    c.commit([govTx(f, rootKeys(f), REMOVE, { org: 'c', reason: 'x' }, ['a', 'b'], T0)], T0 + 1),
    ['OK'],
  );
  const [b] = outcome(c, [govTx(f, rootKeys(f), REMOVE, { org: 'b', reason: 'x' }, ['a', 'b'], T0)], T0 + 2);
  assert.deepEqual(b, {
    code: 'FOUNDERS_BELOW_THRESHOLD',
    message: 'removing founder b would leave 1 founders, fewer than the threshold of 2',
  });
  assert.deepEqual(c.state.get('chain:governance'), { founders: ['a', 'b'], threshold: 2 });
  // d is not a founder: removing it leaves the founders as they are.
  assert.deepEqual(
    c.commit([govTx(f, rootKeys(f), REMOVE, { org: 'd', reason: 'x' }, ['a', 'b'], T0)], T0 + 3),
    ['OK'],
  );
  assert.deepEqual(c.state.get('chain:governance'), { founders: ['a', 'b'], threshold: 2 });
});

test('security: too few founders, or a non-founder, cannot remove an organization', async () => {
  const f = await makeFixture(
    ['a', 'b', 'c', 'd'],
    {},
    { governance: { founders: ['a', 'b', 'c'], threshold: 2 } },
  );
  const c = new MemChain(f);
  const [one] = outcome(c, [govTx(f, rootKeys(f), REMOVE, { org: 'c', reason: 'x' }, ['a'], T0)], T0 + 1);
  assert.deepEqual(one, {
    code: 'GOVERNANCE_THRESHOLD',
    message: 'removing organization c needs the signatures of 2 founders; it has 1 (a)',
  });
  const [withD] = outcome(
    c,
    [govTx(f, rootKeys(f), REMOVE, { org: 'c', reason: 'x' }, ['a', 'd'], T0)],
    T0 + 2,
  );
  assert.deepEqual(withD, { code: 'NOT_A_FOUNDER', message: 'org:d is not a founder (founders: a, b, c)' });
  // A member, however senior, is not a founder's root key.
  const admin = await f.member('a', 'admin', 'admin-a');
  c.commit([enrollTx(f, 'a', admin, T0)], T0 + 3);
  const byMember = makeTx(
    f.chainId,
    REMOVE,
    { org: 'c', reason: 'x' },
    [
      ['org:b', f.orgs.b!.root.privateKey],
      [admin.id, admin.keys.privateKey],
    ],
    T0,
  );
  const [m] = outcome(c, [byMember], T0 + 4);
  assert.equal(m!.code, 'NOT_A_FOUNDER');
  assert.deepEqual(c.state.get('chain:orgs'), ['a', 'b', 'c', 'd']);
});
