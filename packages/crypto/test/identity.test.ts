import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  canonicalP256PublicKey,
  createOrgRootCertificate,
  generateP256KeyPair,
  issueMemberCertificate,
  generateEncryptionKeyPair,
  openKey,
  openWallet,
  parseCertificate,
  sealKey,
  sealWallet,
  signP256,
  utf8,
  verifyCertificateIssuedBy,
  verifyP256,
} from '../src/index.js';

const day = 86_400_000;
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const sOf = (sig: Uint8Array): bigint => BigInt(`0x${Buffer.from(sig.subarray(32)).toString('hex')}`);
/** (r, n − s): the other encoding of the same ECDSA signature, computed without the key. */
function twin(sig: Uint8Array): Uint8Array {
  const out = new Uint8Array(sig);
  out.set(Buffer.from((N - sOf(sig)).toString(16).padStart(64, '0'), 'hex'), 32);
  return out;
}
const t0 = Date.UTC(2026, 0, 1);

test('fips186: P-256 signature verifies; wrong key, message or flipped byte does not', () => {
  const a = generateP256KeyPair();
  const b = generateP256KeyPair();
  const m = utf8('medledger');
  const s = signP256(a.privateKey, m);
  assert.equal(s.length, 64);
  assert.ok(verifyP256(a.publicKey, m, s));
  assert.equal(verifyP256(b.publicKey, m, s), false, 'wrong key');
  assert.equal(verifyP256(a.publicKey, utf8('medledgeR'), s), false, 'other message');
  const t = s.slice();
  t[10]! ^= 1;
  assert.equal(verifyP256(a.publicKey, m, t), false, 'tampered signature');
  assert.equal(verifyP256(a.publicKey, m, s.subarray(0, 63)), false, 'short signature');
  assert.throws(() => verifyP256(utf8('not a key'), m, s), /not an SPKI DER key/);
});

test('bip62 low-S: signP256 gives s ≤ n/2 only, and the high-S twin (r, n − s) of a signature does not verify', () => {
  const a = generateP256KeyPair();
  for (let i = 0; i < 64; i++) {
    const m = utf8(`message ${i}`);
    const s = signP256(a.privateKey, m);
    assert.ok(sOf(s) <= N >> 1n, `signature ${i} is low-S`);
    assert.ok(verifyP256(a.publicKey, m, s));
    assert.equal(verifyP256(a.publicKey, m, twin(s)), false, `high-S twin of signature ${i} is refused`);
  }
});

test('sec1: a P-256 key in compressed SPKI form has one canonical (uncompressed) encoding', () => {
  const { publicKey } = generateP256KeyPair();
  assert.deepEqual(canonicalP256PublicKey(publicKey), publicKey, 'the uncompressed form is a fixed point');
  // SEC 1 §2.3.3: the compressed point is 02/03 (parity of y) || x.
  const x = publicKey.slice(27, 59);
  const y = publicKey.slice(59, 91);
  const prefix = Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex');
  const compressed = new Uint8Array(Buffer.concat([prefix, Buffer.from([2 + (y[31]! & 1)]), x]));
  assert.deepEqual(canonicalP256PublicKey(compressed), publicKey);
  assert.throws(() => canonicalP256PublicKey(utf8('not a key')), /not an SPKI DER key/);
});

test('rfc7914: sealed key opens with the passphrase only; tampering is detected', () => {
  const k = generateP256KeyPair();
  const sealed = sealKey({
    label: 'bob',
    keyType: 'p256',
    publicKey: k.publicKey,
    privateKey: k.privateKey,
    passphrase: 'correct horse',
    N: 1024,
  });
  assert.ok(!JSON.stringify(sealed).includes(Buffer.from(k.privateKey).toString('base64url')));
  assert.deepEqual(openKey(sealed, 'correct horse'), k.privateKey);
  assert.throws(() => openKey(sealed, 'wrong horse'), /wrong passphrase or corrupted key file/);
  const other = generateP256KeyPair();
  const swapped = { ...sealed, publicKey: Buffer.from(other.publicKey).toString('base64url') };
  assert.throws(
    () => openKey(swapped, 'correct horse'),
    /wrong passphrase or corrupted/,
    'header is authenticated',
  );
  const weakened = { ...sealed, kdf: { ...sealed.kdf, N: 2048 } };
  assert.throws(() => openKey(weakened, 'correct horse'), /wrong passphrase or corrupted/);
  assert.throws(
    () =>
      sealKey({
        label: 'x',
        keyType: 'p256',
        publicKey: k.publicKey,
        privateKey: k.privateKey,
        passphrase: '',
      }),
    /must not be empty/,
  );
});

test('rfc7914: a sealed wallet opens both keys with its passphrase only; its public keys are authenticated', () => {
  const signing = generateP256KeyPair();
  const encryption = generateEncryptionKeyPair();
  const w = sealWallet({ label: 'dr-ada', signing, encryption, passphrase: 'correct horse', N: 1024 });
  const text = JSON.stringify(w);
  for (const secret of [signing.privateKey, encryption.privateKey])
    assert.ok(!text.includes(Buffer.from(secret).toString('base64url')), 'no private key in clear');
  const opened = openWallet(w, 'correct horse');
  assert.deepEqual(opened.signing, signing);
  assert.deepEqual(opened.encryption, encryption);
  assert.throws(() => openWallet(w, 'wrong horse'), /wrong passphrase or corrupted wallet/);
  const other = generateEncryptionKeyPair();
  const swapped = { ...w, encryptionPublicKey: Buffer.from(other.publicKey).toString('base64url') };
  assert.throws(() => openWallet(swapped, 'correct horse'), /wrong passphrase or corrupted wallet/);
  const relabelled = { ...w, label: 'dr-eve' };
  assert.throws(() => openWallet(relabelled, 'correct horse'), /wrong passphrase or corrupted wallet/);
  assert.throws(
    () => openWallet({ ...w, kind: 'x' } as never, 'correct horse'),
    /not a medledger sealed wallet/,
  );
});

test('rfc5280: member certificate carries role and attributes and verifies against its org only', async () => {
  const org = generateP256KeyPair();
  const other = generateP256KeyPair();
  const member = generateP256KeyPair();
  const root = await createOrgRootCertificate({
    org: 'hospitalA',
    ...org,
    notBefore: t0,
    notAfter: t0 + 3650 * day,
  });
  const rootInfo = parseCertificate(root);
  assert.equal(rootInfo.isCA, true);
  assert.equal(rootInfo.role, 'org');
  assert.ok(verifyCertificateIssuedBy(root, org.publicKey));
  const cert = await issueMemberCertificate({
    issuerCertificate: root,
    issuerPrivateKey: org.privateKey,
    subjectPublicKey: member.publicKey,
    commonName: 'dr-alice',
    org: 'hospitalA',
    role: 'doctor',
    attributes: { department: 'oncology' },
    notBefore: t0,
    notAfter: t0 + 365 * day,
  });
  const info = parseCertificate(cert);
  assert.equal(info.commonName, 'dr-alice');
  assert.equal(info.org, 'hospitalA');
  assert.equal(info.role, 'doctor');
  assert.deepEqual(info.attributes, { department: 'oncology' });
  assert.equal(info.isCA, false);
  assert.equal(info.notBefore, t0);
  assert.equal(info.notAfter, t0 + 365 * day);
  assert.deepEqual(info.publicKey, member.publicKey);
  assert.ok(verifyCertificateIssuedBy(cert, org.publicKey));
  assert.equal(verifyCertificateIssuedBy(cert, other.publicKey), false, 'another org key');
  const tampered = cert.slice();
  tampered[Math.floor(tampered.length / 2)]! ^= 1;
  assert.equal(verifyCertificateIssuedBy(tampered, org.publicKey), false, 'tampered certificate');
  assert.throws(() => parseCertificate(utf8('garbage')), /not a DER X.509 certificate/);
});
