/**
 * Emergency access by threshold PRE (Umbral) on the ledger: emergency.setup (kfrags sealed to
 * proxies), emergency.request (decided with decideRead, purpose 'emergency'), emergency.cfrag
 * (one per proxy, revocable), decryption by the grantee from m cfrags.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  envelopeFromJson,
  envelopeToJson,
  fromB64u,
  fromUtf8,
  generateEncryptionKeyPair,
  openEnvelope,
  sealEnvelope,
  toB64u,
  utf8,
  type JsonValue,
} from '@medledger/crypto';
import {
  PreCiphertext,
  generatePreKeyPair,
  preDecryptReencrypted,
  preEncrypt,
  preGenerateKFrags,
  preReencrypt,
  type PreKeyPair,
} from '@medledger/crypto/pre';
import { txIdOf, type SignedTx } from '../src/index.js';
import { cworld, grantTx, type CWorld } from './confidentiality-world.js';

interface EWorld {
  w: CWorld;
  patientPre: PreKeyPair;
  signing: PreKeyPair;
  doctorPre: PreKeyPair;
  nodeEnc: ReturnType<typeof generateEncryptionKeyPair>;
  recordTx: SignedTx;
  kfrags: { id: string; kfrag: Uint8Array }[];
  proxies: string[];
  request(by: CWorld['baker']): string;
  cfrag(requestId: string, i: number): SignedTx;
}

const parties = (e: EWorld) => ({
  delegatingPublicKey: e.patientPre.publicKey,
  verifyingPublicKey: e.signing.publicKey,
  receivingPublicKey: e.doctorPre.publicKey,
});

async function eworld(): Promise<EWorld> {
  const w = await cworld();
  const patientPre = generatePreKeyPair();
  const signing = generatePreKeyPair();
  const doctorPre = generatePreKeyPair();
  const nodeEnc = generateEncryptionKeyPair();
  assert.deepEqual(
    w.run(
      w.tx(w.bob, 'keys.publish', {
        pre: toB64u(patientPre.publicKey),
        preVerifying: toB64u(signing.publicKey),
      }),
      w.tx(w.chen, 'keys.publish', { pre: toB64u(doctorPre.publicKey) }),
      w.tx('node:hospitalA', 'keys.publish', { x25519: toB64u(nodeEnc.publicKey) }),
      grantTx(
        w,
        'g-er',
        { kind: 'member', memberId: w.chen.id },
        { categories: ['clinical'] },
        ['emergency'],
        {
          emergency: true,
        },
      ),
    ),
    ['OK', 'OK', 'OK', 'OK'],
  );
  const summary = preEncrypt(patientPre.publicKey, utf8('allergy: penicillin'));
  const recordTx = w.tx(w.bob, 'pre.record', {
    recordId: 'er-summary',
    patient: w.bob.id,
    subject: 'ep1-abc',
    category: 'clinical',
    resourceType: 'Composition',
    ciphertext: toB64u(summary.toBytes()),
  });
  assert.deepEqual(w.run(recordTx), ['OK']);
  const kfrags = preGenerateKFrags({
    delegatingSecretKey: patientPre.secretKey,
    signingSecretKey: signing.secretKey,
    receivingPublicKey: doctorPre.publicKey,
    threshold: 2,
    shares: 3,
  });
  const proxies = [w.gp.id, w.family.id, 'node:hospitalA'];
  const keyOf = (p: string): Uint8Array =>
    p.startsWith('node:') ? nodeEnc.publicKey : w.enc.get(p)!.publicKey;
  const proxyEntries: JsonValue[] = [];
  for (let i = 0; i < 3; i++) {
    const sealed = await sealEnvelope({
      plaintext: kfrags[i]!.kfrag,
      receivers: [{ id: proxies[i]!, publicKey: keyOf(proxies[i]!) }],
      aad: utf8(`emergency:s-1:${kfrags[i]!.id}`),
    });
    proxyEntries.push({
      proxy: proxies[i]!,
      kfragId: kfrags[i]!.id,
      sealed: envelopeToJson(sealed) as never,
    });
  }
  const setup = w.tx(w.bob, 'emergency.setup', {
    setupId: 's-1',
    grantId: 'g-er',
    receivingPublicKey: toB64u(doctorPre.publicKey),
    threshold: 2,
    proxies: proxyEntries,
  });
  assert.deepEqual(w.run(setup), ['OK']);
  const e: EWorld = {
    w,
    patientPre,
    signing,
    doctorPre,
    nodeEnc,
    recordTx,
    kfrags,
    proxies,
    request(by) {
      const tx = w.tx(by, 'emergency.request', { setupId: 's-1', recordId: 'er-summary' });
      assert.deepEqual(w.run(tx), ['OK'], 'a request is logged even when denied');
      return txIdOf(tx.body);
    },
    cfrag(requestId, i) {
      const ct = new PreCiphertext(
        fromB64u(w.state<{ capsule: string }>('prerecord:er-summary').capsule),
        new Uint8Array(16),
      );
      const cf = preReencrypt(ct, kfrags[i]!.kfrag, parties(e));
      const p = proxies[i]!;
      const signer = p.startsWith('node:') ? p : [w.gp, w.family].find((m) => m.id === p)!;
      return w.tx(signer, 'emergency.cfrag', { requestId, kfragId: kfrags[i]!.id, cfrag: toB64u(cf) });
    },
  };
  return e;
}

test('emergency: 2 of 3 proxies re-encrypt for the pre-authorized doctor, who decrypts; each step is on the ledger', async () => {
  const e = await eworld();
  const { w } = e;
  // Each proxy opens only its own sealed kfrag.
  const setup = w.state<{ proxies: { proxy: string; kfragId: string; sealed: JsonValue }[] }>(
    'emergency:setup:s-1',
  );
  const gpSlot = setup.proxies[0]!;
  const kf = await openEnvelope(
    envelopeFromJson(gpSlot.sealed),
    { id: w.gp.id, privateKey: w.enc.get(w.gp.id)!.privateKey },
    utf8(`emergency:s-1:${gpSlot.kfragId}`),
  );
  assert.deepEqual(kf, e.kfrags[0]!.kfrag);
  await assert.rejects(
    openEnvelope(
      envelopeFromJson(gpSlot.sealed),
      { id: w.family.id, privateKey: w.enc.get(w.family.id)!.privateKey },
      utf8(`emergency:s-1:${gpSlot.kfragId}`),
    ),
  );
  const rid = e.request(w.chen);
  const req = w.state<{ allow: boolean; code: string; patient: string }>(`emergency:request:${rid}`);
  assert.equal(req.allow, true);
  assert.equal(req.patient, w.bob.id);
  assert.deepEqual(w.run(e.cfrag(rid, 0)), ['OK']);
  const ct = PreCiphertext.fromBytes(fromB64u(e.recordTx.body.payload.ciphertext as string));
  const posted = () =>
    w.state<{ cfrags: { cfrag: string }[] }>(`emergency:request:${rid}`).cfrags.map((c) => fromB64u(c.cfrag));
  assert.throws(
    () => preDecryptReencrypted(e.doctorPre.secretKey, ct, posted(), parties(e), 2),
    RangeError,
    'fewer than m',
  );
  assert.deepEqual(w.run(e.cfrag(rid, 0)), ['CFRAG_EXISTS']);
  assert.deepEqual(w.run(e.cfrag(rid, 2)), ['OK'], 'the node proxy signs with its node key');
  assert.equal(
    fromUtf8(preDecryptReencrypted(e.doctorPre.secretKey, ct, posted(), parties(e), 2)),
    'allergy: penicillin',
  );
  // Another doctor holding the cfrags from the ledger cannot decrypt.
  const other = generatePreKeyPair();
  assert.throws(() =>
    preDecryptReencrypted(
      other.secretKey,
      ct,
      posted(),
      { ...parties(e), receivingPublicKey: other.publicKey },
      2,
    ),
  );
  assert.throws(() => preDecryptReencrypted(other.secretKey, ct, posted(), parties(e), 2));
  // The patient is notified: the request's event names him.
  const again = w.tx(w.chen, 'emergency.request', { setupId: 's-1', recordId: 'er-summary' });
  const [out] = w.c.apply(w.c.makeBlock([again], (w.t += 1000))).outcomes;
  assert.equal(out!.code, 'OK');
  assert.deepEqual(
    out!.events.map((x) => [x.type, x.patient, x.requester, x.allow]),
    [['emergency.requested', w.bob.id, w.chen.id, true]],
  );
});

test('emergency.request: a coded reason is kept with the decision on the ledger; free text is refused', async () => {
  const e = await eworld();
  const { w } = e;
  const tx = w.tx(w.chen, 'emergency.request', {
    setupId: 's-1',
    recordId: 'er-summary',
    reason: 'patient-unconscious',
  });
  assert.deepEqual(w.run(tx), ['OK']);
  const req = w.state<{ allow: boolean; reason?: string }>(`emergency:request:${txIdOf(tx.body)}`);
  assert.equal(req.allow, true);
  assert.equal(req.reason, 'patient-unconscious');
  // Free text could carry clinical detail onto a ledger every member reads: refused.
  const free = w.tx(w.chen, 'emergency.request', {
    setupId: 's-1',
    recordId: 'er-summary',
    reason: 'fell from a ladder, head injury',
  });
  assert.deepEqual(w.run(free), ['INVALID_PAYLOAD']);
  assert.equal(w.state(`emergency:request:${txIdOf(free.body)}`), undefined);
});

test('emergency: a doctor without the emergency grant is denied and logged; no proxy may answer him', async () => {
  const e = await eworld();
  const { w } = e;
  const rid = e.request(w.baker);
  const req = w.state<{ allow: boolean; code: string }>(`emergency:request:${rid}`);
  assert.equal(req.allow, false);
  assert.equal(req.code, 'NO_GRANT');
  assert.deepEqual(w.run(e.cfrag(rid, 0)), ['REQUEST_DENIED']);
});

test('emergency: a revoked kfrag is refused by the ledger and by an honest proxy; a non-proxy cannot post', async () => {
  const e = await eworld();
  const { w } = e;
  const rid = e.request(w.chen);
  const forged = w.tx(w.outsider, 'emergency.cfrag', {
    requestId: rid,
    kfragId: e.kfrags[0]!.id,
    cfrag: toB64u(utf8('x')),
  });
  assert.deepEqual(w.run(forged), ['NOT_A_PROXY']);
  assert.deepEqual(
    w.run(w.tx(w.gp, 'emergency.revoke', { setupId: 's-1', kfragIds: [e.kfrags[1]!.id] })),
    ['UNAUTHORIZED'],
    'only the patient revokes',
  );
  assert.deepEqual(w.run(w.tx(w.bob, 'emergency.revoke', { setupId: 's-1', kfragIds: [e.kfrags[1]!.id] })), [
    'OK',
  ]);
  assert.deepEqual(w.run(e.cfrag(rid, 1)), ['KFRAG_REVOKED']);
  const revoked = new Set(w.state<{ revoked: string[] }>('emergency:setup:s-1').revoked);
  const ct = PreCiphertext.fromBytes(fromB64u(e.recordTx.body.payload.ciphertext as string));
  assert.throws(() => preReencrypt(ct, e.kfrags[1]!.kfrag, parties(e), revoked), /kfrag revoked/);
});

test('emergency: a revoked grant denies new requests; cfrags come only within the window', async () => {
  const e = await eworld();
  const { w } = e;
  const rid = e.request(w.chen);
  w.t += 2 * 3_600_000;
  assert.deepEqual(w.run(e.cfrag(rid, 0)), ['REQUEST_EXPIRED']);
  assert.deepEqual(w.run(w.tx(w.bob, 'consent.revoke', { grantId: 'g-er' })), ['OK']);
  const rid2 = e.request(w.chen);
  assert.equal(w.state<{ code: string }>(`emergency:request:${rid2}`).code, 'GRANT_REVOKED');
});

test('emergency.setup: needs an emergency grant, the grantee’s published key and valid proxies', async () => {
  const e = await eworld();
  const { w } = e;
  const base = (
    w.state<{ proxies: JsonValue[] }>('emergency:setup:s-1').proxies as { [k: string]: JsonValue }[]
  ).map((p) => ({ proxy: p.proxy!, kfragId: p.kfragId!, sealed: p.sealed! }));
  const setup = (extra: { [k: string]: JsonValue }): SignedTx =>
    w.tx(w.bob, 'emergency.setup', {
      setupId: 's-2',
      grantId: 'g-er',
      receivingPublicKey: toB64u(e.doctorPre.publicKey),
      threshold: 2,
      proxies: base,
      ...extra,
    });
  assert.deepEqual(
    w.run(
      grantTx(w, 'g-tr', { kind: 'member', memberId: w.chen.id }, { categories: ['clinical'] }, [
        'treatment',
      ]),
    ),
    ['OK'],
  );
  assert.deepEqual(w.run(setup({ grantId: 'g-tr' })), ['NOT_AN_EMERGENCY_GRANT']);
  assert.deepEqual(w.run(setup({ receivingPublicKey: toB64u(generatePreKeyPair().publicKey) })), [
    'WRONG_GRANTEE_KEY',
  ]);
  const toChen = {
    ...base[0]!,
    proxy: w.chen.id,
    sealed: {
      ...(base[0]!.sealed as { [k: string]: JsonValue }),
      receivers: [
        { ...(base[0]!.sealed as { receivers: { [k: string]: JsonValue }[] }).receivers[0]!, id: w.chen.id },
      ],
    },
  };
  assert.deepEqual(w.run(setup({ proxies: [toChen, base[1]!] })), ['BAD_PROXY'], 'the grantee is no proxy');
  assert.deepEqual(
    w.run(setup({ proxies: [{ ...base[0]!, proxy: w.family.id }, base[1]!] })),
    ['INVALID_PAYLOAD'],
    'sealed to another',
  );
  assert.deepEqual(
    w.run(
      w.tx(w.gp, 'emergency.setup', {
        setupId: 's-3',
        grantId: 'g-er',
        receivingPublicKey: toB64u(e.doctorPre.publicKey),
        threshold: 1,
        proxies: base,
      }),
    ),
    ['UNAUTHORIZED'],
  );
  assert.deepEqual(w.run(setup({})), ['OK']);
});

test('emergency.setup: a sealed kfrag must be a whole envelope (version, suite, canonical base64url)', async () => {
  const e = await eworld();
  const { w } = e;
  const base = (
    w.state<{ proxies: JsonValue[] }>('emergency:setup:s-1').proxies as { [k: string]: JsonValue }[]
  ).map((p) => ({ proxy: p.proxy!, kfragId: p.kfragId!, sealed: p.sealed as { [k: string]: JsonValue } }));
  const sealed = base[0]!.sealed;
  const nonce = sealed.nonce as string;
  const broken: [string, { [k: string]: JsonValue }][] = [
    ['a padded nonce', { ...sealed, nonce: `${nonce}=` }],
    ['a nonce of another length', { ...sealed, nonce: `${nonce}AAAA` }],
    ['another version', { ...sealed, version: 99 }],
    ['no suite', { ...sealed, suite: null }],
    ['a ciphertext that is no base64url', { ...sealed, ciphertext: `${sealed.ciphertext as string}+` }],
  ];
  for (const [what, bad] of broken) {
    const tx = w.tx(w.bob, 'emergency.setup', {
      setupId: 's-2',
      grantId: 'g-er',
      receivingPublicKey: toB64u(e.doctorPre.publicKey),
      threshold: 2,
      proxies: [{ ...base[0]!, sealed: bad }, base[1]!],
    });
    assert.deepEqual(w.run(tx), ['INVALID_PAYLOAD'], what);
  }
});
