import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { utf8 } from '../src/bytes.js';
import { initPairing } from '../src/pairing.js';
import {
  AbeAuthorityPublicKey,
  AbeAuthoritySecretKey,
  AbeCiphertext,
  AbeUserKey,
  abeDecrypt,
  abeDecryptPairings,
  abeEncrypt,
  createAbeAuthority,
  issueAbeUserKey,
} from '../src/abe.js';

const POLICY = '(doctor@hospitalB AND oncology@hospitalB) OR researcher@institute';
let hb: ReturnType<typeof createAbeAuthority>;
let inst: ReturnType<typeof createAbeAuthority>;
let pks: AbeAuthorityPublicKey[];

before(async () => {
  await initPairing();
  hb = createAbeAuthority('hospitalB');
  inst = createAbeAuthority('institute');
  pks = [hb.publicKey, inst.publicKey];
});

const record = utf8('{"resourceType":"Observation","code":"C50.9"}');

test('rw15: oncologist of hospital B and a researcher decrypt; a doctor alone does not', () => {
  const ct = abeEncrypt(POLICY, pks, record);
  const alice = [
    issueAbeUserKey(hb.secretKey, 'alice', 'doctor@hospitalB'),
    issueAbeUserKey(hb.secretKey, 'alice', 'oncology@hospitalB'),
  ];
  assert.deepEqual(abeDecrypt(ct, alice), record);
  const rita = issueAbeUserKey(inst.secretKey, 'rita', 'researcher@institute');
  assert.deepEqual(abeDecrypt(ct, [rita]), record);
  assert.throws(() => abeDecrypt(ct, [alice[0]!]), /do not satisfy/);
});

test('rw15: collusion of two users (different GIDs) whose attributes jointly satisfy the policy fails', () => {
  const ct = abeEncrypt(POLICY, pks, record);
  const bob = issueAbeUserKey(hb.secretKey, 'bob', 'doctor@hospitalB');
  const carol = issueAbeUserKey(hb.secretKey, 'carol', 'oncology@hospitalB');
  assert.throws(() => abeDecrypt(ct, [bob, carol]), /different GIDs/);
  // The API check is not the protection: relabel carol's key as bob's; the algebra refuses.
  const forged = new AbeUserKey('bob', carol.attribute, carol.k, carol.kPrime);
  assert.throws(() => abeDecrypt(ct, [bob, forged]), /ABE decryption failed/);
  const forged2 = new AbeUserKey('carol', bob.attribute, bob.k, bob.kPrime);
  assert.throws(() => abeDecrypt(ct, [forged2, carol]), /ABE decryption failed/);
});

test('rw15: a key of the right attribute name from the wrong authority does not decrypt', () => {
  const fake = createAbeAuthority('hospitalB'); // an impostor with the same name
  const ct = abeEncrypt(POLICY, pks, record);
  const keys = ['doctor@hospitalB', 'oncology@hospitalB'].map((a) =>
    issueAbeUserKey(fake.secretKey, 'eve', a),
  );
  assert.throws(() => abeDecrypt(ct, keys), /ABE decryption failed/);
  assert.throws(
    () => issueAbeUserKey(hb.secretKey, 'eve', 'researcher@institute'),
    /not issued by this authority/,
  );
});

test('rw15: tampered ciphertext, policy or aad is rejected by AES-GCM', () => {
  const aad = utf8('record-42');
  const ct = abeEncrypt(POLICY, pks, record, { aad });
  const rita = issueAbeUserKey(inst.secretKey, 'rita', 'researcher@institute');
  assert.deepEqual(abeDecrypt(ct, [rita], aad), record);
  assert.throws(() => abeDecrypt(ct, [rita], utf8('record-43')), /ABE decryption failed/);
  const body = ct.sealed.slice();
  body[0]! ^= 1;
  assert.throws(() => abeDecrypt(new AbeCiphertext(ct.policy, ct.rows, ct.iv, body), [rita], aad), /failed/);
  // Swap the policy for a weaker one that still parses with the same number of leaves.
  const weaker = '(doctor@hospitalB OR oncology@hospitalB) OR researcher@institute';
  assert.throws(
    () => abeDecrypt(new AbeCiphertext(weaker, ct.rows, ct.iv, ct.sealed), [rita], aad),
    /failed/,
  );
  const rows = [ct.rows[0]!, ct.rows[1]!, { ...ct.rows[2]!, c4: ct.rows[0]!.c4 }];
  assert.throws(
    () => abeDecrypt(new AbeCiphertext(ct.policy, rows, ct.iv, ct.sealed), [rita], aad),
    /failed/,
  );
});

test('rw15: k-of-n, AND and OR policies decrypt exactly when satisfied (random subsets)', () => {
  const attrs = ['a@hospitalB', 'b@hospitalB', 'c@institute', 'd@institute'];
  const keys = new Map(
    attrs.map((a) => [a, issueAbeUserKey(a.endsWith('B') ? hb.secretKey : inst.secretKey, 'u', a)]),
  );
  const policies: Array<[string, (s: Set<string>) => boolean]> = [
    [
      '2 of (a@hospitalB, b@hospitalB, c@institute)',
      (s) => ['a', 'b', 'c'].filter((x) => has(s, x)).length >= 2,
    ],
    ['a@hospitalB AND (c@institute OR d@institute)', (s) => has(s, 'a') && (has(s, 'c') || has(s, 'd'))],
    [
      '3 of (a@hospitalB, b@hospitalB, c@institute, d@institute) OR (a@hospitalB AND d@institute)',
      (s) => ['a', 'b', 'c', 'd'].filter((x) => has(s, x)).length >= 3 || (has(s, 'a') && has(s, 'd')),
    ],
  ];
  const cts = policies.map(([p]) => abeEncrypt(p, pks, record));
  fc.assert(
    fc.property(fc.subarray(attrs, { minLength: 1 }), fc.nat({ max: policies.length - 1 }), (sub, i) => {
      const s = new Set(sub);
      const mine = sub.map((a) => keys.get(a)!);
      if (policies[i]![1](s)) assert.deepEqual(abeDecrypt(cts[i]!, mine), record);
      else assert.throws(() => abeDecrypt(cts[i]!, mine), /do not satisfy/);
    }),
    { numRuns: 12 },
  );
});
function has(s: Set<string>, x: string): boolean {
  return [...s].some((a) => a.startsWith(`${x}@`));
}

test('rw15: every object round-trips through bytes; malformed bytes throw TypeError', () => {
  const ct = abeEncrypt(POLICY, pks, record);
  const k = issueAbeUserKey(inst.secretKey, 'rita', 'researcher@institute');
  const ct2 = AbeCiphertext.fromBytes(ct.toBytes());
  const k2 = AbeUserKey.fromBytes(k.toBytes());
  assert.deepEqual(ct2.toBytes(), ct.toBytes());
  assert.deepEqual(abeDecrypt(ct2, [k2]), record);
  const pk2 = AbeAuthorityPublicKey.fromBytes(inst.publicKey.toBytes());
  assert.deepEqual(pk2.toBytes(), inst.publicKey.toBytes());
  const sk2 = AbeAuthoritySecretKey.fromBytes(inst.secretKey.toBytes());
  assert.deepEqual(sk2.publicKey().toBytes(), inst.publicKey.toBytes());
  const b = ct.toBytes();
  for (const bad of [
    b.subarray(0, b.length - 1),
    b.subarray(0, 40),
    new Uint8Array(0),
    utf8('hello'),
    k.toBytes(),
  ]) {
    assert.throws(() => AbeCiphertext.fromBytes(bad), TypeError);
  }
  assert.throws(() => AbeUserKey.fromBytes(ct.toBytes()), TypeError);
  const lower = POLICY.replace(' AND ', ' and ');
  const nonCanonical = new AbeCiphertext(lower, ct.rows, ct.iv, ct.sealed).toBytes();
  assert.throws(() => AbeCiphertext.fromBytes(nonCanonical), /canonical/);
  assert.throws(() => AbeCiphertext.fromBytes('abc' as unknown as Uint8Array), TypeError);
  const kb = k.toBytes();
  kb[kb.length - 3]! ^= 0x55;
  assert.throws(() => AbeUserKey.fromBytes(kb), TypeError);
});

test('rw15: decryption needs 2|plan|+1 pairings; OR picks the cheapest branch', () => {
  const ct = abeEncrypt(POLICY, pks, record);
  assert.equal(abeDecryptPairings(ct, ['researcher@institute']), 3);
  assert.equal(abeDecryptPairings(ct, ['doctor@hospitalB', 'oncology@hospitalB']), 5);
  assert.equal(abeDecryptPairings(ct, ['doctor@hospitalB', 'oncology@hospitalB', 'researcher@institute']), 3);
  assert.equal(abeDecryptPairings(ct, ['doctor@hospitalB']), null);
  assert.throws(() => abeEncrypt(POLICY, [hb.publicKey], record), /no public key for the authority/);
});
