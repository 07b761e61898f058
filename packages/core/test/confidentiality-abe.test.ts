/**
 * record.stt.abe: an STT record encrypted once under a multi-authority ABE policy (RW15),
 * authorities registered on the ledger by their organization root keys.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromB64u, toB64u, utf8, fromUtf8 } from '@medledger/crypto';
import { initPairing } from '@medledger/crypto/pairing';
import {
  AbeAuthorityPublicKey,
  AbeCiphertext,
  abeDecrypt,
  abeEncrypt,
  createAbeAuthority,
  issueAbeUserKey,
} from '@medledger/crypto/abe';
import { getTransmissions, txIdOf, type SignedTx } from '../src/index.js';
import { cworld, type CWorld } from './confidentiality-world.js';

const POLICY = '(doctor@hospitalB AND oncology@hospitalB) OR researcher@institute';

async function abeWorld(): Promise<{
  w: CWorld;
  hb: ReturnType<typeof createAbeAuthority>;
  inst: ReturnType<typeof createAbeAuthority>;
  write(
    recordId: string,
    policy: string,
    body: string,
    signer?: CWorld['baker'],
    prev?: string | null,
  ): SignedTx;
}> {
  await initPairing();
  const w = await cworld();
  const hb = createAbeAuthority('hospitalB');
  const inst = createAbeAuthority('institute');
  const write = (
    recordId: string,
    policy: string,
    body: string,
    signer = w.baker,
    prev: string | null = null,
  ): SignedTx => {
    // Encryptors take the authority keys from the ledger, never from whoever hands them one.
    const pks = ['hospitalB', 'institute']
      .map((o) => w.state<{ publicKey: string } | undefined>(`abe:authority:${o}`))
      .filter((e): e is { publicKey: string } => e !== undefined)
      .map((e) => AbeAuthorityPublicKey.fromBytes(fromB64u(e.publicKey)));
    const ct = abeEncrypt(policy, pks.length ? pks : [hb.publicKey, inst.publicKey], utf8(body), {
      aad: utf8(recordId),
    });
    return w.tx(signer, 'record.stt.abe', {
      recordId,
      patient: w.bob.id,
      subject: 'ep1-abc',
      category: 'clinical',
      resourceType: 'DiagnosticReport',
      purpose: 'treatment',
      prev,
      policy: ct.policy,
      ciphertext: toB64u(ct.toBytes()),
    });
  };
  return { w, hb, inst, write };
}

test('abe.authority: an organization registers its own authority key; another org cannot', async () => {
  const { w, hb, inst } = await abeWorld();
  const reg = (signer: string, pk: AbeAuthorityPublicKey): SignedTx =>
    w.tx(signer, 'abe.authority', { publicKey: toB64u(pk.toBytes()) });
  assert.deepEqual(w.run(reg('org:hospitalA', hb.publicKey)), ['UNAUTHORIZED'], 'impostor authority');
  assert.deepEqual(w.run(w.tx(w.baker, 'abe.authority', { publicKey: toB64u(hb.publicKey.toBytes()) })), [
    'UNAUTHORIZED',
  ]);
  assert.deepEqual(w.run(reg('org:hospitalB', hb.publicKey), reg('org:institute', inst.publicKey)), [
    'OK',
    'OK',
  ]);
  assert.equal(w.state<{ version: number }>('abe:authority:hospitalB').version, 1);
  assert.deepEqual(w.run(reg('org:hospitalB', createAbeAuthority('hospitalB').publicKey)), ['OK']);
  assert.equal(w.state<{ version: number }>('abe:authority:hospitalB').version, 2, 'rotation');
  const bad = w.tx('org:hospitalB', 'abe.authority', { publicKey: toB64u(utf8('not a key')) });
  assert.deepEqual(w.run(bad), ['INVALID_PAYLOAD']);
});

test('record.stt.abe: the record is encrypted once; members whose attributes satisfy the policy decrypt it from the ledger', async () => {
  const { w, hb, inst, write } = await abeWorld();
  const early = write('onc-1', POLICY, 'x');
  assert.deepEqual(w.run(early), ['UNKNOWN_AUTHORITY'], 'authorities must be on the ledger first');
  w.run(
    w.tx('org:hospitalB', 'abe.authority', { publicKey: toB64u(hb.publicKey.toBytes()) }),
    w.tx('org:institute', 'abe.authority', { publicKey: toB64u(inst.publicKey.toBytes()) }),
  );
  assert.deepEqual(w.run(write('onc-x', POLICY, 'x', w.outsider)), ['NOT_RESPONSIBLE']);
  const tx = write('onc-1', POLICY, 'biopsy: C50.9');
  assert.deepEqual(w.run(tx), ['OK']);
  const rec = w.state<{ mode: string; encryption: string; policy: string; authorities: object }>(
    'record:onc-1',
  );
  assert.equal(rec.mode, 'stt');
  assert.equal(rec.encryption, 'abe');
  assert.equal(rec.policy, POLICY);
  assert.deepEqual(rec.authorities, { hospitalB: 1, institute: 1 });
  const dag = getTransmissions(w.c.reader, 'onc-1');
  assert.equal(dag.length, 1);
  assert.deepEqual(dag[0]!.to, []);
  // Decrypt from the transaction as stored (what every node holds).
  const ct = AbeCiphertext.fromBytes(fromB64u(tx.body.payload.ciphertext as string));
  const aad = utf8('onc-1');
  const chen = w.chen.id;
  const chenKeys = [
    issueAbeUserKey(hb.secretKey, chen, 'doctor@hospitalB'),
    issueAbeUserKey(hb.secretKey, chen, 'oncology@hospitalB'),
  ];
  assert.equal(fromUtf8(abeDecrypt(ct, chenKeys, aad)), 'biopsy: C50.9');
  const r = issueAbeUserKey(inst.secretKey, w.researcher.id, 'researcher@institute');
  assert.equal(fromUtf8(abeDecrypt(ct, [r], aad)), 'biopsy: C50.9');
  // A doctor without the oncology attribute cannot.
  const outsider = issueAbeUserKey(hb.secretKey, w.outsider.id, 'doctor@hospitalB');
  assert.throws(() => abeDecrypt(ct, [outsider], aad), RangeError);
  // Collusion: a doctor and an oncology nurse (different GIDs) pool their keys, relabelled to
  // one GID so the API check passes; decryption still fails.
  const nurse = issueAbeUserKey(hb.secretKey, w.gp.id, 'oncology@hospitalB');
  const pooled = Object.assign(Object.create(Object.getPrototypeOf(nurse)), nurse, { gid: w.outsider.id });
  assert.throws(() => abeDecrypt(ct, [outsider, pooled], aad), /ABE decryption failed/);
  // Bound to the record id: a replay of the ciphertext under another id does not open.
  assert.throws(() => abeDecrypt(ct, chenKeys, utf8('onc-2')), /ABE decryption failed/);
});

test('record.stt.abe: the ciphertext must carry the declared policy; re-shares extend the STT DAG', async () => {
  const { w, hb, inst, write } = await abeWorld();
  w.run(
    w.tx('org:hospitalB', 'abe.authority', { publicKey: toB64u(hb.publicKey.toBytes()) }),
    w.tx('org:institute', 'abe.authority', { publicKey: toB64u(inst.publicKey.toBytes()) }),
  );
  const tx = write('r-1', 'doctor@hospitalB', 'x');
  const swapped = w.tx(w.baker, 'record.stt.abe', { ...tx.body.payload, policy: 'researcher@institute' });
  assert.deepEqual(w.run(swapped), ['INVALID_PAYLOAD'], 'policy and ciphertext disagree');
  const nonCanonical = w.tx(w.baker, 'record.stt.abe', { ...tx.body.payload, policy: '(doctor@hospitalB)' });
  assert.deepEqual(w.run(nonCanonical), ['INVALID_PAYLOAD']);
  assert.deepEqual(w.run(tx), ['OK']);
  assert.deepEqual(w.run(write('r-1', 'doctor@hospitalB', 'x')), ['RECORD_EXISTS']);
  const first = txIdOf(tx.body);
  assert.deepEqual(w.run(write('r-1', 'researcher@institute', 'x', w.outsider, first)), ['NOT_RESPONSIBLE']);
  assert.deepEqual(
    w.run(write('r-1', 'researcher@institute', 'x', w.bob, first)),
    ['OK'],
    'patient re-shares',
  );
  const dag = getTransmissions(w.c.reader, 'r-1') as unknown as { prev: string | null; policy: string }[];
  assert.deepEqual(
    dag.map((t) => [t.prev, t.policy]),
    [
      [null, 'doctor@hospitalB'],
      [first, 'researcher@institute'],
    ],
  );
});
