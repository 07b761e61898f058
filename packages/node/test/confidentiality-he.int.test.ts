/**
 * Integration: hospitals post a patient's expenses encrypted under his Paillier key; the
 * insurer's claim is summed by the contract; the custodian node holding the patient's key
 * releases only the claim's total, sealed to the insurer, who checks it against the aggregate.
 * The insurer never holds the key and no API decrypts an item.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { envelopeToJson, sealEnvelope, utf8 } from '@medledger/crypto';
import { createHeKeyPair } from '@medledger/crypto/he';
import {
  HeRefusal,
  claimTx,
  expenseTx,
  httpLedgerSource,
  openClaimTotal,
  publishKeysTx,
  releaseTotalTx,
} from '@medledger/client';
import { buildServer, type PatientDataRead } from '../src/index.js';
import { HeCustodianService } from '../src/confidentiality/heCustodian.js';
import { confidentialityRoutes } from '../src/api/routes/confidentiality.js';
import { confidentialLedger, grant, signedGet } from './confidentiality-world.js';

async function until(f: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !f(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(f(), 'condition not reached in time');
}

test('integration: the insurer obtains a claim total, never an item; the total is checked against the ledger', async () => {
  const t = await confidentialLedger();
  const reads: (PatientDataRead & { reader: string })[] = [];
  const app = buildServer(t.node, {
    plugins: [confidentialityRoutes()],
    readLog: (reader, r) => void reads.push(...r.map((x) => ({ ...x, reader: reader.id }))),
  });
  try {
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const http = (who: string) =>
      httpLedgerSource(base, { signerId: t.id(who), privateKey: t.member(who).keys.privateKey });
    const { publicKey, secretKey } = await createHeKeyPair();
    const custodian = new HeCustodianService(t.node, t.nodeKey('hospitalB')).start();
    custodian.hold(t.id('bob'), secretKey);
    const refusals: string[] = [];
    custodian.on('refused', (e: { code: string }) => refusals.push(e.code));
    assert.equal(
      (await t.commit(publishKeysTx(t.ctx('bob'), { he: publicKey, heHolder: 'hospitalB' }))).code,
      'OK',
    );
    const items: [string, string, number][] = [
      ['e-1', 'dr-baker', 125_50],
      ['e-2', 'dr-gp', 99_00],
      ['e-3', 'dr-baker', 1_400_00],
      ['e-4', 'dr-alice', 12_00],
    ];
    for (const [id, by, cents] of items)
      assert.equal(
        (await t.commit(await expenseTx(t.ctx(by), http(by), { expenseId: id, patient: t.id('bob'), cents })))
          .code,
        'OK',
      );
    const claim = (id: string, ids: string[]) =>
      t.commit(claimTx(t.ctx('claims'), { claimId: id, patient: t.id('bob'), expenseIds: ids }));
    assert.equal((await claim('c-1', ['e-1', 'e-2'])).code, 'CLAIM_NOT_PERMITTED', 'no payment consent yet');
    assert.equal(
      (
        await t.commit(
          grant(t, 'g-pay', { kind: 'org', org: 'insurer' }, { categories: ['billing'] }, ['payment']),
        )
      ).code,
      'OK',
    );
    assert.equal((await claim('c-0', ['e-3'])).code, 'TOO_FEW_TERMS', 'a single item is never decrypted');
    assert.equal((await claim('c-1', ['e-1', 'e-2'])).code, 'OK');
    await until(() => (t.node.stateValue('he:claim:c-1') as { status: string }).status === 'released');
    const insurer = { id: t.id('claims'), privateKey: t.member('claims').encryption.privateKey };
    assert.equal(await openClaimTotal(http('claims'), 'c-1', insurer), 224_50n);
    // Differencing: a second claim sharing an item is refused, so e-2 = (e-2 + e-3) - e-3 is out of reach.
    assert.equal((await claim('c-2', ['e-2', 'e-3'])).code, 'EXPENSE_CLAIMED');
    // The custodian decrypts only claims the ledger accepted.
    assert.equal(await custodian.release('c-2', t.id('bob')), undefined);
    assert.deepEqual(refusals, ['NOT_A_CLAIM']);
    // Another member cannot open the sealed total.
    await assert.rejects(
      openClaimTotal(http('dr-baker'), 'c-1', {
        id: t.id('dr-baker'),
        privateKey: t.member('dr-baker').encryption.privateKey,
      }),
    );
    // A lying key holder is caught: a wrong total does not re-encrypt to the aggregate.
    await custodian.stop();
    assert.equal((await claim('c-3', ['e-3', 'e-4'])).code, 'OK');
    const honest = await releaseTotalTx(t.ctx('bob'), http('bob'), 'c-3', secretKey); // the patient's device
    const lie = await sealEnvelope({
      plaintext: utf8(JSON.stringify({ total: '100', r: '1' })),
      receivers: [{ id: t.id('claims'), publicKey: t.member('claims').encryption.publicKey }],
      aad: utf8('he-total:c-3'),
    });
    const lying = t.ctx('bob').wallet.tx({
      chainId: t.node.chainId,
      type: 'he.total',
      payload: { claimId: 'c-3', sealed: envelopeToJson(lie) as never },
      createdAt: Date.now(),
    });
    assert.equal((await t.commit(lying)).code, 'OK');
    await assert.rejects(openClaimTotal(http('claims'), 'c-3', insurer), /does not match the aggregate/);
    assert.equal((await t.commit(honest)).code, 'ALREADY_RELEASED');
    await assert.rejects(
      releaseTotalTx(t.ctx('bob'), http('bob'), 'c-3', secretKey),
      (e: unknown) => e instanceof HeRefusal,
    );
    // What the insurer can read through the API: the claim (aggregate + sealed total), never a key.
    const claimPath = '/v1/confidentiality/he/claims/c-1';
    assert.equal((await fetch(`${base}${claimPath}`)).status, 401, 'claims go to members only');
    const claimReads = () => reads.filter((r) => r.channel === 'he-claim');
    assert.deepEqual(claimReads(), []);
    const res = await signedGet(t, 'claims', base, claimPath);
    assert.deepEqual(claimReads(), [
      { patient: t.id('bob'), ref: 'c-1', channel: 'he-claim', reader: t.id('claims') },
    ]);
    const body = (await res.json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), [
      'aggregate',
      'claimId',
      'count',
      'expenseIds',
      'height',
      'insurer',
      'insurerOrg',
      'patient',
      'sealed',
      'status',
      'time',
      'txId',
    ]);
  } finally {
    await app.close();
    await t.cleanup();
  }
});
