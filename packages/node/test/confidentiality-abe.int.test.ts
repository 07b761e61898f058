/**
 * Integration: an STT record under an ABE policy, through a real node and its HTTP API.
 * Authorities registered on the ledger by their org root keys; hospitalB's node issues its
 * members' attribute keys (GID = member id) over a signed request; the record is sealed under a
 * release key kept by the sender's node, then encrypted once under the policy. A member whose
 * attributes satisfy the policy opens it only after an `access.request` committed (the ledger
 * checks the member's certified attributes) and the holder released the key: every read is on
 * the ledger. Attribute keys alone give the sealed inner layer, never the record.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { randomBytes, utf8 } from '@medledger/crypto';
import { initPairing } from '@medledger/crypto/pairing';
import { AbeUserKey, createAbeAuthority } from '@medledger/crypto/abe';
import {
  MedledgerClient,
  MedledgerHttpError,
  abeAuthorityTx,
  abeRecordTx,
  httpLedgerSource,
  issueAttributeKeys,
  openAbeLayer,
  openAbeRecord,
  openAttributeKeys,
  signRequest,
} from '@medledger/client';
import { decryptSttBody } from '@medledger/client';
import { RecordsClient } from '@medledger/client';
import type { AccessDecisionEntry, AccessLogEntry } from '@medledger/core';
import { RequestAuthenticator, buildServer, openSqliteEhrStore } from '../src/index.js';
import { AbeAuthorityService } from '../src/confidentiality/abeAuthority.js';
import { confidentialityRoutes } from '../src/api/routes/confidentiality.js';
import { recordRoutes } from '../src/api/routes/records.js';
import { RecordServices } from '../src/records/services.js';
import { ReleaseKeyVault } from '../src/records/vault.js';
import { confidentialLedger, signedGet, type ConfidentialLedger } from './confidentiality-world.js';

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

/** hospitalB's node with the record routes (release keys, access) and the confidentiality routes. */
async function abeNode(t: ConfidentialLedger, abe: AbeAuthorityService) {
  const masterKey = randomBytes(32);
  const ehr = openSqliteEhrStore({ path: join(t.dir, 'ehr.sqlite'), masterKey });
  const vault = ReleaseKeyVault.open({ path: join(t.dir, 'vault.sqlite'), masterKey });
  const services = new RecordServices({
    node: t.node,
    org: 'hospitalB',
    nodeKey: t.nodeKey('hospitalB'),
    ehr,
    vault,
    logFlushMs: 20,
  });
  await services.start();
  const auth = new RequestAuthenticator(t.node);
  const app = buildServer(t.node, {
    auth,
    plugins: [recordRoutes(services, auth), confidentialityRoutes({ abe, auth })],
  });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const records = (label: string): RecordsClient =>
    new RecordsClient({
      baseUrl: base,
      signerId: t.id(label),
      privateKey: t.member(label).keys.privateKey,
      encryptionKey: t.member(label).encryption.privateKey,
    });
  const close = async (): Promise<void> => {
    await app.close();
    await services.close();
    await ehr.close();
    vault.close();
  };
  return { base, services, records, close };
}

/** The committed `access.log` entries of the ledger for releases of a record's key (channel stt). */
function logged(t: ConfidentialLedger, recordId: string): AccessLogEntry[] {
  const out: AccessLogEntry[] = [];
  for (let h = 1; h <= t.node.head().height; h++) {
    const b = t.node.getBlock(h)!;
    b.block.txs.forEach((x, i) => {
      if (x.body.type !== 'access.log' || b.codes[i] !== 'OK') return;
      const entries = (x.body.payload as unknown as { entries: AccessLogEntry[] }).entries;
      out.push(...entries.filter((e) => e.recordId === recordId && e.channel === 'stt'));
    });
  }
  return out;
}

test('integration: an ABE STT record opens only for satisfying members, after a logged access.request; collusion fails', async () => {
  await initPairing();
  const t = await confidentialLedger();
  const hb = createAbeAuthority('hospitalB');
  const inst = createAbeAuthority('institute');
  const n = await abeNode(t, new AbeAuthorityService({ secretKey: hb.secretKey }));
  try {
    const { base } = n;
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

    // dr-baker writes: the release key stays at hospitalB's node, the record is sealed under it
    // and then encrypted once under the policy.
    const report = { resourceType: 'DiagnosticReport', status: 'final', conclusion: 'C50.9' };
    const written = await n.records('dr-baker').sendSttAbe({
      recordId: 'onc-report-1',
      patient: t.id('bob'),
      subject: 'ep-2026-1',
      category: 'clinical',
      resource: report,
      policy: POLICY,
    });
    assert.equal(written.receipt.code, 'OK');
    const rec = (await http('dr-baker').state('record:onc-report-1')) as {
      mode: string;
      encryption: string;
      policy: string;
      holder: string;
    };
    assert.deepEqual([rec.mode, rec.encryption, rec.policy, rec.holder], ['stt', 'abe', POLICY, 'hospitalB']);
    await assert.rejects(
      httpLedgerSource(base).state('record:onc-report-1'),
      (e: unknown) => e instanceof MedledgerHttpError && e.status === 401,
      'the ledger routes serve members only',
    );
    const event = t.events.find((e) => e.type === 'record.transmitted' && e.recordId === 'onc-report-1');
    assert.equal(event?.patient, t.id('bob'));

    // Attribute keys alone give the sealed inner layer, not the record: no read without the ledger.
    const inner = await openAbeLayer(http('dr-baker'), 'onc-report-1', baker);
    assert.ok(
      !Buffer.from(inner).toString('latin1').includes('C50.9'),
      'the ABE layer alone reveals nothing',
    );
    assert.throws(() => decryptSttBody(randomBytes(32), inner, 'onc-report-1'));
    // ... and the holder releases the key to nobody without an allowed access.request.
    const noRequest = await signedGet(t, 'dr-baker', base, `/v1/access/${written.txId}/release`);
    assert.equal(noRequest.status, 404, 'no access decision for a transaction that is not a request');
    assert.deepEqual(logged(t, 'onc-report-1'), [], 'nothing was served, nothing logged');

    // The read: access.request on the ledger (attributes checked), key released, decrypted.
    assert.deepEqual(await n.records('dr-baker').openSttAbe('onc-report-1', 'treatment', baker), report);
    assert.deepEqual(
      await n.records('researcher').openSttAbe('onc-report-1', 'research', researcher),
      report,
    );
    const decisions = t.events
      .filter((e) => e.type === 'access.decided' && e.recordId === 'onc-report-1')
      .map((e) => [(e as unknown as AccessDecisionEntry).requester, e.allow, e.basis]);
    assert.deepEqual(decisions, [
      [t.id('dr-baker'), true, 'attributes'],
      [t.id('researcher'), true, 'attributes'],
    ]);
    assert.equal(await n.services.accessLog.settle(), 'OK');
    assert.deepEqual(
      logged(t, 'onc-report-1').map((e) => [e.requester, e.channel, e.outcome]),
      [
        [t.id('dr-baker'), 'stt', 'allowed'],
        [t.id('researcher'), 'stt', 'allowed'],
      ],
      'each release of the key is logged on the ledger',
    );

    // A member whose certified attributes do not satisfy the policy is denied by the ledger
    // (and could not open the ABE layer anyway).
    await assert.rejects(
      n.records('dr-chen').openSttAbe('onc-report-1', 'treatment', chen),
      RangeError,
      'doctor without oncology',
    );
    const chenReq = await n.records('dr-chen').requestAccess('onc-report-1', 'treatment');
    assert.deepEqual([chenReq.decision.allow, chenReq.decision.code], [false, 'POLICY_NOT_SATISFIED']);
    await assert.rejects(
      n.records('dr-chen').fetchReleaseKey(chenReq.txId),
      (e: unknown) => e instanceof MedledgerHttpError && e.code === 'ACCESS_DENIED',
      'no key for a denied request',
    );
    await assert.rejects(
      n.records('nurse-dana').openSttAbe('onc-report-1', 'treatment', dana),
      RangeError,
      'oncology nurse, not a doctor',
    );
    // Collusion: chen (doctor@hospitalB) and dana (oncology@hospitalB) pool their keys. The API
    // refuses mixed GIDs; relabelling dana's key to chen's GID passes that check and still fails.
    await assert.rejects(openAbeLayer(http('dr-chen'), 'onc-report-1', [...chen, ...dana]), TypeError);
    const relabelled = dana.map((k) => new AbeUserKey(t.id('dr-chen'), k.attribute, k.k, k.kPrime));
    await assert.rejects(
      openAbeLayer(http('dr-chen'), 'onc-report-1', [...chen, ...relabelled]),
      /ABE decryption failed/,
    );
    // The release key a satisfying member got does not open it without the ABE layer's keys.
    await assert.rejects(openAbeRecord(http('dr-chen'), 'onc-report-1', chen, randomBytes(32)), RangeError);
    // An outsider to the care team cannot write an ABE record for the patient.
    const intruder = await abeRecordTx(t.ctx('dr-alice'), http('dr-alice'), {
      recordId: 'x',
      patient: t.id('bob'),
      subject: 'ep',
      category: 'clinical',
      resourceType: 'Observation',
      policy: 'doctor@hospitalB',
      plaintext: utf8('x'),
      releaseKey: randomBytes(32),
    });
    assert.equal((await client.submitAndWait(intruder)).code, 'NOT_RESPONSIBLE');
  } finally {
    await n.close();
    await t.cleanup();
  }
});
