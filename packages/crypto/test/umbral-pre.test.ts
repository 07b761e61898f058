import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as umbral from '@nucypher/umbral-pre';
import { utf8 } from '../src/bytes.js';
import {
  PreCiphertext,
  generatePreKeyPair,
  preDecryptOriginal,
  preDecryptReencrypted,
  preEncrypt,
  preGenerateKFrags,
  preKeyPairFromSeed,
  preLiveObjects,
  preReencrypt,
  type PreParties,
} from '../src/pre.js';

const patient = generatePreKeyPair();
const signing = generatePreKeyPair();
const doctor = generatePreKeyPair();
const parties: PreParties = {
  delegatingPublicKey: patient.publicKey,
  receivingPublicKey: doctor.publicKey,
  verifyingPublicKey: signing.publicKey,
};
const grant = (threshold: number, shares: number) =>
  preGenerateKFrags({
    delegatingSecretKey: patient.secretKey,
    signingSecretKey: signing.secretKey,
    receivingPublicKey: doctor.publicKey,
    threshold,
    shares,
  });
const record = utf8('{"resourceType":"AllergyIntolerance","code":"penicillin"}');

test('umbral: any m of n proxies let the emergency doctor decrypt (random m, n, subsets)', () => {
  fc.assert(
    fc.property(
      fc
        .integer({ min: 1, max: 4 })
        .chain((m) =>
          fc
            .integer({ min: m, max: 5 })
            .chain((n) =>
              fc.tuple(
                fc.constant(m),
                fc.shuffledSubarray([...Array(n).keys()], { minLength: m, maxLength: m }),
              ),
            ),
        ),
      fc.uint8Array({ maxLength: 200 }),
      ([m, pick], pt) => {
        const ct = preEncrypt(patient.publicKey, pt);
        const kfrags = grant(m, Math.max(m, ...pick.map((i) => i + 1)));
        const cfrags = pick.map((i) => preReencrypt(ct, kfrags[i]!.kfrag, parties));
        assert.deepEqual(preDecryptReencrypted(doctor.secretKey, ct, cfrags, parties, m), pt);
        assert.deepEqual(preDecryptOriginal(patient.secretKey, ct), pt);
      },
    ),
    { numRuns: 8 },
  );
});

test('umbral: fewer than m cfrags do not decrypt, even bypassing the count check', () => {
  const ct = preEncrypt(patient.publicKey, record);
  const kfrags = grant(2, 3);
  const one = [preReencrypt(ct, kfrags[0]!.kfrag, parties)];
  assert.throws(() => preDecryptReencrypted(doctor.secretKey, ct, one, parties, 2), RangeError);
  assert.throws(
    () => preDecryptReencrypted(doctor.secretKey, ct, [one[0]!, one[0]!], parties, 2),
    RangeError,
  );
  assert.throws(() => preDecryptReencrypted(doctor.secretKey, ct, one, parties, 1), /PRE decryption failed/);
});

test('umbral: a proxy with a revoked kfrag refuses; the rest still serve the grant', () => {
  const ct = preEncrypt(patient.publicKey, record);
  const kfrags = grant(2, 3);
  const revoked = new Set([kfrags[1]!.id]);
  assert.throws(() => preReencrypt(ct, kfrags[1]!.kfrag, parties, revoked), /kfrag revoked/);
  const cfrags = [0, 2].map((i) => preReencrypt(ct, kfrags[i]!.kfrag, parties, revoked));
  assert.deepEqual(preDecryptReencrypted(doctor.secretKey, ct, cfrags, parties, 2), record);
  assert.equal(new Set(kfrags.map((k) => k.id)).size, 3);
});

test('umbral: a wrong doctor cannot decrypt; kfrags for him do not verify as the grantee', () => {
  const ct = preEncrypt(patient.publicKey, record);
  const kfrags = grant(2, 3);
  const cfrags = [0, 1].map((i) => preReencrypt(ct, kfrags[i]!.kfrag, parties));
  const mallory = generatePreKeyPair();
  const asMallory = { ...parties, receivingPublicKey: mallory.publicKey };
  assert.throws(
    () => preDecryptReencrypted(mallory.secretKey, ct, cfrags, asMallory, 2),
    /cfrag verification failed/,
  );
  assert.throws(
    () => preDecryptReencrypted(mallory.secretKey, ct, cfrags, parties, 2),
    /PRE decryption failed/,
  );
  assert.throws(() => preReencrypt(ct, kfrags[0]!.kfrag, asMallory), /kfrag verification failed/);
  assert.throws(() => preDecryptOriginal(doctor.secretKey, ct), /PRE decryption failed/);
});

test('umbral: forged kfrags (other signer) and tampered cfrags or ciphertexts are rejected', () => {
  const ct = preEncrypt(patient.publicKey, record);
  const forger = generatePreKeyPair();
  const forged = preGenerateKFrags({
    delegatingSecretKey: forger.secretKey,
    signingSecretKey: forger.secretKey,
    receivingPublicKey: doctor.publicKey,
    threshold: 1,
    shares: 1,
  });
  assert.throws(() => preReencrypt(ct, forged[0]!.kfrag, parties), /kfrag verification failed/);
  const kfrags = grant(1, 1);
  const cfrag = preReencrypt(ct, kfrags[0]!.kfrag, parties);
  const bad = cfrag.slice();
  bad[bad.length - 5]! ^= 1;
  assert.throws(
    () => preDecryptReencrypted(doctor.secretKey, ct, [bad], parties, 1),
    /cfrag verification failed|malformed/,
  );
  const body = ct.ciphertext.slice();
  body[body.length - 1]! ^= 1;
  const tampered = new PreCiphertext(ct.capsule, body);
  assert.throws(
    () => preDecryptReencrypted(doctor.secretKey, tampered, [cfrag], parties, 1),
    /PRE decryption failed/,
  );
});

test('umbral: ciphertexts round-trip; malformed bytes and keys throw TypeError', () => {
  const ct = preEncrypt(patient.publicKey, record);
  assert.deepEqual(preDecryptOriginal(patient.secretKey, PreCiphertext.fromBytes(ct.toBytes())), record);
  assert.throws(() => PreCiphertext.fromBytes(ct.toBytes().subarray(0, 30)), TypeError);
  assert.throws(
    () => PreCiphertext.fromBytes(new PreCiphertext(utf8('junk'), ct.ciphertext).toBytes()),
    TypeError,
  );
  assert.throws(() => preEncrypt(utf8('not a key'), record), TypeError);
  assert.throws(() => preReencrypt(ct, utf8('not a kfrag'), parties), TypeError);
  assert.throws(() => grant(3, 2), RangeError);
});

function wasmBytes(): number {
  // the Node build of umbral-pre exposes its WASM instance exports as `__wasm`
  return (umbral as unknown as { __wasm: { memory: { buffer: ArrayBuffer } } }).__wasm.memory.buffer
    .byteLength;
}

test('umbral: every WASM object is freed; heap stays flat over many operations', () => {
  const cycle = () => {
    const ct = preEncrypt(patient.publicKey, record);
    const kfrags = grant(2, 3);
    const cfrags = kfrags.slice(0, 2).map((k) => preReencrypt(ct, k.kfrag, parties));
    preDecryptReencrypted(doctor.secretKey, ct, cfrags, parties, 2);
    assert.throws(() => preReencrypt(ct, kfrags[2]!.kfrag, parties, new Set([kfrags[2]!.id])));
    assert.throws(() => preDecryptReencrypted(generatePreKeyPair().secretKey, ct, cfrags, parties, 2));
  };
  for (let i = 0; i < 20; i++) cycle(); // warm-up: allocator pools settle
  const before = wasmBytes();
  for (let i = 0; i < 150; i++) cycle();
  assert.equal(preLiveObjects(), 0);
  assert.equal(wasmBytes(), before, 'WASM heap grew');
  // The check can fail: leaking the same objects makes the heap grow.
  const leaked: Array<{ free(): void }> = [];
  for (let i = 0; i < 150; i++) {
    const s = umbral.SecretKey.random();
    const p = s.publicKey();
    const signer = new umbral.Signer(s);
    leaked.push(s, p, signer, ...umbral.generateKFrags(s, p, signer, 2, 3, true, true));
  }
  assert.ok(wasmBytes() > before, 'leak not visible: the heap check would be vacuous');
  for (const o of leaked) o.free();
});

test('behavior: a key pair derived from a seed is the same every time, differs per seed, and opens what is encrypted to it', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.uint8Array({ minLength: 1, maxLength: 64 }),
      (seed, pt) => {
        const k = preKeyPairFromSeed(seed);
        assert.deepEqual(preKeyPairFromSeed(seed.slice()), k);
        assert.notDeepEqual(k.secretKey, seed, 'the seed itself is not the key');
        const other = seed.slice();
        other[0]! ^= 1;
        assert.notDeepEqual(preKeyPairFromSeed(other).publicKey, k.publicKey);
        assert.deepEqual(preDecryptOriginal(k.secretKey, preEncrypt(k.publicKey, pt)), pt);
      },
    ),
    { numRuns: 20 },
  );
  assert.throws(() => preKeyPairFromSeed(new Uint8Array(31)), RangeError);
});
