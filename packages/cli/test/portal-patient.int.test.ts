/**
 * The patient's pages and the consortium explorer in real Chromium (Debian's `chromium`,
 * driven by playwright-core) against a dev node (`medledger start --dev`, one node):
 * - the timeline shows a DSS record with its quorum and who signed (2 of 3), drawn on the
 *   patient's DSS chain; an SPV record with its holder; an STT record's transmission path as
 *   a graph (alice → baker → chen);
 * - emergency access by a doctor, driven with the client SDK, appears in the patient's feed
 *   live, as break-glass: a read under the patient's pre-authorised emergency consent, and an
 *   emergency request answered by threshold re-encryption (Umbral PRE, 2 of 3 proxies);
 * - an erasure of a DSS record is refused with the ledger's reason; an erasure of the SPV
 *   record is accepted and the timeline and feed show it;
 * - the explorer lists the node with its height and its latest checkpoint (final);
 * - the node does not answer the timeline for a moment: the page says so, retries, and loads it;
 * - negative: the records route refuses another member's timeline to this patient's signed
 *   request (and a doctor's request for the patient's), and an unsigned one; no request the
 *   page sends carries a private key or the passphrase, or goes anywhere but the node.
 * Screenshots: docs/screenshots/patient-timeline.png, patient-timeline-phone.png,
 * explorer-nodes.png.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Request } from 'playwright-core';
import { fromB64u, utf8 } from '@medledger/crypto';
import { generatePreKeyPair } from '@medledger/crypto/pre';
import type { RecordsClient } from '@medledger/client';
import {
  API,
  ApiClient,
  MedledgerHttpError,
  Wallet,
  emergencyRequestTx,
  emergencySetupTx,
  preRecordTx,
  publishKeysTx,
} from '@medledger/client';
import type { SignedTx } from '@medledger/core';
import { start } from '../src/commands/start.js';
import { openWalletFile, walletPaths } from '../src/dirs/wallets.js';
import { assertRequestsClean, makeDevDir, memberSdk, walletSecrets } from './helpers.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const SHOTS = fileURLToPath(new URL('../../../../docs/screenshots/', import.meta.url));
const HOUR = 3_600_000;

test('portal (patient): timeline with DSS signers, SPV holder and STT path graph; emergency access live in the feed; erasure refused with its reason and accepted; explorer nodes and checkpoint; other timelines refused; no secret sent', async () => {
  const { dir, wallets, walletPassphrase } = await makeDevDir();
  const s = await start({ dir, dev: true, port: 0, log: () => {} });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const sdk = (label: string): RecordsClient => memberSdk({ wallets, walletPassphrase }, s.url, label);
    const bob = sdk('bob');
    const alice = sdk('dr-alice');
    const baker = sdk('dr-baker');
    const chen = sdk('dr-chen');
    const patient = bob.memberId;
    await bob.setCareTeam([alice.memberId, baker.memberId, chen.memberId]);
    const subject = { reference: 'Patient/ep-pp' };

    // DSS: a referral (1 of 1), then a plan that needs 2 of its 3 doctors, signed by alice and baker.
    await alice.writeDss({
      recordId: 'pp-referral',
      patient,
      category: 'clinical',
      resource: { resourceType: 'Condition', code: { text: 'referral: dyspepsia' }, subject },
    });
    const planBody = await alice.prepareDss(
      {
        recordId: 'pp-plan',
        patient,
        category: 'clinical',
        resource: { resourceType: 'Condition', code: { text: 'surgical plan' }, subject },
        responsible: [alice.memberId, baker.memberId, chen.memberId],
        k: 2,
      },
      [baker.memberId],
    );
    await alice.submitCosigned(planBody, [alice.sign(planBody), baker.sign(planBody)]);
    // SPV: the biopsy, kept by hospital A.
    await alice.writeSpv({
      recordId: 'pp-biopsy',
      patient,
      resource: {
        resourceType: 'DiagnosticReport',
        status: 'final',
        category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'LAB' }] }],
        code: { text: 'Biopsy' },
        subject,
        performer: [{ reference: 'Practitioner/dr-alice' }],
      },
    });
    // STT: a CT report sent to baker, who re-shares it with chen.
    await alice.sendStt({
      recordId: 'pp-ct',
      patient,
      category: 'imaging',
      resource: {
        resourceType: 'DiagnosticReport',
        status: 'final',
        code: { text: 'CT abdomen' },
        subject,
        performer: [{ reference: 'Practitioner/dr-alice' }],
      },
      receivers: [baker.memberId],
      purpose: 'treatment',
    });
    await baker.reshareStt({ recordId: 'pp-ct', receivers: [chen.memberId], purpose: 'treatment' });

    // Negative: the records route serves a timeline to its patient only.
    const signedAs = (c: RecordsClient, label: string) => {
      const m = openWalletFile(wallets, label, walletPassphrase);
      return new ApiClient(s.url, { signerId: c.memberId, privateKey: m.keys.signing.privateKey });
    };
    for (const [who, label, id] of [
      [bob, 'bob', alice.memberId],
      [alice, 'dr-alice', patient],
    ] as const) {
      await assert.rejects(
        signedAs(who, label).call(API.records.patientRecords, { params: { id } }),
        (e: unknown) => e instanceof MedledgerHttpError && e.status === 403 && e.code === 'FORBIDDEN',
        `${label} may not list the records of ${id.slice(0, 8)}`,
      );
    }
    const unsigned = await fetch(`${s.url}/v1/patients/${patient}/records`);
    assert.equal(unsigned.status, 401, 'an unsigned request is refused');
    const own = await signedAs(bob, 'bob').call(API.records.patientRecords, { params: { id: patient } });
    assert.equal(own.records.length, 4, 'the patient lists their own four records');

    // The patient signs in in the page.
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    const sent: Request[] = [];
    page.on('request', (r) => sent.push(r));
    // The node does not answer the timeline for a moment: the page says so and retries.
    let unreachable = true;
    await page.route('**/v1/patients/*/records', (r) =>
      unreachable ? r.abort('connectionrefused') : r.continue(),
    );
    await page.goto(`${s.url}/`);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Wallet file (.wallet.json)').setInputFiles(walletPaths(wallets, 'bob').wallet);
    await page.getByLabel('Passphrase').fill(walletPassphrase);
    await page
      .getByRole('region', { name: 'Sign in with your wallet' })
      .getByRole('button', { name: 'Sign in' })
      .click();
    await page.getByRole('heading', { name: 'Your records and who reads them' }).waitFor({ timeout: 30_000 });
    await page.getByText('● live').waitFor({ timeout: 15_000 });
    // The page's shell (connection.ts) holds the failed read and says so in its banner.
    const waiting = page
      .getByRole('status')
      .filter({ hasText: /The node is not answering\. Trying again in/ });
    await waiting.waitFor({ timeout: 10_000 });
    unreachable = false;
    await waiting.waitFor({ state: 'detached', timeout: 20_000 });

    // 1. The timeline, newest first, each record with its architecture.
    const timeline = page.getByRole('list', { name: 'Your records, newest first' });
    await timeline.waitFor({ timeout: 20_000 });
    const order = await timeline
      .locator('li.record')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')));
    assert.deepEqual(order, ['record-pp-ct', 'record-pp-biopsy', 'record-pp-plan', 'record-pp-referral']);
    const plan = page.getByTestId('dss-pp-plan');
    await plan.getByText('dr-baker').waitFor({ timeout: 10_000 });
    const planText = (await plan.textContent()) ?? '';
    assert.match(planText, /Needs 2 of its 3 responsible doctors; signed by 2/);
    assert.match(planText, /✔ signed dr-alice/);
    assert.match(planText, /✔ signed dr-baker/);
    assert.match(planText, /– did not sign dr-chen/);
    assert.match(planText, /Follows your previous DSS record/);
    const chain = page.getByTestId('dss-chain');
    assert.match((await chain.getByRole('img').getAttribute('aria-label')) ?? '', /pp-plan ← pp-referral/);
    await chain.getByRole('button', { name: 'Check the chain here' }).click();
    await page
      .getByTestId('dss-chain-check')
      .filter({ hasText: /Checked in this browser: 2 records/ })
      .waitFor({ timeout: 20_000 });
    assert.equal(await page.getByTestId('holder-pp-biopsy').textContent(), 'hospitalA');
    assert.match((await page.getByTestId('spv-pp-biopsy').textContent()) ?? '', /[0-9a-f]{24}…/);
    const graph = page.getByTestId('stt-graph-pp-ct');
    const edges = await graph
      .getByTestId('stt-edge')
      .evaluateAll((els) => els.map((e) => `${e.getAttribute('data-from')}>${e.getAttribute('data-to')}`));
    assert.deepEqual(edges, [`${alice.memberId}>${baker.memberId}`, `${baker.memberId}>${chen.memberId}`]);
    assert.equal(await graph.getByTestId('stt-node').count(), 3);
    await graph.getByText('dr-chen').first().waitFor();
    assert.match((await graph.textContent()) ?? '', /dr-alice → dr-baker[\s\S]*dr-baker → dr-chen/);

    // 2. Emergency access: the patient allowed baker emergency reads of lab records ahead of
    // time; baker reads the biopsy for an emergency; the feed shows it live, as break-glass.
    const now = Date.now();
    await bob.grantConsent({
      grantId: 'pp-emergency',
      grantee: { kind: 'member', memberId: baker.memberId },
      scope: { categories: ['lab', 'clinical'] },
      purposes: ['emergency'],
      emergency: true,
      notBefore: now - 60_000,
      notAfter: now + HOUR,
    });
    const feed = page.getByTestId('feed-item');
    const feedBefore = await feed.count();
    const read = await baker.readSpv('pp-biopsy', 'emergency');
    assert.equal(read.verified, true);
    const emergency = feed.filter({ hasText: 'Emergency access (break-glass)' });
    await emergency.first().waitFor({ timeout: 5_000 });
    const emergencyText = (await emergency.first().textContent()) ?? '';
    assert.match(emergencyText, /dr-baker[\s\S]*asked for pp-biopsy under your emergency consent: allowed/);
    assert.equal(await feed.count(), feedBefore + 1);

    // The other break-glass: an emergency request answered by threshold re-encryption (survey
    // §5: Umbral PRE, kfrags sealed to 2-of-3 proxies). The patient's set-up is on the ledger;
    // baker's request is decided there and notified to the patient, who sees it live.
    const chainId = (await bob.http.status()).chainId;
    const ctx = (c: RecordsClient, label: string) => ({
      wallet: new Wallet({
        signerId: c.memberId,
        privateKey: openWalletFile(wallets, label, walletPassphrase).keys.signing.privateKey,
      }),
      chainId,
    });
    const commitTx = async (tx: SignedTx): Promise<void> => {
      const r = await bob.http.submitAndWait(tx, 15_000);
      assert.equal(r.code, 'OK', `${tx.body.type}: ${r.code} ${r.message ?? ''}`);
    };
    const patientPre = generatePreKeyPair();
    const kfragSigning = generatePreKeyPair();
    const bakerPre = generatePreKeyPair();
    await commitTx(publishKeysTx(ctx(baker, 'dr-baker'), { pre: bakerPre.publicKey }));
    await commitTx(
      publishKeysTx(ctx(bob, 'bob'), { pre: patientPre.publicKey, preVerifying: kfragSigning.publicKey }),
    );
    await commitTx(
      preRecordTx(
        ctx(bob, 'bob'),
        {
          recordId: 'pp-summary',
          patient,
          subject: 'ep-pp',
          category: 'clinical',
          resourceType: 'Composition',
        },
        patientPre.publicKey,
        utf8(JSON.stringify({ allergies: ['penicillin'] })),
      ),
    );
    const proxies = await Promise.all(
      [alice, chen, sdk('dr-gp')].map(async (c) => ({
        id: c.memberId,
        encryptionKey: fromB64u(
          (await bob.state<{ encryptionKey: string }>(`member:${c.memberId}`))!.encryptionKey,
        ),
      })),
    );
    const { tx: setup } = await emergencySetupTx(ctx(bob, 'bob'), {
      setupId: 'pp-es',
      grantId: 'pp-emergency',
      delegatingSecretKey: patientPre.secretKey,
      signingSecretKey: kfragSigning.secretKey,
      receivingPublicKey: bakerPre.publicKey,
      threshold: 2,
      proxies,
    });
    await commitTx(setup);
    await commitTx(emergencyRequestTx(ctx(baker, 'dr-baker'), 'pp-es', 'pp-summary'));
    const threshold = emergency.filter({ hasText: 'through your emergency contacts’ re-encryption' });
    await threshold.waitFor({ timeout: 5_000 });
    assert.match(
      (await threshold.textContent()) ?? '',
      /dr-baker[\s\S]*asked for pp-summary[\s\S]*: allowed/,
    );

    // 3. Erasure of the DSS plan: refused, with the ledger's reason, in the record and the feed.
    const planItem = page.getByTestId('record-pp-plan');
    await planItem.getByRole('button', { name: 'Ask to erase pp-plan' }).click();
    await planItem.getByRole('button', { name: 'Erase this record' }).click();
    const refused = page.getByTestId('erase-refused-pp-plan');
    await refused.waitFor({ timeout: 15_000 });
    assert.match(
      (await refused.textContent()) ?? '',
      /Not erased: this record is written in the open on every hospital’s copy of the ledger \(DSS\), so nobody can erase it\. The ledger says: “DSS records are stored in plaintext/,
    );
    await feed.filter({ hasText: /Erasure of pp-plan: refused/ }).waitFor();

    // 4. Erasure of the SPV biopsy: accepted; the timeline and the feed show it.
    const biopsy = page.getByTestId('record-pp-biopsy');
    await biopsy.getByRole('button', { name: 'Ask to erase pp-biopsy' }).click();
    await biopsy.getByRole('button', { name: 'Erase this record' }).click();
    await page.getByTestId('erased-pp-biopsy').waitFor({ timeout: 20_000 });
    assert.match(
      (await page.getByTestId('erased-pp-biopsy').textContent()) ?? '',
      /Erased at your request in block \d+/,
    );
    await feed.filter({ hasText: /Erasure of pp-biopsy: done — hospitalA destroyed its copy/ }).waitFor({
      timeout: 10_000,
    });
    await assert.rejects(baker.readSpv('pp-biopsy', 'emergency'), /RECORD_ERASED/);
    const deniedRead = page.locator('tr.denied', { hasText: 'pp-biopsy for emergency' });
    await deniedRead.waitFor({ timeout: 5_000 });
    assert.match(
      (await deniedRead.textContent()) ?? '',
      /denied — RECORD_ERASED: the record was erased at your request/,
    );

    // 4b. A grant to a role at an organization, scoped to one type of record and one particular
    // record, from a start in the future: the transaction the page signed carries exactly that.
    await page.getByLabel('a role at an organization').check();
    await page.getByLabel('Organization', { exact: true }).fill('hospitalB');
    await page.getByLabel('Role', { exact: true }).fill('doctor');
    await page.getByLabel('lab', { exact: true }).uncheck();
    await page.getByLabel('DiagnosticReport', { exact: true }).check();
    await page.getByLabel('pp-ct (DiagnosticReport, imaging)').check();
    const startsAt = new Date(Date.now() + 3_600_000);
    const local = new Date(startsAt.getTime() - startsAt.getTimezoneOffset() * 60_000)
      .toISOString()
      .slice(0, 16);
    await page.getByLabel('Starting (leave empty for now)').fill(local);
    await page.getByLabel('For how many hours').fill('2');
    await page.getByRole('button', { name: 'Grant', exact: true }).click();
    const grantedText =
      (await page
        .getByRole('status')
        .filter({ hasText: 'Granted, in block' })
        .textContent({ timeout: 15_000 })) ?? '';
    const grantTx = /transaction ([0-9a-f]{64})/.exec(grantedText)?.[1];
    assert.ok(grantTx, grantedText);
    const grant = (await bob.http.getTx(grantTx)).tx.body.payload as Record<string, unknown>;
    assert.deepEqual(grant['grantee'], { kind: 'role', org: 'hospitalB', role: 'doctor' });
    assert.deepEqual(grant['scope'], { resourceTypes: ['DiagnosticReport'], recordIds: ['pp-ct'] });
    assert.equal((grant['notAfter'] as number) - (grant['notBefore'] as number), 2 * 3_600_000);
    assert.ok(Math.abs((grant['notBefore'] as number) - startsAt.getTime()) < 60_000, 'starts when asked');

    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, 'patient-timeline.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(SHOTS, 'patient-timeline-phone.png'), fullPage: true });
    await page.setViewportSize({ width: 1200, height: 900 });

    // 5. The explorer: the node with its height and its latest checkpoint, quorum-signed.
    await page.getByRole('button', { name: 'Consortium explorer' }).click();
    const nodeRow = page.getByTestId('node-hospitalA');
    await nodeRow.waitFor();
    await page
      .getByTestId('node-height-hospitalA')
      .filter({ hasText: /^[1-9]\d*$/ })
      .waitFor();
    const latest = page.getByTestId('latest-checkpoint');
    await latest.waitFor({ timeout: 10_000 });
    assert.match(
      (await latest.textContent()) ?? '',
      /Checkpoint of block \d+: final — signed by 1 of 1 node \(quorum 1\)/,
    );
    assert.match(
      (await nodeRow.textContent()) ?? '',
      /hospitalA \(this node\)[\s\S]*signed block \d+ · signed the latest/,
    );
    assert.equal(
      await page.locator('tr[data-testid^="node-"]').count(),
      1,
      'the dev consortium runs one node',
    );
    const table = page.getByRole('table', { name: 'Latest blocks' });
    await table.getByRole('button').first().click();
    await table.locator('ul.txs li').first().waitFor();
    await page.screenshot({ path: join(SHOTS, 'explorer-nodes.png'), fullPage: true });

    // Nothing secret in any request the page sent, and nothing sent anywhere but the node.
    const secrets = walletSecrets({ wallets, walletPassphrase }, ['bob']);
    assert.ok(sent.length > 10, `the page made requests (${sent.length})`);
    await assertRequestsClean(sent, s.url, secrets);
    assert.ok(
      sent.some(
        (r) => r.url().endsWith(`/v1/patients/${patient}/records`) && r.headers()['x-medledger-auth'],
      ),
      'the timeline is read with requests signed in the page',
    );
  } finally {
    await browser.close();
    await s.close();
  }
});
