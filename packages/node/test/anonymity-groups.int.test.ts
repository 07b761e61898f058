/**
 * Flow 2 of issue 5, through a real node and its HTTP API: a group registered by its manager
 * (hospital B), member keys issued to eligible members, group-signed statements relayed by a
 * node, opening by the manager only, revocation by a ledger transaction.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromB64u } from '@medledger/crypto';
import {
  GroupManager,
  groupMemberKeyFromBytes,
  groupPublicKeyFromBytes,
  groupRevocationFromBytes,
  groupSignatureFromBytes,
  openWith,
  updateGroupMemberKey,
  type GroupMemberKey,
} from '@medledger/crypto/groupsig';
import { MedledgerHttpError } from '@medledger/client';
import { groupSignedPayload } from '@medledger/client';
import { getAnonTx } from '@medledger/core/contracts/anonymity';
import { makeAnonLedger, type AnonLedger } from './helpers/anonymity.js';

const G = 'oncology-hospitalB';

async function statement(a: AnonLedger, key: GroupMemberKey, text: string): Promise<string> {
  const { group } = await a.anon.group(G);
  const payload = groupSignedPayload({
    chainId: a.t.node.chainId,
    groupId: G,
    groupPublicKey: groupPublicKeyFromBytes(fromB64u(group.publicKey)),
    memberKey: key,
    statement: { kind: 'adverse-event', text },
    createdAt: Date.now(),
  });
  const r = await a.anon.relay('anon.group.submit', payload, { waitMs: 10_000 });
  assert.equal(r.receipt?.code, 'OK');
  return r.txId;
}

const rejects = (code: string) => (e: unknown) => e instanceof MedledgerHttpError && e.code === code;

test('group signatures: a member’s statement commits as "a member of G, relayed by node N"; the manager opens it, nobody else can', async () => {
  const a = await makeAnonLedger();
  try {
    await a.commit(a.groupB.registrationTx(a.t.orgWallet('hospitalB'), 'oncology doctors of hospital B'));
    const bob = groupMemberKeyFromBytes(await a.anon.groupMemberKey({ groupId: G, ...a.signer('bob') }));
    await a.anon.groupMemberKey({ groupId: G, ...a.signer('chen') });
    await assert.rejects(
      a.anon.groupMemberKey({ groupId: G, ...a.signer('carol') }),
      rejects('FORBIDDEN'),
      'a nurse is not eligible',
    );

    const txId = await statement(a, bob, 'grade 3 neutropenia, cycle 2');
    const t = a.t.node.getTxWithProof(txId)!;
    assert.deepEqual(t.tx.body.signers, ['node:hospitalA']);
    assert.ok(!JSON.stringify(t.tx).includes(a.id('bob')), 'the transaction does not name the signer');
    assert.deepEqual(getAnonTx(a.t.node.store, txId), {
      kind: 'group',
      subject: G,
      relay: 'node:hospitalA',
      height: t.receipt.height,
      time: t.header.time,
    });

    assert.equal(
      await a.anon.open({ groupId: G, txId, ...a.signer('audrey') }),
      a.id('bob'),
      'the manager’s auditor opens',
    );
    await assert.rejects(
      a.anon.open({ groupId: G, txId, ...a.signer('alice') }),
      rejects('NOT_GROUP_MANAGER'),
    );
    await assert.rejects(
      a.anon.open({ groupId: G, txId, ...a.signer('chen') }),
      rejects('NOT_GROUP_MANAGER'),
      'a member cannot open',
    );
    // Anyone else's opening key finds no member, even with the member table.
    const other = GroupManager.create(G);
    const payload = t.tx.body.payload as { signature: string } & Record<string, never>;
    const sig = groupSignatureFromBytes(fromB64u(payload.signature));
    const table = [{ id: a.id('bob'), A: bob.A }];
    assert.equal(openWith(other.openingKey, table, sig), null);
  } finally {
    await a.close();
  }
});

test('group signatures: a non-member’s forgery is refused at the relay; a replay is refused', async () => {
  const a = await makeAnonLedger();
  try {
    await a.commit(a.groupB.registrationTx(a.t.orgWallet('hospitalB'), 'oncology doctors of hospital B'));
    const rogue = GroupManager.create(G);
    const fake = rogue.addMember('carol');
    const payload = groupSignedPayload({
      chainId: a.t.node.chainId,
      groupId: G,
      groupPublicKey: rogue.publicKey,
      memberKey: fake,
      statement: { kind: 'x' },
      createdAt: Date.now(),
    });
    await assert.rejects(a.anon.relay('anon.group.submit', payload), rejects('BAD_GROUP_SIGNATURE'));
    const bob = groupMemberKeyFromBytes(await a.anon.groupMemberKey({ groupId: G, ...a.signer('bob') }));
    const txId = await statement(a, bob, 'once');
    const again = a.t.node.getTxWithProof(txId)!.tx.body.payload;
    await assert.rejects(a.anon.relay('anon.group.submit', again as never), rejects('ANON_REPLAY'));
  } finally {
    await a.close();
  }
});

test('group signatures: after the manager revokes a member on the ledger, its new signatures are refused; others update and go on', async () => {
  const a = await makeAnonLedger();
  try {
    await a.commit(a.groupB.registrationTx(a.t.orgWallet('hospitalB'), 'oncology doctors of hospital B'));
    const bob = groupMemberKeyFromBytes(await a.anon.groupMemberKey({ groupId: G, ...a.signer('bob') }));
    const chen = groupMemberKeyFromBytes(await a.anon.groupMemberKey({ groupId: G, ...a.signer('chen') }));
    const before = await statement(a, bob, 'before revocation');
    const { group: g0 } = await a.anon.group(G);
    const receipt = await a.groupB.revoke(a.id('bob'));
    assert.equal(receipt.code, 'OK');
    const { group, revocations } = await a.anon.group(G);
    assert.equal(group.epoch, 1);
    const rev = groupRevocationFromBytes(fromB64u(revocations[0]!));
    assert.throws(() => updateGroupMemberKey(bob, rev), RangeError);
    const stale = groupSignedPayload({
      chainId: a.t.node.chainId,
      groupId: G,
      groupPublicKey: groupPublicKeyFromBytes(fromB64u(g0.publicKey)),
      memberKey: bob,
      statement: { kind: 'after revocation' },
      createdAt: Date.now(),
    });
    await assert.rejects(a.anon.relay('anon.group.submit', stale), rejects('GROUP_EPOCH_STALE'));
    await assert.rejects(
      a.anon.relay('anon.group.submit', { ...stale, epoch: 1 }),
      rejects('BAD_GROUP_SIGNATURE'),
      'the old key does not verify under the new group key',
    );
    const after = await statement(a, updateGroupMemberKey(chen, rev), 'after revocation');
    assert.equal(await a.anon.open({ groupId: G, txId: after, ...a.signer('audrey') }), a.id('chen'));
    assert.equal(
      await a.anon.open({ groupId: G, txId: before, ...a.signer('audrey') }),
      a.id('bob'),
      'older epochs still open',
    );
  } finally {
    await a.close();
  }
});
