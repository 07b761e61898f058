/**
 * Integration: keyword search (PEKS, BDOP04 / BSPP). A record's writer posts encrypted ICD-10
 * indexes under the patient's PEKS key; the patient seals a trapdoor for ONE code to a doctor
 * (off-chain); the doctor fetches the patient's indexes from the node in one response and
 * tests them on his side, so the node learns which patient's indexes were fetched, nothing more.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateEncryptionKeyPair, utf8 } from '@medledger/crypto';
import { initPairing } from '@medledger/crypto/pairing';
import { createPeksKeyPair, peksTrapdoor } from '@medledger/crypto/peks';
import { generatePreKeyPair } from '@medledger/crypto/pre';
import {
  openTrapdoor,
  peksIndexTx,
  preRecordTx,
  publishKeysTx,
  sealTrapdoor,
  searchIndexes,
  type PeksIndexes,
} from '@medledger/client';
import { buildServer, type PatientDataRead } from '../src/index.js';
import { confidentialityRoutes } from '../src/api/routes/confidentiality.js';
import { confidentialLedger, signedGet } from './confidentiality-world.js';

test('integration: a trapdoor for one ICD-10 code finds exactly the records carrying it; nothing else matches', async () => {
  await initPairing();
  const t = await confidentialLedger();
  const reads: (PatientDataRead & { reader: string })[] = [];
  const app = buildServer(t.node, {
    plugins: [confidentialityRoutes()],
    readLog: (reader, r) => void reads.push(...r.map((x) => ({ ...x, reader: reader.id }))),
  });
  try {
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const peks = createPeksKeyPair();
    const pre = generatePreKeyPair();
    const bob = t.id('bob');
    assert.equal(
      (await t.commit(publishKeysTx(t.ctx('bob'), { pre: pre.publicKey, peks: peks.publicKey }))).code,
      'OK',
    );
    const codes: Record<string, string[]> = {
      'r-1': ['C50.9', 'E11.9'],
      'r-2': ['I10'],
      'r-3': ['E11.9', 'J45.909'],
      'r-4': ['Z00.00'],
    };
    for (const [id, kw] of Object.entries(codes)) {
      const meta = {
        recordId: id,
        patient: bob,
        subject: 'ep',
        category: 'clinical',
        resourceType: 'Condition',
      };
      assert.equal(
        (await t.commit(preRecordTx(t.ctx('dr-baker'), meta, pre.publicKey, utf8(id)))).code,
        'OK',
      );
      assert.equal((await t.commit(peksIndexTx(t.ctx('dr-baker'), id, peks.publicKey, kw))).code, 'OK');
    }
    assert.equal(
      (await t.commit(peksIndexTx(t.ctx('dr-alice'), 'r-4', peks.publicKey, ['X']))).code,
      'NOT_RESPONSIBLE',
    );
    const path = `/v1/confidentiality/peks/${bob}`;
    const unsigned = await fetch(`${base}${path}`);
    assert.equal(unsigned.status, 401, 'the indexes go to members only');
    assert.equal(((await unsigned.json()) as { code: string }).code, 'UNAUTHENTICATED');
    assert.deepEqual(reads, [], 'a refused read logs nothing');
    const fetchIndexes = async (): Promise<PeksIndexes> =>
      ((await (await signedGet(t, 'dr-chen', base, path)).json()) as { records: PeksIndexes }).records;
    const indexes = await fetchIndexes();
    assert.equal(indexes.length, 4);
    assert.deepEqual(
      reads,
      [{ patient: bob, ref: 'peks', channel: 'peks', reader: t.id('dr-chen') }],
      'the read of the patient’s indexes is logged, naming the patient and the reader',
    );
    // The patient seals a trapdoor for E11.9 to dr-chen (off-chain).
    const sealed = await sealTrapdoor(peks.secretKey, 'E11.9', {
      id: t.id('dr-chen'),
      encryptionKey: t.member('dr-chen').encryption.publicKey,
    });
    const td = await openTrapdoor(sealed, {
      id: t.id('dr-chen'),
      privateKey: t.member('dr-chen').encryption.privateKey,
    });
    assert.deepEqual(searchIndexes(indexes, td), ['r-1', 'r-3']);
    // One keyword only: the trapdoor matches no index of another code (all 6 others tested).
    const others = indexes.flatMap((r) => r.indexes.map((ix) => ({ recordId: r.recordId, indexes: [ix] })));
    const hits = others.filter((o) => searchIndexes([o], td).length > 0);
    assert.equal(hits.length, 2, 'exactly the two E11.9 indexes');
    for (const other of ['E11', 'E11.90', 'C50.9 ', 'I10']) {
      const m = searchIndexes(indexes, peksTrapdoor(peks.secretKey, other));
      assert.deepEqual(m, other === 'I10' ? ['r-2'] : [], other);
    }
    // Members without a trapdoor learn nothing: they cannot open the sealed one, a trapdoor of
    // their own key pair matches nothing, and equal keywords give unrelated indexes.
    await assert.rejects(
      openTrapdoor(sealed, { id: t.id('dr-baker'), privateKey: t.member('dr-baker').encryption.privateKey }),
    );
    await assert.rejects(
      openTrapdoor(sealed, { id: t.id('dr-chen'), privateKey: generateEncryptionKeyPair().privateKey }),
    );
    assert.deepEqual(searchIndexes(indexes, peksTrapdoor(createPeksKeyPair().secretKey, 'E11.9')), []);
    const all = indexes.flatMap((r) => r.indexes);
    assert.equal(new Set(all).size, all.length);
  } finally {
    await app.close();
    await t.cleanup();
  }
});
