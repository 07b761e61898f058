/**
 * Integration: emergency access by threshold PRE (Umbral) end to end on a real node. The
 * patient pre-authorizes an emergency doctor (consent grant with `emergency: true`) and
 * registers 2-of-3 proxies — his GP, a family member, hospitalB's node — each holding a kfrag
 * sealed to it on the ledger. The doctor's request is decided and logged by the contract, the
 * patient is notified (events with his id), the proxies post cfrags, the doctor decrypts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromUtf8, generateEncryptionKeyPair, toB64u, utf8 } from '@medledger/crypto';
import { generatePreKeyPair, preReencrypt, PreCiphertext } from '@medledger/crypto/pre';
import {
  EmergencyRefusal,
  emergencyRequestTx,
  emergencyRevokeTx,
  emergencySetupTx,
  openEmergencyRecord,
  preRecordTx,
  proxyReencryptTx,
  publishKeysTx,
} from '@medledger/client';
import { txIdOf } from '@medledger/core';
import { join } from 'node:path';
import { EmergencyProxyService } from '../src/confidentiality/emergencyProxy.js';
import { CursorStore, type LedgerView } from '../src/index.js';
import { confidentialLedger, grant, type ConfidentialLedger } from './confidentiality-world.js';

async function setUp(t: ConfidentialLedger) {
  const patientPre = generatePreKeyPair();
  const signing = generatePreKeyPair();
  const erPre = generatePreKeyPair();
  const encryption = generateEncryptionKeyPair();
  const proxy = new EmergencyProxyService(t.node, { nodeKey: t.nodeKey('hospitalB'), encryption });
  const ok = async (tx: Parameters<ConfidentialLedger['commit']>[0]) =>
    assert.equal((await t.commit(tx)).code, 'OK', tx.body.type);
  await ok(proxy.publishKeyTx());
  await ok(publishKeysTx(t.ctx('bob'), { pre: patientPre.publicKey, preVerifying: signing.publicKey }));
  await ok(publishKeysTx(t.ctx('dr-er'), { pre: erPre.publicKey }));
  await ok(
    grant(
      t,
      'g-er',
      { kind: 'member', memberId: t.id('dr-er') },
      { categories: ['clinical'] },
      ['emergency'],
      { emergency: true },
    ),
  );
  await ok(
    preRecordTx(
      t.ctx('bob'),
      {
        recordId: 'er-summary',
        patient: t.id('bob'),
        subject: 'ep-1',
        category: 'clinical',
        resourceType: 'Composition',
      },
      patientPre.publicKey,
      utf8('{"allergies":["penicillin"],"bloodType":"O-"}'),
    ),
  );
  const proxies = [
    { id: t.id('dr-gp'), encryptionKey: t.member('dr-gp').encryption.publicKey },
    { id: t.id('family'), encryptionKey: t.member('family').encryption.publicKey },
    { id: 'node:hospitalB', encryptionKey: proxy.encryptionPublicKey },
  ];
  const { tx, kfragIds } = await emergencySetupTx(t.ctx('bob'), {
    setupId: 'es-1',
    grantId: 'g-er',
    delegatingSecretKey: patientPre.secretKey,
    signingSecretKey: signing.secretKey,
    receivingPublicKey: erPre.publicKey,
    threshold: 2,
    proxies,
  });
  await ok(tx);
  proxy.start();
  /** A human proxy answering from his device. */
  const human = async (label: string, requestId: string) =>
    t.commit(
      await proxyReencryptTx(t.ctx(label), t.source, requestId, t.member(label).encryption.privateKey),
    );
  const request = async (label: string) => {
    const tx = emergencyRequestTx(t.ctx(label), 'es-1', 'er-summary');
    assert.equal((await t.commit(tx)).code, 'OK');
    return txIdOf(tx.body);
  };
  return { patientPre, signing, erPre, encryption, proxy, kfragIds, human, request };
}

/** Waits until the request has `n` cfrags on the ledger. */
async function cfrags(t: ConfidentialLedger, requestId: string, n: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const r = t.node.stateValue(`emergency:request:${requestId}`) as { cfrags: unknown[] } | undefined;
    if (r && r.cfrags.length >= n) return;
    await new Promise((res) => setTimeout(res, 5));
  }
  throw new Error(`fewer than ${n} cfrags`);
}

test('integration: emergency access — request, 2-of-3 re-encryption, decryption; audited and the patient notified', async () => {
  const t = await confidentialLedger();
  try {
    const s = await setUp(t);
    const rid = await s.request('dr-er');
    await cfrags(t, rid, 1); // the node proxy answered by itself
    // Fewer than m: one cfrag is not enough.
    await assert.rejects(openEmergencyRecord(t.source, rid, s.erPre.secretKey), RangeError);
    await s.human('family', rid);
    const record = await openEmergencyRecord(t.source, rid, s.erPre.secretKey);
    assert.deepEqual(JSON.parse(fromUtf8(record)).allergies, ['penicillin']);
    // Audited: the decision and both proxies' shares are in the state and in blocks.
    const req = t.node.stateValue(`emergency:request:${rid}`) as {
      allow: boolean;
      cfrags: { proxy: string; txId: string }[];
    };
    assert.equal(req.allow, true);
    assert.deepEqual(req.cfrags.map((c) => c.proxy).sort(), [t.id('family'), 'node:hospitalB'].sort());
    for (const c of req.cfrags) assert.equal(t.node.receipt(c.txId)?.code, 'OK');
    // Notified: every step raised an event naming the patient.
    const mine = t.events.filter((e) => e.patient === t.id('bob') && String(e.type).startsWith('emergency.'));
    assert.deepEqual(
      mine.map((e) => e.type),
      ['emergency.setup', 'emergency.requested', 'emergency.reencrypted', 'emergency.reencrypted'],
    );
    // A wrong doctor holding the same cfrags (they are public) cannot decrypt.
    await assert.rejects(openEmergencyRecord(t.source, rid, generatePreKeyPair().secretKey));
  } finally {
    await t.cleanup();
  }
});

test('integration: emergency access — a wrong doctor is denied and logged; a revoked proxy is refused', async () => {
  const t = await confidentialLedger();
  try {
    const s = await setUp(t);
    const refused: string[] = [];
    s.proxy.on('refused', (e: { code: string }) => refused.push(e.code));
    // Wrong doctor: denied by the contract, logged, the patient notified; no proxy answers.
    const wrong = await s.request('dr-alice');
    const w = t.node.stateValue(`emergency:request:${wrong}`) as { allow: boolean; code: string };
    assert.deepEqual([w.allow, w.code], [false, 'NO_GRANT']);
    assert.ok(
      t.events.some(
        (e) => e.type === 'emergency.requested' && e.requestId === wrong && e.patient === t.id('bob'),
      ),
    );
    await assert.rejects(
      s.human('dr-gp', wrong),
      (e: unknown) => e instanceof EmergencyRefusal && e.code === 'REQUEST_DENIED',
    );
    // Revocation: the patient revokes the GP's kfrag; the GP's client refuses, and a cfrag the
    // GP forces onto the ledger anyway is refused by the contract.
    assert.equal((await t.commit(emergencyRevokeTx(t.ctx('bob'), 'es-1', [s.kfragIds[0]!]))).code, 'OK');
    const rid = await s.request('dr-er');
    await assert.rejects(
      s.human('dr-gp', rid),
      (e: unknown) => e instanceof EmergencyRefusal && e.code === 'KFRAG_REVOKED',
    );
    const forced = await forceCFrag(t, s, rid);
    assert.equal((await t.commit(forced)).code, 'KFRAG_REVOKED');
    await cfrags(t, rid, 1);
    await assert.rejects(
      openEmergencyRecord(t.source, rid, s.erPre.secretKey),
      RangeError,
      'GP revoked, family offline',
    );
    await s.human('family', rid);
    assert.match(fromUtf8(await openEmergencyRecord(t.source, rid, s.erPre.secretKey)), /penicillin/);
    assert.deepEqual(refused, [], 'the node proxy never saw an allowed request it had to refuse');
  } finally {
    await t.cleanup();
  }
});

/** The cfrags the node's proxy posted for a request. */
function nodeCfrags(t: ConfidentialLedger, requestId: string): number {
  const r = t.node.stateValue(`emergency:request:${requestId}`) as
    { cfrags: { proxy: string }[] } | undefined;
  return r?.cfrags.filter((c) => c.proxy === 'node:hospitalB').length ?? 0;
}

test('integration: an emergency request committed while the node proxy was down is answered when it starts; restarts and lost answers never double it', async () => {
  const t = await confidentialLedger();
  const cursors = CursorStore.open(join(t.dir, 'feed-cursors.sqlite'));
  const running: EmergencyProxyService[] = [];
  try {
    const s = await setUp(t);
    await s.proxy.stop();
    const mk = (view: LedgerView = t.node): EmergencyProxyService => {
      const p = new EmergencyProxyService(view, {
        nodeKey: t.nodeKey('hospitalB'),
        encryption: s.encryption,
        cursor: cursors.cursor('emergency-proxy'),
        receiptWaitMs: 300,
      });
      running.push(p);
      return p;
    };
    // Committed while no proxy runs: nobody answers.
    const rid = await s.request('dr-er');
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(nodeCfrags(t, rid), 0);
    // The proxy starts (from genesis: no cursor yet) and answers it.
    const p1 = mk().start();
    await cfrags(t, rid, 1);
    await p1.synced();
    await p1.stop();
    assert.equal(cursors.cursor('emergency-proxy').load(), t.node.head().height, 'its cursor is stored');
    // Restarted from its cursor, and even from a cursor reset to genesis, it answers nothing twice.
    cursors.cursor('emergency-proxy').save(0);
    const refused: string[] = [];
    const p2 = mk();
    p2.on('refused', (e: { code: string }) => refused.push(e.code));
    p2.start();
    await p2.synced();
    await p2.stop();
    assert.equal(nodeCfrags(t, rid), 1);
    assert.deepEqual(refused, []);

    // An answer lost before it committed (the node died with it in the mempool; here it is
    // dropped): the cursor does not pass the request, and the proxy answers it again.
    let dropped = 0;
    const lossy = new Proxy(t.node, {
      get(target, p) {
        if (p === 'submit' && dropped === 0)
          return async (tx: { body: { type: string } }) => {
            if (tx.body.type !== 'emergency.cfrag') return target.submit(tx);
            dropped++;
            return { txId: '0'.repeat(64), status: 'pending' };
          };
        const v = Reflect.get(target, p, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    }) as LedgerView;
    const errors: string[] = [];
    const p3 = mk(lossy);
    p3.on('error', (e: Error) => errors.push(e.message));
    p3.start();
    const rid2 = await s.request('dr-er');
    await cfrags(t, rid2, 1);
    await p3.synced();
    assert.equal(dropped, 1);
    assert.equal(nodeCfrags(t, rid2), 1);
    assert.match(errors[0] ?? '', /did not commit in time/);
  } finally {
    for (const p of running) await p.stop();
    cursors.close();
    await t.cleanup();
  }
});

/** The GP re-encrypts with his revoked kfrag, bypassing his client's check, and posts it. */
async function forceCFrag(t: ConfidentialLedger, s: Awaited<ReturnType<typeof setUp>>, rid: string) {
  const { envelopeFromJson, openEnvelope } = await import('@medledger/crypto');
  const setup = t.node.stateValue('emergency:setup:es-1') as {
    proxies: { proxy: string; kfragId: string; sealed: never }[];
  };
  const slot = setup.proxies[0]!;
  const kfrag = await openEnvelope(
    envelopeFromJson(slot.sealed),
    { id: t.id('dr-gp'), privateKey: t.member('dr-gp').encryption.privateKey },
    utf8(`emergency:es-1:${slot.kfragId}`),
  );
  const capsule = Buffer.from(
    (t.node.stateValue('prerecord:er-summary') as { capsule: string }).capsule,
    'base64url',
  );
  const cfrag = preReencrypt(new PreCiphertext(capsule, new Uint8Array(0)), kfrag, {
    delegatingPublicKey: s.patientPre.publicKey,
    verifyingPublicKey: s.signing.publicKey,
    receivingPublicKey: s.erPre.publicKey,
  });
  return t.ctx('dr-gp').wallet.tx({
    chainId: t.node.chainId,
    type: 'emergency.cfrag',
    payload: { requestId: rid, kfragId: slot.kfragId, cfrag: toB64u(cfrag) },
    createdAt: Date.now(),
  });
}
