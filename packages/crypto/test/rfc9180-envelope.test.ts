import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  type KeyObject,
} from 'node:crypto';
import fc from 'fast-check';
import { Aes128Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import {
  addReceivers,
  encryptionPublicKeyOf,
  envelopeFromJson,
  envelopeReceiverIds,
  envelopeToJson,
  generateEncryptionKeyPair,
  isShredded,
  openEnvelope,
  removeReceivers,
  sealEnvelope,
  shredEnvelope,
  type Envelope,
  type EnvelopeJson,
} from '../src/envelope.js';
import { concatBytes, equalBytes, fromHex, toHex, utf8, type RandomSource } from '../src/bytes.js';

// RFC 9180 Appendix A.1: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, base mode
// (the RFC has no X25519 vector with AES-256-GCM; only the AEAD key length differs).
const A1 = {
  info: '4f6465206f6e2061204772656369616e2055726e',
  ikmE: '7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234',
  pkEm: '37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431',
  skEm: '52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736',
  ikmR: '6db9df30aa07dd42ee5e8181afdb977e538f5e1fec8a06223f33f7013e525037',
  pkRm: '3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d',
  skRm: '4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8',
  sharedSecret: 'fe0e18c9f024ce43799ae393c7e8fe8fce9d218875e8227b0187c04e7d2ea1fc',
  keyScheduleContext:
    '00725611c9d98c07c03f60095cd32d400d8347d45ed67097bbad50fc56da742d07' +
    'cb6cffde367bb0565ba28bb02c90744a20f5ef37f30523526106f637abb05449',
  secret: '12fff91991e93b48de37e7daddb52981084bd8aa64289c3788471d9a9712f397',
  key: '4531685d41d65f03dc48f6b8302c05b0',
  baseNonce: '56d890e5accaaf011cff4b7d',
  pt: '4265617574792069732074727574682c20747275746820626561757479',
  aad0: '436f756e742d30',
  ct0: 'f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a',
};

// ---- A second, independent HPKE base-mode implementation from node:crypto primitives. ----
const X25519_PKCS8 = fromHex('302e020100300506032b656e04220420');
const X25519_SPKI = fromHex('302a300506032b656e032100');
const skObj = (sk: Uint8Array): KeyObject =>
  createPrivateKey({ key: Buffer.from(concatBytes(X25519_PKCS8, sk)), format: 'der', type: 'pkcs8' });
const pkObj = (pk: Uint8Array): KeyObject =>
  createPublicKey({ key: Buffer.from(concatBytes(X25519_SPKI, pk)), format: 'der', type: 'spki' });
const pkOf = (sk: Uint8Array): Uint8Array =>
  new Uint8Array(createPublicKey(skObj(sk)).export({ format: 'der', type: 'spki' })).slice(12);
const dh = (sk: Uint8Array, pk: Uint8Array): Uint8Array =>
  new Uint8Array(diffieHellman({ privateKey: skObj(sk), publicKey: pkObj(pk) }));
const hmac = (k: Uint8Array, d: Uint8Array): Uint8Array =>
  new Uint8Array(createHmac('sha256', k).update(d).digest());
const i2osp = (n: number, len: number): Uint8Array => {
  const b = new Uint8Array(len);
  for (let i = len - 1, v = n; i >= 0; i--, v >>= 8) b[i] = v & 0xff;
  return b;
};
const expand = (prk: Uint8Array, info: Uint8Array, len: number): Uint8Array => {
  let t: Uint8Array = new Uint8Array(0);
  let out: Uint8Array = new Uint8Array(0);
  for (let i = 1; out.length < len; i++) {
    t = hmac(prk, concatBytes(t, info, Uint8Array.of(i)));
    out = concatBytes(out, t);
  }
  return out.slice(0, len);
};
const V1 = utf8('HPKE-v1');
const kemSuite = concatBytes(utf8('KEM'), i2osp(0x20, 2));
const hpkeSuite = (aeadId: number) =>
  concatBytes(utf8('HPKE'), i2osp(0x20, 2), i2osp(1, 2), i2osp(aeadId, 2));
const labeledExtract = (sid: Uint8Array, salt: Uint8Array, label: string, ikm: Uint8Array) =>
  hmac(salt, concatBytes(V1, sid, utf8(label), ikm));
const labeledExpand = (sid: Uint8Array, prk: Uint8Array, label: string, info: Uint8Array, len: number) =>
  expand(prk, concatBytes(i2osp(len, 2), V1, sid, utf8(label), info), len);
const deriveKeyPair = (ikm: Uint8Array) => {
  const prk = labeledExtract(kemSuite, new Uint8Array(0), 'dkp_prk', ikm);
  const sk = labeledExpand(kemSuite, prk, 'sk', new Uint8Array(0), 32);
  return { sk, pk: pkOf(sk) };
};
const kemSharedSecret = (dhOut: Uint8Array, enc: Uint8Array, pkR: Uint8Array) => {
  const prk = labeledExtract(kemSuite, new Uint8Array(0), 'eae_prk', dhOut);
  return labeledExpand(kemSuite, prk, 'shared_secret', concatBytes(enc, pkR), 32);
};
const keySchedule = (ss: Uint8Array, info: Uint8Array, nk: number, aeadId: number) => {
  const sid = hpkeSuite(aeadId);
  const empty = new Uint8Array(0);
  const pskIdHash = labeledExtract(sid, empty, 'psk_id_hash', empty);
  const infoHash = labeledExtract(sid, empty, 'info_hash', info);
  const context = concatBytes(Uint8Array.of(0), pskIdHash, infoHash);
  const secret = labeledExtract(sid, ss, 'secret', empty);
  return {
    context,
    secret,
    key: labeledExpand(sid, secret, 'key', context, nk),
    nonce: labeledExpand(sid, secret, 'base_nonce', context, 12),
  };
};
const gcm = (key: Uint8Array) => (key.length === 16 ? 'aes-128-gcm' : 'aes-256-gcm');
const aeadSeal = (key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, pt: Uint8Array) => {
  const c = createCipheriv(gcm(key), key, nonce);
  c.setAAD(aad);
  return concatBytes(c.update(pt), c.final(), c.getAuthTag());
};
const aeadOpen = (key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ct: Uint8Array) => {
  const d = createDecipheriv(gcm(key), key, nonce);
  d.setAAD(aad);
  d.setAuthTag(ct.subarray(ct.length - 16));
  return concatBytes(d.update(ct.subarray(0, ct.length - 16)), d.final());
};
/** Independent HPKE base-mode open (aeadId 1 = AES-128-GCM, 2 = AES-256-GCM). */
const refOpen = (
  skR: Uint8Array,
  enc: Uint8Array,
  info: Uint8Array,
  aad: Uint8Array,
  ct: Uint8Array,
  aeadId = 2,
) => {
  const ss = kemSharedSecret(dh(skR, enc), enc, pkOf(skR));
  const ks = keySchedule(ss, info, aeadId === 1 ? 16 : 32, aeadId);
  return aeadOpen(ks.key, ks.nonce, aad, ct);
};
/** Independent HPKE base-mode seal with a deterministic ephemeral key. */
const refSeal = (pkR: Uint8Array, ikmE: Uint8Array, info: Uint8Array, aad: Uint8Array, pt: Uint8Array) => {
  const e = deriveKeyPair(ikmE);
  const ss = kemSharedSecret(dh(e.sk, pkR), e.pk, pkR);
  const ks = keySchedule(ss, info, 32, 2);
  return { enc: e.pk, ct: aeadSeal(ks.key, ks.nonce, aad, pt) };
};
// The envelope's wrap context, restated from the spec in envelope.ts.
const wrapAad = (id: string, env: Envelope, aad: Uint8Array) => {
  const idB = utf8(id);
  const body = createHash('sha256').update(env.nonce).update(env.ciphertext).digest();
  return concatBytes(
    utf8('medledger/envelope-wrap/v1'),
    i2osp(idB.length, 4),
    idB,
    body,
    i2osp(aad.length, 4),
    aad,
  );
};
const INFO = utf8('medledger/envelope/v1');

/** A deterministic RandomSource (SHA-256 in counter mode) for reproducible envelopes. */
function seeded(seed: string): RandomSource {
  let ctr = 0;
  return (n) => {
    let out: Uint8Array = new Uint8Array(0);
    while (out.length < n) {
      out = concatBytes(out, createHash('sha256').update(`${seed}/${ctr++}`).digest());
    }
    return out.slice(0, n);
  };
}

const alice = generateEncryptionKeyPair();
const bob = generateEncryptionKeyPair();
const carol = generateEncryptionKeyPair();
const mallory = generateEncryptionKeyPair();
const aad = utf8('record:01HXYZ');
const plaintext = utf8('{"resourceType":"Observation","code":"HbA1c","value":7.1}');

async function threeWay(): Promise<Envelope> {
  return sealEnvelope({
    plaintext,
    receivers: [
      { id: 'alice', publicKey: alice.publicKey },
      { id: 'bob', publicKey: bob.publicKey },
    ],
    aad,
  });
}

test('rfc9180 A.1: the independent node:crypto HPKE reproduces every published intermediate value', () => {
  const e = deriveKeyPair(fromHex(A1.ikmE));
  const r = deriveKeyPair(fromHex(A1.ikmR));
  assert.equal(toHex(e.sk), A1.skEm);
  assert.equal(toHex(e.pk), A1.pkEm);
  assert.equal(toHex(r.sk), A1.skRm);
  assert.equal(toHex(r.pk), A1.pkRm);
  const ss = kemSharedSecret(dh(e.sk, r.pk), e.pk, r.pk);
  assert.equal(toHex(ss), A1.sharedSecret);
  const ks = keySchedule(ss, fromHex(A1.info), 16, 1);
  assert.equal(toHex(ks.context), A1.keyScheduleContext);
  assert.equal(toHex(ks.secret), A1.secret);
  assert.equal(toHex(ks.key), A1.key);
  assert.equal(toHex(ks.nonce), A1.baseNonce);
  assert.equal(toHex(aeadSeal(ks.key, ks.nonce, fromHex(A1.aad0), fromHex(A1.pt))), A1.ct0);
});

test('rfc9180 A.1: @hpke/core derives the published keys and ciphertext', async () => {
  const s = new CipherSuite({
    kem: new DhkemX25519HkdfSha256(),
    kdf: new HkdfSha256(),
    aead: new Aes128Gcm(),
  });
  const r = await s.kem.deriveKeyPair(fromHex(A1.ikmR).buffer);
  assert.equal(toHex(new Uint8Array(await s.kem.serializePublicKey(r.publicKey))), A1.pkRm);
  assert.equal(toHex(new Uint8Array(await s.kem.serializePrivateKey(r.privateKey))), A1.skRm);
  const sender = await s.createSenderContext({
    recipientPublicKey: r.publicKey,
    info: fromHex(A1.info).buffer,
    ekm: fromHex(A1.ikmE).buffer,
  });
  assert.equal(toHex(new Uint8Array(sender.enc)), A1.pkEm);
  const ct = new Uint8Array(await sender.seal(fromHex(A1.pt).buffer, fromHex(A1.aad0).buffer));
  assert.equal(toHex(ct), A1.ct0);
  const recipient = await s.createRecipientContext({
    recipientKey: r,
    enc: fromHex(A1.pkEm).buffer,
    info: fromHex(A1.info).buffer,
  });
  assert.equal(toHex(new Uint8Array(await recipient.open(ct.buffer, fromHex(A1.aad0).buffer))), A1.pt);
});

test('envelope: wraps made by sealEnvelope (AES-256-GCM) open with the independent implementation', async () => {
  const env = await threeWay();
  for (const [id, kp] of [
    ['alice', alice],
    ['bob', bob],
  ] as const) {
    const w = env.receivers.find((x) => x.id === id)!;
    const contentKey = refOpen(kp.privateKey, w.enc, INFO, wrapAad(id, env, aad), w.wrappedKey);
    assert.equal(contentKey.length, 32);
    assert.deepEqual(aeadOpen(contentKey, env.nonce, aad, env.ciphertext), plaintext);
  }
});

test('envelope: an envelope built with the independent implementation opens with openEnvelope', async () => {
  const contentKey = seeded('ck')(32);
  const nonce = seeded('nonce')(12);
  const ciphertext = aeadSeal(contentKey, nonce, aad, plaintext);
  const env: Envelope = { version: 1, nonce, ciphertext, receivers: [] };
  const { enc, ct } = refSeal(
    carol.publicKey,
    seeded('eph')(32),
    INFO,
    wrapAad('carol', env, aad),
    contentKey,
  );
  env.receivers.push({ id: 'carol', enc, wrappedKey: ct });
  assert.deepEqual(await openEnvelope(env, { id: 'carol', privateKey: carol.privateKey }, aad), plaintext);
});

test('envelope: every receiver opens; the body is encrypted once', async () => {
  const env = await threeWay();
  assert.deepEqual(envelopeReceiverIds(env), ['alice', 'bob']);
  assert.equal(env.ciphertext.length, plaintext.length + 16);
  assert.deepEqual(await openEnvelope(env, { id: 'alice', privateKey: alice.privateKey }, aad), plaintext);
  assert.deepEqual(await openEnvelope(env, { id: 'bob', privateKey: bob.privateKey }, aad), plaintext);
});

test('envelope: a non-receiver cannot open it, with its own key or under a receiver id', async () => {
  const env = await threeWay();
  await assert.rejects(openEnvelope(env, { id: 'mallory', privateKey: mallory.privateKey }, aad), {
    message: 'not a receiver',
  });
  await assert.rejects(openEnvelope(env, { id: 'bob', privateKey: mallory.privateKey }, aad), {
    message: 'decryption failed',
  });
  // A receiver's key under the other receiver's id fails as well.
  await assert.rejects(openEnvelope(env, { id: 'bob', privateKey: alice.privateKey }, aad), {
    message: 'decryption failed',
  });
});

test('envelope: the aad is bound to the body and to every wrap', async () => {
  const env = await threeWay();
  await assert.rejects(
    openEnvelope(env, { id: 'alice', privateKey: alice.privateKey }, utf8('record:other')),
    {
      message: 'decryption failed',
    },
  );
});

test('envelope: flipping any bit of nonce, body, enc or wrapped key makes opening fail', async () => {
  const env = await threeWay();
  const key = { id: 'alice', privateKey: alice.privateKey };
  const mutants: ((e: Envelope) => Uint8Array)[] = [
    (e) => e.nonce,
    (e) => e.ciphertext,
    (e) => e.receivers[0]!.enc,
    (e) => e.receivers[0]!.wrappedKey,
  ];
  for (const pick of mutants) {
    for (const pos of [0, -1]) {
      const copy = envelopeFromJson(envelopeToJson(env));
      const b = pick(copy);
      const i = pos < 0 ? b.length + pos : pos;
      b[i] = b[i]! ^ 0x01;
      await assert.rejects(openEnvelope(copy, key, aad), { message: 'decryption failed' });
    }
  }
});

test('envelope: a wrap relabelled to another id, or moved to another envelope, does not open', async () => {
  const env = await threeWay();
  const relabelled: Envelope = { ...env, receivers: [{ ...env.receivers[1]!, id: 'alice' }] };
  await assert.rejects(openEnvelope(relabelled, { id: 'alice', privateKey: bob.privateKey }, aad), {
    message: 'decryption failed',
  });
  const other = await sealEnvelope({ plaintext: utf8('other'), receivers: [], aad });
  const moved: Envelope = { ...other, receivers: [env.receivers[0]!] };
  await assert.rejects(openEnvelope(moved, { id: 'alice', privateKey: alice.privateKey }, aad), {
    message: 'decryption failed',
  });
});

test('envelope: error messages carry no key material', async () => {
  const env = await threeWay();
  const secrets = [toHex(mallory.privateKey), Buffer.from(mallory.privateKey).toString('base64url')];
  for (const p of [
    () => openEnvelope(env, { id: 'bob', privateKey: mallory.privateKey }, aad),
    () => openEnvelope(env, { id: 'mallory', privateKey: mallory.privateKey }, aad),
    () => openEnvelope(env, { id: 'bob', privateKey: mallory.privateKey.subarray(1) }, aad),
  ]) {
    const err = await p().then(
      () => assert.fail('should reject'),
      (e: unknown) => e as Error,
    );
    for (const s of secrets) assert.ok(!err.message.includes(s));
    assert.ok(err.message.length < 80);
  }
});

test('envelope: addReceivers re-shares without re-encrypting the body (a DAG edge)', async () => {
  const env = await threeWay();
  const before = envelopeToJson(env);
  const env2 = await addReceivers(
    env,
    { id: 'bob', privateKey: bob.privateKey },
    [{ id: 'carol', publicKey: carol.publicKey }],
    aad,
  );
  assert.deepEqual(envelopeToJson(env), before, 'input unchanged');
  assert.ok(equalBytes(env2.ciphertext, env.ciphertext));
  assert.ok(equalBytes(env2.nonce, env.nonce));
  assert.deepEqual(envelopeReceiverIds(env2), ['alice', 'bob', 'carol']);
  assert.deepEqual(await openEnvelope(env2, { id: 'carol', privateKey: carol.privateKey }, aad), plaintext);
  assert.deepEqual(await openEnvelope(env2, { id: 'alice', privateKey: alice.privateKey }, aad), plaintext);
  // Carol re-shares onward: a second edge of the transmission DAG.
  const env3 = await addReceivers(
    env2,
    { id: 'carol', privateKey: carol.privateKey },
    [{ id: 'lab', publicKey: mallory.publicKey }],
    aad,
  );
  assert.deepEqual(await openEnvelope(env3, { id: 'lab', privateKey: mallory.privateKey }, aad), plaintext);
});

test('envelope: only a receiver holding the right key can re-share; ids stay unique', async () => {
  const env = await threeWay();
  const add = [{ id: 'carol', publicKey: carol.publicKey }];
  await assert.rejects(addReceivers(env, { id: 'mallory', privateKey: mallory.privateKey }, add, aad), {
    message: 'not a receiver',
  });
  await assert.rejects(addReceivers(env, { id: 'bob', privateKey: mallory.privateKey }, add, aad), {
    message: 'decryption failed',
  });
  await assert.rejects(addReceivers(env, { id: 'bob', privateKey: bob.privateKey }, add, utf8('wrong')), {
    message: 'decryption failed',
  });
  await assert.rejects(
    addReceivers(
      env,
      { id: 'bob', privateKey: bob.privateKey },
      [{ id: 'alice', publicKey: carol.publicKey }],
      aad,
    ),
    RangeError,
  );
  await assert.rejects(
    sealEnvelope({
      plaintext,
      receivers: [
        { id: 'x', publicKey: alice.publicKey },
        { id: 'x', publicKey: bob.publicKey },
      ],
      aad,
    }),
    RangeError,
  );
});

test('envelope: shredding drops every wrapped key; nobody can open the remaining body', async () => {
  const env = await threeWay();
  const shredded = shredEnvelope(env);
  assert.ok(isShredded(shredded));
  assert.ok(!isShredded(env));
  assert.ok(equalBytes(shredded.ciphertext, env.ciphertext), 'the body stays as it is on the ledger');
  for (const [id, kp] of [
    ['alice', alice],
    ['bob', bob],
  ] as const) {
    await assert.rejects(openEnvelope(shredded, { id, privateKey: kp.privateKey }, aad), {
      message: 'not a receiver',
    });
  }
  const fewer = removeReceivers(env, ['alice']);
  assert.deepEqual(envelopeReceiverIds(fewer), ['bob']);
  await assert.rejects(openEnvelope(fewer, { id: 'alice', privateKey: alice.privateKey }, aad), {
    message: 'not a receiver',
  });
  assert.deepEqual(envelopeFromJson(envelopeToJson(shredded)).receivers, []);
});

test('envelope: an injected random source makes sealing reproducible; fresh randomness does not repeat', async () => {
  const params = { plaintext, receivers: [{ id: 'alice', publicKey: alice.publicKey }], aad };
  const a = await sealEnvelope({ ...params, random: seeded('s') });
  const b = await sealEnvelope({ ...params, random: seeded('s') });
  const c = await sealEnvelope({ ...params, random: seeded('t') });
  assert.deepEqual(envelopeToJson(a), envelopeToJson(b));
  assert.notDeepEqual(envelopeToJson(a).ciphertext, envelopeToJson(c).ciphertext);
  const d = await sealEnvelope(params);
  const e = await sealEnvelope(params);
  assert.ok(!equalBytes(d.ciphertext, e.ciphertext));
  assert.ok(!equalBytes(d.receivers[0]!.enc, e.receivers[0]!.enc));
});

test('envelope: a low-order X25519 public key is refused (RFC 9180 §7.1.4)', async () => {
  await assert.rejects(
    sealEnvelope({ plaintext, receivers: [{ id: 'z', publicKey: new Uint8Array(32) }], aad }),
    TypeError,
  );
});

test('envelope: generateEncryptionKeyPair gives matching X25519 halves', () => {
  const a = generateEncryptionKeyPair();
  const b = generateEncryptionKeyPair();
  assert.equal(a.privateKey.length, 32);
  assert.equal(a.publicKey.length, 32);
  assert.deepEqual(encryptionPublicKeyOf(a.privateKey), a.publicKey);
  assert.deepEqual(pkOf(a.privateKey), a.publicKey);
  assert.deepEqual(dh(a.privateKey, b.publicKey), dh(b.privateKey, a.publicKey));
  assert.ok(!equalBytes(a.privateKey, b.privateKey));
  assert.deepEqual(generateEncryptionKeyPair(seeded('k')), generateEncryptionKeyPair(seeded('k')));
});

test('envelope: JSON round-trips any envelope (property)', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ maxLength: 300 }),
      fc.uint8Array({ maxLength: 40 }),
      fc.uniqueArray(fc.string({ minLength: 1, maxLength: 20 }), { maxLength: 3 }),
      async (pt, ad, ids) => {
        const env = await sealEnvelope({
          plaintext: pt,
          receivers: ids.map((id) => ({ id, publicKey: alice.publicKey })),
          aad: ad,
        });
        const json = JSON.parse(JSON.stringify(envelopeToJson(env))) as unknown;
        const back = envelopeFromJson(json);
        assert.deepEqual(back, env);
        for (const id of ids)
          assert.deepEqual(await openEnvelope(back, { id, privateKey: alice.privateKey }, ad), pt);
      },
    ),
    { numRuns: 25 },
  );
});

test('envelope: envelopeFromJson rejects malformed input with a TypeError naming the field', async () => {
  const good = envelopeToJson(await threeWay());
  const r0 = good.receivers[0]!;
  const bad: [string, unknown][] = [
    ['not an object', 'x'],
    ['array', []],
    ['version', { ...good, version: 2 }],
    ['suite', { ...good, suite: 'HPKE-base/P256' }],
    ['missing nonce', { ...good, nonce: undefined }],
    ['short nonce', { ...good, nonce: 'AAAA' }],
    ['padded base64', { ...good, nonce: good.nonce + '=' }],
    ['bad alphabet', { ...good, ciphertext: good.ciphertext.replace(/^./, '+') }],
    ['short ciphertext', { ...good, ciphertext: 'AAAA' }],
    ['unknown field', { ...good, extra: 1 }],
    ['receivers not array', { ...good, receivers: {} }],
    ['receiver not object', { ...good, receivers: [null] }],
    ['empty id', { ...good, receivers: [{ ...r0, id: '' }] }],
    ['long id', { ...good, receivers: [{ ...r0, id: 'x'.repeat(257) }] }],
    ['numeric id', { ...good, receivers: [{ ...r0, id: 7 }] }],
    ['duplicate id', { ...good, receivers: [r0, r0] }],
    ['enc length', { ...good, receivers: [{ ...r0, enc: r0.enc.slice(0, 40) }] }],
    ['wrappedKey length', { ...good, receivers: [{ ...r0, wrappedKey: r0.wrappedKey.slice(0, 40) }] }],
    ['receiver unknown field', { ...good, receivers: [{ ...r0, publicKey: r0.enc }] }],
  ];
  for (const [name, v] of bad) {
    assert.throws(() => envelopeFromJson(v), TypeError, name);
  }
  const e = (() => {
    try {
      envelopeFromJson({ ...good, receivers: [{ ...r0, enc: 'AAAA' }] } satisfies EnvelopeJson);
    } catch (err) {
      return err as Error;
    }
    return undefined;
  })();
  assert.match(e?.message ?? '', /envelope\.receivers\[0\]\.enc must decode to 32 bytes/);
  assert.deepEqual(envelopeFromJson(good), envelopeFromJson(JSON.parse(JSON.stringify(good))));
});
