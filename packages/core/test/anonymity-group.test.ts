/**
 * Group-signed transactions on the ledger (BBS04, groupsig.ts): a group registered by its
 * manager, statements signed by "a member of G" and relayed by a node key, key-update
 * revocation, and openings published in a dispute.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromB64u, toB64u } from '@medledger/crypto';
import {
  GroupManager,
  groupPublicKeyToBytes,
  groupRevocationToBytes,
  groupSign,
  groupSignatureToBytes,
  groupSignatureFromBytes,
  updateGroupMemberKey,
  type GroupMemberKey,
  type GroupPublicKey,
} from '@medledger/crypto/groupsig';
import { txIdOf } from '../src/index.js';
import { GROUP_SUBMIT, anonymousMessage, getAnonTx, getGroup } from '../src/contracts/anonymity/index.js';
import { anonWorld, type AnonWorld } from './anonymity-world.js';

const G = 'oncology-hospitalB';

async function setup(): Promise<{
  w: AnonWorld;
  gm: GroupManager;
  bob: GroupMemberKey;
  chen: GroupMemberKey;
}> {
  const w = await anonWorld();
  const gm = GroupManager.create(G);
  const bob = gm.addMember(w.m.bob!.id);
  const chen = gm.addMember(w.m.chen!.id);
  const reg = w.tx('org:hospitalB', 'anon.group.register', {
    groupId: G,
    publicKey: toB64u(groupPublicKeyToBytes(gm.publicKey)),
    description: 'oncology doctors of hospital B',
  });
  assert.deepEqual(w.run(reg), ['OK']);
  return { w, gm, bob, chen };
}

function submit(w: AnonWorld, gm: GroupManager, key: GroupMemberKey, gpk: GroupPublicKey = gm.publicKey) {
  const payload = w.anon(
    GROUP_SUBMIT,
    { groupId: G, epoch: key.epoch, statement: { kind: 'adverse-event', drug: 'x-12' } },
    (m) => groupSignatureToBytes(groupSign(gpk, key, m)),
  );
  return w.tx('node:hospitalA', GROUP_SUBMIT, payload);
}

test('groupsig ledger: a member’s group-signed statement commits; the ledger learns only the group and the relay', async () => {
  const { w, gm, bob } = await setup();
  const tx = submit(w, gm, bob);
  assert.deepEqual(w.run(tx), ['OK']);
  const entry = getAnonTx(w.c.reader, txIdOf(tx.body))!;
  assert.deepEqual(
    { kind: entry.kind, subject: entry.subject, relay: entry.relay },
    { kind: 'group', subject: G, relay: 'node:hospitalA' },
  );
  assert.ok(!JSON.stringify(entry).includes(w.m.bob!.id), 'the state entry does not name the signer');
  assert.ok(!JSON.stringify(tx).includes(w.m.bob!.id), 'the transaction does not name the signer');
  assert.equal(gm.open(anonymousMessage(w.f.chainId, GROUP_SUBMIT, unsigned(tx)), sigOf(tx)), w.m.bob!.id);
});

const unsigned = (tx: { body: { payload: Record<string, unknown> } }) => {
  const { signature: _s, ...rest } = tx.body.payload;
  return rest as never;
};
const sigOf = (tx: { body: { payload: Record<string, unknown> } }) =>
  groupSignatureFromBytes(fromB64u(tx.body.payload.signature as string));

test('groupsig ledger: a non-member’s forgery (own group key, same group id) is rejected', async () => {
  const { w } = await setup();
  const rogue = GroupManager.create(G);
  const key = rogue.addMember(w.m.dana!.id);
  assert.deepEqual(w.run(submit(w, rogue, key)), ['BAD_GROUP_SIGNATURE']);
});

test('groupsig ledger: a tampered statement, a replay through another relay and a member-signed relay are rejected', async () => {
  const { w, gm, bob } = await setup();
  const tx = submit(w, gm, bob);
  const tampered = w.tx('node:hospitalA', GROUP_SUBMIT, {
    ...tx.body.payload,
    statement: { kind: 'adverse-event', drug: 'y-99' },
  });
  assert.deepEqual(w.run(tampered), ['BAD_GROUP_SIGNATURE']);
  assert.deepEqual(w.run(tx), ['OK']);
  const replay = w.tx('node:hospitalB', GROUP_SUBMIT, tx.body.payload);
  assert.deepEqual(w.run(replay), ['ANON_REPLAY']);
  const byMember = w.tx(w.m.chen!, GROUP_SUBMIT, submit(w, gm, bob).body.payload);
  assert.deepEqual(w.run(byMember), ['UNAUTHORIZED']);
  const old = w.anon(
    GROUP_SUBMIT,
    { groupId: G, epoch: 0, statement: { kind: 'late' } },
    (m) => groupSignatureToBytes(groupSign(gm.publicKey, bob, m)),
    w.t - 2 * 3_600_000,
  );
  assert.deepEqual(w.run(w.tx('node:hospitalA', GROUP_SUBMIT, old)), ['ANON_EXPIRED']);
});

test('groupsig ledger: after a revocation the revoked member’s new signatures are rejected; others update and go on', async () => {
  const { w, gm, bob, chen } = await setup();
  const gpk0 = gm.publicKey;
  const r = gm.revoke(w.m.bob!.id);
  const byOther = w.tx('org:hospitalA', 'anon.group.revoke', {
    groupId: G,
    revocation: toB64u(groupRevocationToBytes(r)),
  });
  assert.deepEqual(w.run(byOther), ['UNAUTHORIZED'], 'only the manager revokes');
  const rev = w.tx('node:hospitalB', 'anon.group.revoke', {
    groupId: G,
    revocation: toB64u(groupRevocationToBytes(r)),
  });
  assert.deepEqual(w.run(rev), ['OK']);
  assert.equal(getGroup(w.c.reader, G)!.epoch, 1);
  assert.deepEqual(w.run(submit(w, gm, bob, gpk0)), ['GROUP_EPOCH_STALE'], 'old key, old epoch');
  // Claiming the new epoch does not help: the old key does not verify under the new group key.
  const payload = w.anon(GROUP_SUBMIT, { groupId: G, epoch: 1, statement: { kind: 'x' } }, (m) =>
    groupSignatureToBytes(groupSign(gpk0, bob, m)),
  );
  assert.deepEqual(w.run(w.tx('node:hospitalA', GROUP_SUBMIT, payload)), ['BAD_GROUP_SIGNATURE']);
  assert.throws(() => updateGroupMemberKey(bob, r), RangeError, 'the revoked member cannot update');
  const chen1 = updateGroupMemberKey(chen, r);
  assert.deepEqual(w.run(submit(w, gm, chen1)), ['OK']);
  assert.deepEqual(w.run(rev), ['DUPLICATE_TX']);
  const again = w.tx('node:hospitalB', 'anon.group.revoke', {
    groupId: G,
    revocation: toB64u(groupRevocationToBytes(r)),
  });
  assert.deepEqual(w.run(again), ['BAD_REVOCATION'], 'a revocation of an earlier epoch');
});

test('groupsig ledger: only the manager publishes an opening, once, of a group-signed transaction', async () => {
  const { w, gm, bob } = await setup();
  const tx = submit(w, gm, bob);
  assert.deepEqual(w.run(tx), ['OK']);
  const id = txIdOf(tx.body);
  const opened = gm.open(anonymousMessage(w.f.chainId, GROUP_SUBMIT, unsigned(tx)), sigOf(tx))!;
  const claim = { txId: id, memberId: opened, reason: 'dispute 17' };
  assert.deepEqual(w.run(w.tx('org:hospitalA', 'anon.group.opening', claim)), ['UNAUTHORIZED']);
  assert.deepEqual(w.run(w.tx('org:hospitalB', 'anon.group.opening', claim)), ['OK']);
  assert.deepEqual(w.run(w.tx('org:hospitalB', 'anon.group.opening', claim)), ['ALREADY_OPENED']);
  assert.deepEqual(w.run(w.tx('org:hospitalB', 'anon.group.opening', { ...claim, txId: 'ab'.repeat(32) })), [
    'UNKNOWN_TX',
  ]);
});

test('groupsig ledger: registration is by an org root key, once per group id, with a valid key', async () => {
  const { w, gm } = await setup();
  const pk = toB64u(groupPublicKeyToBytes(gm.publicKey));
  assert.deepEqual(
    w.run(w.tx('org:hospitalA', 'anon.group.register', { groupId: G, publicKey: pk, description: 'x' })),
    ['GROUP_EXISTS'],
  );
  assert.deepEqual(
    w.run(w.tx(w.m.bob!, 'anon.group.register', { groupId: 'g2', publicKey: pk, description: 'x' })),
    ['UNAUTHORIZED'],
  );
  const bad = new Uint8Array(388).fill(7);
  assert.deepEqual(
    w.run(
      w.tx('org:hospitalA', 'anon.group.register', {
        groupId: 'g3',
        publicKey: toB64u(bad),
        description: 'x',
      }),
    ),
    ['BAD_GROUP_KEY'],
  );
});
