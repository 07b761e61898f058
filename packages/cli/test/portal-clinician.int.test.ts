/**
 * The clinician's pages in real Chromium (Debian's `chromium`, driven by playwright-core)
 * against a dev node (`medledger start --dev`):
 * - My patients: dr-alice sees the patient whose care team names her, opens them and reads
 *   their record with a stated purpose in the page;
 * - an STT record written in dr-alice's page, encrypted there to the receivers she chose, is
 *   read back by its receiver dr-baker in his page (a second browser context);
 * - a DSS record that needs 2 of its 3 responsible doctors: dr-alice proposes it in her page,
 *   it is not on the ledger; dr-chen, whom it does not name, can neither read nor sign it; a
 *   tampered signature is refused; dr-baker sees it awaiting his co-signature, reviews it and
 *   signs in his page; it commits signed by both;
 * - the patient's quorum is named in the form, and a DSS record signed alone is not sent;
 * - emergency access: dr-alice publishes her receiving key from her page, the patient names her
 *   with 2-of-3 proxies; dr-baker's request is refused in words; dr-alice's request with a coded
 *   reason is re-encrypted by the node's proxy and dr-gp's device, and decrypted in her page
 *   (Umbral in WebAssembly).
 * No request the pages send carries a private key or the passphrase.
 * Screenshots: docs/screenshots/clinician-patients.png, clinician-cosign.png (and at 390 px),
 * clinician-emergency.png.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page, type Request } from 'playwright-core';
import { fromB64u, importP256PrivateKey, signP256, toB64u, utf8 } from '@medledger/crypto';
import { generatePreKeyPair } from '@medledger/crypto/pre';
import { txSigningBytes, type SignedTx } from '@medledger/core';
import type { RecordsClient } from '@medledger/client';
import {
  API,
  MedledgerHttpError,
  emergencySetupTx,
  getProposal,
  httpLedgerSource,
  listProposals,
  pathOf,
  preRecordTx,
  proxyReencryptTx,
  publishKeysTx,
} from '@medledger/client';
import { start } from '../src/commands/start.js';
import { openWalletFile, walletPaths } from '../src/dirs/wallets.js';
import { assertRequestsClean, makeDevDir, memberSdk, walletSecrets } from './helpers.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const SHOTS = fileURLToPath(new URL('../../../../docs/screenshots/', import.meta.url));

const refusedWith =
  (code: string, status: number) =>
  (e: unknown): boolean =>
    e instanceof MedledgerHttpError && e.code === code && e.status === status;

test('portal (clinician): my patients, an STT write read back by its receiver, a 2-of-3 DSS co-signed across two browsers; no key leaves the page', async () => {
  const { dir, wallets, walletPassphrase } = await makeDevDir();
  const s = await start({ dir, dev: true, port: 0, log: () => {} });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  const sent: Request[] = [];
  try {
    const sdk = (label: string): RecordsClient => memberSdk({ wallets, walletPassphrase }, s.url, label);
    const bob = sdk('bob');
    const alice = sdk('dr-alice');
    const baker = sdk('dr-baker');
    const chen = sdk('dr-chen');
    await bob.setCareTeam([alice.memberId, baker.memberId, chen.memberId]);
    await bob.setRecordQuorum(2); // bob's DSS records need 2 of their responsible doctors
    await alice.writeSpv({
      recordId: 'clin-biopsy',
      patient: bob.memberId,
      resource: {
        resourceType: 'DiagnosticReport',
        status: 'final',
        category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'LAB' }] }],
        code: { text: 'Biopsy' },
        subject: { reference: 'Patient/ep-clin' },
        performer: [{ reference: 'Practitioner/dr-alice' }],
      },
    });
    const bobName = (
      (await bob.state<{ commonName: string }>(`member:${bob.memberId}`)) ?? { commonName: '' }
    ).commonName;

    const signIn = async (label: string, width = 1200): Promise<Page> => {
      const page = await (await browser.newContext({ viewport: { width, height: 900 } })).newPage();
      page.on('request', (r) => sent.push(r));
      await page.goto(`${s.url}/`);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Sign in' }).click();
      await page.getByLabel('Wallet file (.wallet.json)').setInputFiles(walletPaths(wallets, label).wallet);
      await page.getByLabel('Passphrase').fill(walletPassphrase);
      await page
        .getByRole('region', { name: 'Sign in with your wallet' })
        .getByRole('button', { name: 'Sign in' })
        .click();
      await page.getByRole('heading', { name: 'Clinical records' }).waitFor({ timeout: 30_000 });
      return page;
    };
    mkdirSync(SHOTS, { recursive: true });

    // 1. My patients: bob, opened, his record read for treatment in the page.
    const a = await signIn('dr-alice');
    const patients = a.getByRole('region', { name: 'My patients' });
    const row = patients.getByTestId('patient').filter({ hasText: bobName });
    await row.waitFor({ timeout: 15_000 });
    assert.equal(await patients.getByTestId('patient').count(), 1, 'dr-alice has one patient');
    await row.getByRole('button', { name: `Open ${bobName}` }).click();
    await row.getByRole('button', { name: 'Read clin-biopsy' }).click();
    const read = row.getByTestId('patient-read-result');
    await read.waitFor({ timeout: 20_000 });
    assert.match((await read.textContent()) ?? '', /checked against its commitment[\s\S]*Biopsy/);
    await a.screenshot({ path: join(SHOTS, 'clinician-patients.png'), fullPage: true });

    // 2. An STT record, encrypted in the page to dr-baker and herself.
    await row.getByRole('button', { name: `Write for ${bobName}` }).click();
    const write = a.getByRole('form', { name: 'Write a record' });
    assert.equal(await write.getByLabel('Patient’s member id').inputValue(), bob.memberId);
    await write.getByRole('radio', { name: /^STT/ }).check();
    await write.getByLabel('Episode (FHIR subject)').fill('ep-clin');
    await write.getByLabel('What was measured').fill('Potassium');
    await write.getByLabel('Value', { exact: true }).fill('4.1');
    await write.getByLabel('Unit').fill('mmol/L');
    await write.getByLabel('Send to dr-baker').check();
    await write.getByLabel('Other receivers (member ids)').fill('not-a-member-id');
    await write.getByRole('button', { name: 'Write', exact: true }).click();
    await write.getByRole('alert').filter({ hasText: 'Each other receiver is a member id' }).waitFor();
    assert.equal(await write.getByLabel('Other receivers (member ids)').getAttribute('aria-invalid'), 'true');
    await write.getByLabel('Other receivers (member ids)').fill('');
    await write.getByRole('button', { name: 'Write', exact: true }).click();
    const written = write.getByRole('status').filter({ hasText: /Written as obs-[0-9a-f]+ \(STT\)/ });
    await written.waitFor({ timeout: 20_000 });
    const sttId = /(obs-[0-9a-f]+)/.exec((await written.textContent()) ?? '')![1]!;

    const b = await signIn('dr-baker', 1000);
    await b.getByLabel('Record id').fill(sttId);
    await b.getByRole('button', { name: 'Read', exact: true }).click();
    const got = b.getByTestId('read-result');
    await got.waitFor({ timeout: 20_000 });
    assert.match((await got.textContent()) ?? '', /Decrypted here \(STT\)[\s\S]*Potassium[\s\S]*4\.1/);

    // 3. The patient's quorum (2) is named in the form before a DSS record signed alone is sent.
    const fillCondition = async (text: string): Promise<void> => {
      await write.getByRole('radio', { name: 'Condition' }).check();
      await write.getByRole('radio', { name: /^DSS/ }).check();
      await write.getByLabel('Episode (FHIR subject)').fill('ep-clin');
      await write.getByLabel('Diagnosis').fill(text);
    };
    await fillCondition('Hypokalaemia');
    await write.getByText('This record needs 2 signatures: yours and 1 more.').waitFor({ timeout: 10_000 });
    const txsBefore = sent.filter((r) => r.method() === 'POST' && r.url().includes('/v1/txs')).length;
    await write.getByRole('button', { name: 'Write', exact: true }).click();
    await write
      .getByRole('alert')
      .filter({
        hasText: 'must be signed by 2 of the patient’s doctors (the patient’s rule): ask 1 more to co-sign',
      })
      .waitFor({ timeout: 20_000 });
    assert.equal(
      sent.filter((r) => r.method() === 'POST' && r.url().includes('/v1/txs')).length,
      txsBefore,
      'nothing was sent',
    );

    // 4. A 2-of-3 DSS record: proposed by dr-alice with dr-baker named.
    await write.getByLabel('Ask dr-baker to co-sign').check();
    await write.getByRole('button', { name: 'Write', exact: true }).click();
    const proposed = write.getByRole('status').filter({ hasText: /Proposed as cond-[0-9a-f]+/ });
    await proposed.waitFor({ timeout: 20_000 });
    const condId = /(cond-[0-9a-f]+)/.exec((await proposed.textContent()) ?? '')![1]!;
    assert.match(
      (await proposed.textContent()) ?? '',
      /2 of 3 doctors\): waiting for the co-signature of dr-baker/,
    );
    assert.equal(await alice.state(`record:${condId}`), undefined, 'not on the ledger before 2 signatures');
    const [proposal] = (await listProposals(baker)).filter((p) => p.body.payload['recordId'] === condId);
    assert.ok(proposal, 'dr-baker is asked to co-sign');
    // dr-chen is responsible but not named: he can neither read nor sign it.
    await assert.rejects(getProposal(chen, proposal.id), refusedWith('NOT_A_COSIGNER', 403));
    const chenKey = openWalletFile(wallets, 'dr-chen', walletPassphrase).keys.signing.privateKey;
    const signPath = pathOf(API.cosign.sign, { id: proposal.id });
    await assert.rejects(
      chen.signed('POST', signPath, { sig: toB64u(signP256(chenKey, txSigningBytes(proposal.body))) }),
      refusedWith('NOT_A_COSIGNER', 403),
    );
    // A tampered signature of dr-baker's is refused; the record is still not on the ledger.
    const tampered = fromB64u((await baker.wallet.signatureAsync(proposal.body)).sig);
    tampered[5]! ^= 0x01;
    await assert.rejects(
      baker.signed('POST', signPath, { sig: toB64u(tampered) }),
      refusedWith('COSIGNATURE_INVALID', 422),
    );
    assert.equal(await alice.state(`record:${condId}`), undefined);

    // dr-baker's page shows it awaiting his co-signature; he reviews it and signs there.
    const cosign = b.getByRole('region', { name: 'Co-signing' });
    const awaiting = cosign.getByRole('article', { name: `Record ${condId}` });
    await awaiting.waitFor({ timeout: 15_000 });
    assert.match(
      (await awaiting.textContent()) ?? '',
      /Awaiting your co-signature[\s\S]*needs 2 of 3[\s\S]*Hypokalaemia/,
    );
    await b.screenshot({ path: join(SHOTS, 'clinician-cosign.png'), fullPage: true });
    await b.setViewportSize({ width: 390, height: 844 });
    await b.screenshot({ path: join(SHOTS, 'clinician-cosign-phone.png'), fullPage: true });
    await awaiting.getByRole('button', { name: `Co-sign ${condId}` }).click();
    await cosign
      .getByRole('status')
      .filter({ hasText: `Co-signed: ${condId} is on the ledger, in block` })
      .waitFor({ timeout: 20_000 });
    const entry = await alice.state<{ mode: string; k: number; txId: string }>(`record:${condId}`);
    assert.equal(entry?.mode, 'dss');
    assert.equal(entry?.k, 2);
    const tx = await alice.http.getTx(entry.txId);
    assert.deepEqual(
      tx.tx.signatures.map((x) => x.signer).sort(),
      [alice.memberId, baker.memberId].sort(),
      'signed by both doctors, each in their own page',
    );
    // dr-alice's page follows: the record is on the ledger.
    await a
      .getByRole('region', { name: 'Co-signing' })
      .getByTestId('proposal')
      .filter({ hasText: new RegExp(`${condId}: on the ledger, in block \\d+`) })
      .waitFor({ timeout: 15_000 });
    await a.setViewportSize({ width: 390, height: 844 });
    await a.screenshot({ path: join(SHOTS, 'clinician-patients-phone.png'), fullPage: true });

    // 5. Emergency access: dr-alice publishes her receiving key from her page; bob names her in
    // an emergency arrangement with 2-of-3 proxies (hospitalA's node, dr-gp, dr-chen); she asks
    // in her page, the node proxy and dr-gp's device re-encrypt, and the page decrypts.
    await a.setViewportSize({ width: 1200, height: 900 });
    const er = a.getByRole('region', { name: 'Emergency access' });
    await er.getByRole('button', { name: 'Publish my emergency key' }).click();
    await er.getByText('is published: patients can name you').waitFor({ timeout: 20_000 });
    const chainId = (await bob.http.status()).chainId;
    const bobCtx = { wallet: bob.wallet, chainId };
    const commit = async (tx: SignedTx): Promise<void> =>
      assert.equal((await bob.http.submitAndWait(tx, 15_000)).code, 'OK', tx.body.type);
    const patientPre = generatePreKeyPair();
    const kfragSigning = generatePreKeyPair();
    await commit(publishKeysTx(bobCtx, { pre: patientPre.publicKey, preVerifying: kfragSigning.publicKey }));
    await bob.grantConsent({
      grantId: 'g-er',
      grantee: { kind: 'member', memberId: alice.memberId },
      scope: { categories: ['clinical'] },
      purposes: ['emergency'],
      notBefore: Date.now() - 60_000,
      notAfter: Date.now() + 3_600_000,
      emergency: true,
    });
    const summary = { allergies: ['penicillin'], medication: ['warfarin 5 mg'] };
    await commit(
      preRecordTx(
        bobCtx,
        {
          recordId: 'er-1',
          patient: bob.memberId,
          subject: 'ep-clin',
          category: 'clinical',
          resourceType: 'Composition',
        },
        patientPre.publicKey,
        utf8(JSON.stringify(summary)),
      ),
    );
    const gp = sdk('dr-gp');
    const keyOf = async (id: string, field: 'pre' | 'x25519' | 'encryptionKey'): Promise<Uint8Array> => {
      const v = await bob.state<Record<string, string>>(
        field === 'encryptionKey' ? `member:${id}` : `pubkeys:${id}`,
      );
      return fromB64u(v![field]!);
    };
    const { tx: setup } = await emergencySetupTx(bobCtx, {
      setupId: 'es-1',
      grantId: 'g-er',
      delegatingSecretKey: patientPre.secretKey,
      signingSecretKey: kfragSigning.secretKey,
      receivingPublicKey: await keyOf(alice.memberId, 'pre'),
      threshold: 2,
      proxies: [
        { id: 'node:hospitalA', encryptionKey: await keyOf('node:hospitalA', 'x25519') },
        { id: gp.memberId, encryptionKey: await keyOf(gp.memberId, 'encryptionKey') },
        { id: chen.memberId, encryptionKey: await keyOf(chen.memberId, 'encryptionKey') },
      ],
    });
    await commit(setup);

    // dr-baker, whom the arrangement does not name, is refused in words.
    await b.setViewportSize({ width: 1000, height: 900 });
    const erB = b.getByRole('region', { name: 'Emergency access' });
    await erB.getByLabel('Patient’s emergency arrangement (set-up id)').fill('es-1');
    await erB.getByLabel('Emergency summary to open (its id)').fill('er-1');
    await erB.getByRole('button', { name: 'Request emergency access' }).click();
    await erB
      .getByTestId('emergency-refused')
      .filter({ hasText: /Refused \(NO_GRANT\)/ })
      .waitFor({ timeout: 20_000 });

    await er.getByLabel('Patient’s emergency arrangement (set-up id)').fill('es-1');
    await er.getByLabel('Emergency summary to open (its id)').fill('er-1');
    await er.getByLabel('Reason for emergency access').selectOption('life-threatening');
    const asked = a.waitForRequest(
      (r) => /\/v1\/confidentiality\/emergency\/requests\/[0-9a-f]{64}$/.test(r.url()),
      {
        timeout: 20_000,
      },
    );
    await er.getByRole('button', { name: 'Request emergency access' }).click();
    const requestId = /([0-9a-f]{64})$/.exec((await asked).url())![1]!;
    // dr-gp's device answers as a proxy (the node's proxy answers by itself).
    const gpKeys = openWalletFile(wallets, 'dr-gp', walletPassphrase).keys;
    const gpSource = httpLedgerSource(s.url, {
      signerId: gp.memberId,
      privateKey: importP256PrivateKey(gpKeys.signing.privateKey),
    });
    for (let i = 0; ; i++) {
      const r = await gpSource.state(`emergency:request:${requestId}`);
      if (r !== undefined) break;
      assert.ok(i < 100, 'the request is decided on the ledger');
      await new Promise((res) => setTimeout(res, 100));
    }
    await gp.http.submitAndWait(
      await proxyReencryptTx(
        { wallet: gp.wallet, chainId },
        gpSource,
        requestId,
        gpKeys.encryption.privateKey,
      ),
      15_000,
    );
    const released = er.getByTestId('emergency-result');
    await released.waitFor({ timeout: 30_000 });
    const releasedText = (await released.textContent()) ?? '';
    assert.match(releasedText, /Released by 2 of the patient’s proxies and decrypted in this page/);
    assert.match(releasedText, /reason on the ledger: The patient’s life is in danger/);
    assert.match(releasedText, /penicillin[\s\S]*warfarin 5 mg/);
    const onLedger = await alice.state<{ reason?: string; allow: boolean }>(`emergency:request:${requestId}`);
    assert.deepEqual([onLedger?.allow, onLedger?.reason], [true, 'life-threatening']);
    await er.scrollIntoViewIfNeeded();
    await a.screenshot({ path: join(SHOTS, 'clinician-emergency.png') });

    // What the pages sent: only to the node, and no secret in any request.
    // (the secrets of dr-alice's wallet include the seed of her emergency key)
    const secrets = walletSecrets({ wallets, walletPassphrase }, ['dr-alice', 'dr-baker']);
    assert.ok(sent.length > 10, `the pages made requests (${sent.length})`);
    await assertRequestsClean(sent, s.url, secrets);
    assert.ok(
      sent.some((r) => r.url().includes('/v1/cosign/proposals') && r.method() === 'POST'),
      'the proposal and the co-signature went through the mailbox',
    );
  } finally {
    await closeAll(browser);
    await s.close();
  }
});

async function closeAll(browser: Browser): Promise<void> {
  await browser.close();
}
