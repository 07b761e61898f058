/**
 * Integration: an STT record under an ABE policy, through a real node and its HTTP API.
 * Authorities registered on the ledger by their org root keys; hospitalB's node issues its
 * members' attribute keys (GID = member id) over a signed request; the record is encrypted
 * once and decrypted from the ledger only by members whose attributes satisfy the policy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromUtf8, utf8 } from '@medledger/crypto';
import { initPairing } from '@medledger/crypto/pairing';
import { AbeUserKey, createAbeAuthority } from '@medledger/crypto/abe';
import {
  MedledgerClient,
  MedledgerHttpError,
  abeAuthorityTx,
  abeRecordTx,
  httpLedgerSource,
  issueAttributeKeys,
  openAbeRecord,
  openAttributeKeys,
  signRequest,
} from '@medledger/client';
import { buildServer } from '../src/index.js';
import { AbeAuthorityService } from '../src/confidentiality/abeAuthority.js';
import { confidentialityRoutes } from '../src/api/routes/confidentiality.js';
import { confidentialLedger, type ConfidentialLedger } from './confidentiality-world.js';

const POLICY = '(doctor@hospitalB AND oncology@hospitalB) OR researcher@institute';

async function keysOverHttp(t: ConfidentialLedger, base: string, label: string): Promise<AbeUserKey[]> {
  const m = t.member(label);
  const path = '/v1/confidentiality/abe/keys';
  const auth = signRequest({
    audience: { chainId: t.node.chainId, node: t.node.org },
    signerId: m.memberId,
    privateKey: m.keys.privateKey,
    method: 'GET',
    path,
    ts: Date.now(),
  });
  const res = await fetch(`${base}${path}`, { headers: { 'x-medledger-auth': auth } });
  const body = (await res.json()) as { code?: string; org: string; sealed: never; attributes: string[] };
  if (!res.ok) throw new MedledgerHttpError(res.status, body.code ?? 'HTTP', 'refused');
  return openAttributeKeys(body.sealed, body.org, { id: m.memberId, privateKey: m.encryption.privateKey });
}

test('integration: an STT record encrypted once under an ABE policy opens only for satisfying members; collusion fails', async () => {
  await initPairing();
  const t = await confidentialLedger();
  const hb = createAbeAuthority('hospitalB');
  const inst = createAbeAuthority('institute');
  const app = buildServer(t.node, {
    plugins: [confidentialityRoutes({ abe: new AbeAuthorityService({ secretKey: hb.secretKey }) })],
  });
  try {
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const client = new MedledgerClient(base);
    const http = (who: string) =>
      httpLedgerSource(base, { signerId: t.id(who), privateKey: t.member(who).keys.privateKey });
    for (const org of ['hospitalB', 'institute'])
      assert.equal(
        (
          await client.submitAndWait(
            abeAuthorityTx(t.ctx(`org:${org}`), (org === 'hospitalB' ? hb : inst).publicKey),
          )
        ).code,
        'OK',
      );
    // hospitalB's node issues its members' keys; GID = the authenticated member id.
    const baker = await keysOverHttp(t, base, 'dr-baker');
    assert.deepEqual(baker.map((k) => k.attribute).sort(), ['doctor@hospitalB', 'oncology@hospitalB']);
    assert.ok(baker.every((k) => k.gid === t.id('dr-baker')));
    const chen = await keysOverHttp(t, base, 'dr-chen'); // doctor, surgery
    const dana = await keysOverHttp(t, base, 'nurse-dana'); // nurse, oncology
    await assert.rejects(
      keysOverHttp(t, base, 'researcher'),
      (e: MedledgerHttpError) => e.code === 'FORBIDDEN',
    );
    const researcher = issueAttributeKeys(inst.secretKey, t.id('researcher'), ['researcher@institute']);

    const tx = await abeRecordTx(t.ctx('dr-baker'), http('dr-baker'), {
      recordId: 'onc-report-1',
      patient: t.id('bob'),
      subject: 'ep-2026-1',
      category: 'clinical',
      resourceType: 'DiagnosticReport',
      policy: POLICY,
      plaintext: utf8('{"resourceType":"DiagnosticReport","conclusion":"C50.9"}'),
    });
    assert.equal((await client.submitAndWait(tx)).code, 'OK');
    const rec = (await http('dr-baker').state('record:onc-report-1')) as {
      mode: string;
      encryption: string;
      policy: string;
    };
    assert.deepEqual([rec.mode, rec.encryption, rec.policy], ['stt', 'abe', POLICY]);
    await assert.rejects(
      httpLedgerSource(base).state('record:onc-report-1'),
      (e: unknown) => e instanceof MedledgerHttpError && e.status === 401,
      'the ledger routes serve members only',
    );
    const event = t.events.find((e) => e.type === 'record.transmitted' && e.recordId === 'onc-report-1');
    assert.equal(event?.patient, t.id('bob'));

    assert.match(fromUtf8(await openAbeRecord(http('dr-baker'), 'onc-report-1', baker)), /C50\.9/);
    assert.match(fromUtf8(await openAbeRecord(http('researcher'), 'onc-report-1', researcher)), /C50\.9/);
    await assert.rejects(
      openAbeRecord(http('dr-chen'), 'onc-report-1', chen),
      RangeError,
      'doctor without oncology',
    );
    await assert.rejects(
      openAbeRecord(http('nurse-dana'), 'onc-report-1', dana),
      RangeError,
      'oncology nurse, not a doctor',
    );
    // Collusion: chen (doctor@hospitalB) and dana (oncology@hospitalB) pool their keys. The API
    // refuses mixed GIDs; relabelling dana's key to chen's GID passes that check and still fails.
    await assert.rejects(openAbeRecord(http('dr-chen'), 'onc-report-1', [...chen, ...dana]), TypeError);
    const relabelled = dana.map((k) => new AbeUserKey(t.id('dr-chen'), k.attribute, k.k, k.kPrime));
    await assert.rejects(
      openAbeRecord(http('dr-chen'), 'onc-report-1', [...chen, ...relabelled]),
      /ABE decryption failed/,
    );
    // An outsider to the care team cannot write an ABE record for the patient.
    const intruder = await abeRecordTx(t.ctx('dr-alice'), http('dr-alice'), {
      recordId: 'x',
      patient: t.id('bob'),
      subject: 'ep',
      category: 'clinical',
      resourceType: 'Observation',
      policy: 'doctor@hospitalB',
      plaintext: utf8('x'),
    });
    assert.equal((await client.submitAndWait(intruder)).code, 'NOT_RESPONSIBLE');
  } finally {
    await app.close();
    await t.cleanup();
  }
});
