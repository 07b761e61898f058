import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { utf8 } from '../src/bytes.js';
import {
  GroupManager,
  groupMemberKeyFromBytes,
  groupMemberKeyToBytes,
  groupPublicKeyFromBytes,
  groupPublicKeyToBytes,
  groupRevocationFromBytes,
  groupRevocationToBytes,
  groupSign,
  groupSignatureFromBytes,
  groupSignatureToBytes,
  groupVerify,
  isGroupMemberKey,
  nextGroupPublicKey,
  openToA,
  openWith,
  updateGroupMemberKey,
  type GroupMemberKey,
} from '../src/groupsig.js';
import { g1ToBytes, mulG1, randomScalar } from '../src/groupsig-algebra.js';
import { randomBytes } from '../src/random.js';

const gm = GroupManager.create('trial-42-sites');
const keys = new Map<string, GroupMemberKey>(
  ['site-a', 'site-b', 'site-c', 'site-d'].map((id) => [id, gm.addMember(id)]),
);

test('bbs04: any member signs; the verifier accepts; the manager opens to the signer (random messages)', () => {
  const gpk = groupPublicKeyFromBytes(groupPublicKeyToBytes(gm.publicKey));
  fc.assert(
    fc.property(fc.constantFrom(...keys.keys()), fc.uint8Array({ maxLength: 100 }), (id, msg) => {
      const key = groupMemberKeyFromBytes(groupMemberKeyToBytes(keys.get(id)!));
      assert.ok(isGroupMemberKey(gpk, key));
      const sig = groupSignatureFromBytes(groupSignatureToBytes(groupSign(gpk, key, msg)));
      assert.ok(groupVerify(gpk, msg, sig));
      assert.equal(gm.open(msg, sig), id);
    }),
    { numRuns: 6 },
  );
});

test('bbs04: tampered message, signature or group key fails verification', () => {
  const msg = utf8('tx-body');
  const sig = groupSign(gm.publicKey, keys.get('site-a')!, msg);
  assert.ok(groupVerify(gm.publicKey, msg, sig));
  assert.equal(groupVerify(gm.publicKey, utf8('tx-bodY'), sig), false);
  for (let i = 0; i < 5; i++) {
    const s = [...sig.s] as typeof sig.s;
    s[i] = s[i]! + 1n;
    assert.equal(groupVerify(gm.publicKey, msg, { ...sig, s }), false, `s${i}`);
  }
  assert.equal(groupVerify(gm.publicKey, msg, { ...sig, c: sig.c + 1n }), false);
  assert.equal(groupVerify(gm.publicKey, msg, { ...sig, T3: sig.T3.add(gm.publicKey.h) }), false, 'T3 moved');
  const other = GroupManager.create('other-group');
  assert.equal(groupVerify(other.publicKey, msg, sig), false, 'other group');
  const bytes = groupSignatureToBytes(sig);
  assert.throws(() => groupSignatureFromBytes(bytes.subarray(1)), TypeError);
  const bad = bytes.slice();
  bad.fill(0xff, 3 * 48, 3 * 48 + 32);
  assert.throws(() => groupSignatureFromBytes(bad), /non-canonical scalar/);
  const badPoint = bytes.slice();
  badPoint[5]! ^= 0x55;
  assert.throws(() => groupSignatureFromBytes(badPoint), TypeError);
});

test('bbs04: a non-member cannot forge: a self-made key or another group key fails', () => {
  const msg = utf8('tx');
  const gpk = gm.publicKey;
  const x = randomScalar(randomBytes);
  const fake: GroupMemberKey = { epoch: gpk.epoch, A: mulG1(gpk.g1, randomScalar(randomBytes)), x };
  assert.equal(isGroupMemberKey(gpk, fake), false);
  const forged = groupSign(gpk, fake, msg);
  assert.equal(groupVerify(gpk, msg, forged), false);
  const outsider = GroupManager.create('trial-42-sites');
  const sig = groupSign(outsider.publicKey, outsider.addMember('mallory'), msg);
  assert.equal(groupVerify(gpk, msg, sig), false, 'same group name, other issuer');
  assert.equal(gm.open(msg, sig), null);
});

test('bbs04: a wrong opening key opens to no member; the right one to the signer', () => {
  const msg = utf8('audit me');
  const sig = groupSign(gm.publicKey, keys.get('site-c')!, msg);
  const table = gm.memberTable();
  assert.equal(openWith(gm.openingKey, table, sig), 'site-c');
  for (let i = 0; i < 3; i++) {
    const wrong = { xi1: randomScalar(randomBytes), xi2: randomScalar(randomBytes) };
    assert.equal(openWith(wrong, table, sig), null);
  }
  const halfWrong = { xi1: gm.openingKey.xi1, xi2: gm.openingKey.xi2 + 1n };
  assert.equal(openWith(halfWrong, table, sig), null);
});

test('bbs04: signatures of one member are unlinkable at the byte level; T-values are fresh', () => {
  const msg = utf8('same message');
  const key = keys.get('site-b')!;
  const a = groupSignatureToBytes(groupSign(gm.publicKey, key, msg));
  const b = groupSignatureToBytes(groupSign(gm.publicKey, key, msg));
  for (let i = 0; i < 9; i++) {
    const o = i < 3 ? i * 48 : 144 + (i - 3) * 32;
    const l = i < 3 ? 48 : 32;
    assert.notDeepEqual(a.subarray(o, o + l), b.subarray(o, o + l), `field ${i}`);
  }
  assert.ok(!Buffer.from(a).includes(Buffer.from(g1ToBytes(key.A))), 'A never appears');
});

test('bbs04 §7: revocation advances the epoch; the revoked member can neither update nor sign', () => {
  const g = GroupManager.create('revocation-group');
  const ka = g.addMember('a');
  const kb = g.addMember('b');
  const kc = g.addMember('c');
  const msg = utf8('after revocation');
  const old = g.publicKey;
  const oldSig = groupSign(old, kb, msg);
  const rev = groupRevocationFromBytes(groupRevocationToBytes(g.revoke('b')));
  const next = nextGroupPublicKey(old, rev);
  assert.ok(next);
  assert.deepEqual(
    groupPublicKeyToBytes(next),
    groupPublicKeyToBytes(g.publicKey),
    'anyone derives the new key',
  );
  assert.equal(groupVerify(next, msg, oldSig), false, 'old-epoch signature refused under the new key');
  assert.throws(() => updateGroupMemberKey(kb, rev), /revoked/);
  assert.throws(() => groupSign(next, kb, msg), /another epoch/);
  assert.equal(groupVerify(next, msg, groupSign(next, { ...kb, epoch: next.epoch }, msg)), false);
  const ka1 = updateGroupMemberKey(ka, rev);
  const kc1 = updateGroupMemberKey(kc, rev);
  assert.ok(isGroupMemberKey(next, ka1) && isGroupMemberKey(next, kc1));
  const s = groupSign(next, ka1, msg);
  assert.ok(groupVerify(next, msg, s));
  assert.equal(g.open(msg, s), 'a');
  const forgedRev = { ...rev, x: rev.x + 1n };
  assert.equal(
    nextGroupPublicKey(old, { ...forgedRev, A: mulG1(old.g1, 5n) }),
    null,
    'inconsistent revocation',
  );
  assert.equal(openToA(g.openingKey, s).length, 48);
});

test('bbs04 manager state: a restored manager opens, revokes and issues as the original; a state with another issuing, opening or member key is refused', () => {
  const m = GroupManager.create('restore-test');
  const a = m.addMember('a');
  m.addMember('b');
  const msg = utf8('before the restart');
  const sig = groupSign(m.publicKey, a, msg);
  const restored = GroupManager.fromState(m.exportState());
  assert.equal(restored.open(msg, sig), 'a');
  assert.deepEqual(groupPublicKeyToBytes(restored.publicKey), groupPublicKeyToBytes(m.publicKey));
  const r = restored.revoke('b');
  const a1 = updateGroupMemberKey(a, r);
  assert.ok(isGroupMemberKey(restored.publicKey, a1), 'a remaining member updates after the restored revoke');
  assert.ok(isGroupMemberKey(restored.publicKey, restored.addMember('c')));
  const other = GroupManager.create('restore-test').exportState();
  const s = m.exportState();
  assert.throws(() => GroupManager.fromState({ ...s, gamma: other.gamma }), /issuing key/);
  assert.throws(() => GroupManager.fromState({ ...s, xi1: other.xi1 }), /opening key/);
  const bad = { ...s, members: [{ ...s.members[0]!, x: other.gamma }] };
  assert.throws(() => GroupManager.fromState(bad), /member key/);
});
