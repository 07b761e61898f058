/** Keyword indexes (PEKS, BDOP04) of records on the ledger, searched with a patient's trapdoor. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromB64u, toB64u, utf8 } from '@medledger/crypto';
import { initPairing } from '@medledger/crypto/pairing';
import { PeksIndex, createPeksKeyPair, peksIndex, peksTest, peksTrapdoor } from '@medledger/crypto/peks';
import { generatePreKeyPair, preEncrypt } from '@medledger/crypto/pre';
import { cworld } from './confidentiality-world.js';

test('peks.index: a record’s writer indexes it under the patient key; a trapdoor finds only its keyword', async () => {
  await initPairing();
  const w = await cworld();
  const peks = createPeksKeyPair();
  const pre = generatePreKeyPair();
  w.run(w.tx(w.bob, 'keys.publish', { pre: toB64u(pre.publicKey) }));
  const rec = (id: string) =>
    w.tx(w.baker, 'pre.record', {
      recordId: id,
      patient: w.bob.id,
      subject: 'ep1',
      category: 'clinical',
      resourceType: 'Condition',
      ciphertext: toB64u(preEncrypt(pre.publicKey, utf8(id)).toBytes()),
    });
  assert.deepEqual(w.run(rec('r-1'), rec('r-2'), rec('r-3')), ['OK', 'OK', 'OK']);
  const codes: Record<string, string[]> = {
    'r-1': ['C50.9', 'E11.9'],
    'r-2': ['I10'],
    'r-3': ['E11.9', 'J45'],
  };
  const ix = (id: string, by = w.baker) =>
    w.tx(by, 'peks.index', {
      recordId: id,
      indexes: codes[id]!.map((k) => toB64u(peksIndex(peks.publicKey, k).toBytes())),
    });
  assert.deepEqual(w.run(ix('r-1')), ['NO_PEKS_KEY']);
  w.run(w.tx(w.bob, 'keys.publish', { peks: toB64u(peks.publicKey.toBytes()) }));
  assert.deepEqual(w.run(ix('r-1', w.outsider)), ['NOT_RESPONSIBLE']);
  assert.deepEqual(w.run(ix('r-1'), ix('r-2'), ix('r-3')), ['OK', 'OK', 'OK']);
  assert.deepEqual(w.run(ix('r-1')), ['INDEX_EXISTS']);
  assert.deepEqual(w.run(w.tx(w.baker, 'peks.index', { recordId: 'r-1', indexes: [toB64u(utf8('junk'))] })), [
    'INVALID_PAYLOAD',
  ]);
  const search = (td: ReturnType<typeof peksTrapdoor>): string[] =>
    w
      .state<string[]>(`peks:records:${w.bob.id}`)
      .filter((id) =>
        w
          .state<{ indexes: string[] }>(`peks:index:${id}`)
          .indexes.some((b) => peksTest(PeksIndex.fromBytes(fromB64u(b)), td)),
      );
  assert.deepEqual(search(peksTrapdoor(peks.secretKey, 'E11.9')), ['r-1', 'r-3']);
  assert.deepEqual(search(peksTrapdoor(peks.secretKey, 'I10')), ['r-2']);
  assert.deepEqual(search(peksTrapdoor(peks.secretKey, 'E11')), [], 'no prefix match');
  assert.deepEqual(search(peksTrapdoor(createPeksKeyPair().secretKey, 'E11.9')), [], 'another key pair');
  const all = ['r-1', 'r-2', 'r-3'].flatMap(
    (id) => w.state<{ indexes: string[] }>(`peks:index:${id}`).indexes,
  );
  assert.equal(new Set(all).size, all.length, 'two indexes of one keyword look unrelated');
});
