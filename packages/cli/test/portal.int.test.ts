/**
 * The portal in real Chromium (Debian's `chromium`, driven by playwright-core): a dev node
 * started as `medledger start --dev` serves the built page at `/` with its content security
 * policy; the explorer shows the height live; a wrong passphrase is refused in words and loses
 * nothing; the right one opens the wallet in the page; blocks are read with requests signed in
 * the page; a transaction's inclusion proof is verified in the browser. Every request the page
 * sends goes to the node and carries neither the private key nor the passphrase.
 * The patient grants a doctor the lab scope for treatment for one hour in the page; in a
 * second browser context the doctor, signed in with their own wallet, reads the biopsy and is
 * denied the diagnosis with the reason shown; the patient's access log shows both, live,
 * without reload, the denial with its reason; the patient revokes in the page and the doctor's
 * next read is denied.
 * Screenshots go to docs/screenshots/ (the README shows them).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Request } from 'playwright-core';
import { start } from '../src/commands/start.js';
import type { RecordsClient } from '@medledger/client';
import { walletPaths } from '../src/dirs/wallets.js';
import { assertRequestsClean, makeDevDir, memberSdk, walletSecrets } from './helpers.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const SHOTS = fileURLToPath(new URL('../../../../docs/screenshots/', import.meta.url));

test('portal: explorer live, wallet sign-in in the page, blocks and an inclusion proof verified in Chromium; no key or passphrase leaves the page', async () => {
  const { dir, wallets, walletPassphrase } = await makeDevDir();
  const s = await start({ dir, dev: true, port: 0, log: () => {} });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const home = await fetch(`${s.url}/`);
    assert.equal(home.status, 200);
    const csp = home.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline/);

    const page = await (await browser.newContext({ viewport: { width: 1200, height: 900 } })).newPage();
    const sent: Request[] = [];
    page.on('request', (r) => sent.push(r));
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    await page.goto(`${s.url}/`);
    await page.getByRole('heading', { name: 'Consortium explorer' }).waitFor();
    const height = page.getByTestId('height');
    await height.filter({ hasText: /^[1-9]\d*$/ }).waitFor();

    // A wrong passphrase: a clear message, nothing lost (the file stays chosen).
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Sign in' }).click();
    const form = page.getByRole('region', { name: 'Sign in with your wallet' });
    const walletFile = walletPaths(wallets, 'bob').wallet;
    await page.getByLabel('Wallet file (.wallet.json)').setInputFiles(walletFile);
    await page.getByLabel('Passphrase').fill('not-the-passphrase');
    await form.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'does not open this wallet' }).waitFor();
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, 'signin-wrong-passphrase.png') });

    // Records for Bob, written by his doctor: a lab result and a diagnosis (SPV).
    const sdk = (label: string): RecordsClient => memberSdk({ wallets, walletPassphrase }, s.url, label);
    const bobSdk = sdk('bob');
    const alice = sdk('dr-alice');
    const baker = sdk('dr-baker'); // only its member id: the doctor works in the browser
    await bobSdk.setCareTeam([alice.memberId]);
    const subject = { reference: 'Patient/ep-portal' };
    await alice.writeSpv({
      recordId: 'portal-biopsy',
      patient: bobSdk.memberId,
      resource: {
        resourceType: 'DiagnosticReport',
        status: 'final',
        category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'LAB' }] }],
        code: { text: 'Biopsy' },
        subject,
        performer: [{ reference: 'Practitioner/dr-alice' }],
      },
    });
    await alice.writeSpv({
      recordId: 'portal-diagnosis',
      patient: bobSdk.memberId,
      resource: {
        resourceType: 'Condition',
        code: { text: 'diagnosis' },
        subject,
        recorder: { reference: 'Practitioner/dr-alice' },
      },
    });

    await page.getByLabel('Passphrase').fill(walletPassphrase);
    await form.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Signed in as').waitFor({ timeout: 30_000 });
    await page.getByRole('heading', { name: 'Your records and who reads them' }).waitFor();
    await page.getByText('● live').waitFor({ timeout: 15_000 });

    // 1. The patient grants the lab scope to the doctor, for treatment, for one hour.
    await page.getByLabel('Member id').fill(baker.memberId);
    await page.getByRole('button', { name: 'Grant', exact: true }).click();
    const granted = page.getByRole('status').filter({ hasText: 'Granted, in block' });
    await granted.waitFor({ timeout: 20_000 });
    const grantTx = /transaction ([0-9a-f]{64})/.exec((await granted.textContent()) ?? '')?.[1];
    assert.ok(grantTx, 'the page names the grant’s transaction');
    await page.getByRole('button', { name: /^Revoke consent/ }).waitFor();

    // 2. In a second browser context, the doctor reads the biopsy and is denied the diagnosis.
    const doc = await (await browser.newContext({ viewport: { width: 1000, height: 1000 } })).newPage();
    doc.on('request', (r) => sent.push(r));
    await doc.goto(`${s.url}/`);
    await doc.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Sign in' }).click();
    await doc.getByLabel('Wallet file (.wallet.json)').setInputFiles(walletPaths(wallets, 'dr-baker').wallet);
    await doc.getByLabel('Passphrase').fill(walletPassphrase);
    await doc
      .getByRole('region', { name: 'Sign in with your wallet' })
      .getByRole('button', { name: 'Sign in' })
      .click();
    await doc.getByRole('heading', { name: 'Clinical records' }).waitFor({ timeout: 30_000 });
    const before = await page.getByTestId('log-entry').count();
    const readInPage = async (recordId: string): Promise<void> => {
      await doc.getByLabel('Record id').fill(recordId);
      await doc.getByLabel('Purpose').selectOption('treatment');
      await doc.getByRole('button', { name: 'Read', exact: true }).click();
      await doc
        .locator('[data-testid="read-result"], [data-testid="read-denied"]')
        .first()
        .waitFor({ timeout: 20_000 });
    };
    await readInPage('portal-biopsy');
    assert.match(
      (await doc.getByTestId('read-result').textContent()) ?? '',
      /checked against its commitment[\s\S]*Biopsy/,
    );
    await readInPage('portal-diagnosis');
    const refusal = (await doc.getByTestId('read-denied').textContent()) ?? '';
    assert.match(
      refusal,
      /Refused \(OUT_OF_SCOPE\): the patient’s consent does not cover this kind of record/,
    );
    // A record form: a wrong field is named and nothing is sent; a doctor outside the care team
    // is refused in words.
    await doc.getByLabel('Patient’s member id').fill(bobSdk.memberId);
    await doc.getByLabel('Episode (FHIR subject)').fill('ep-portal');
    await doc.getByLabel('What was measured').fill('Haemoglobin');
    await doc.getByLabel('Value').fill('high');
    await doc.getByRole('button', { name: 'Write', exact: true }).click();
    await doc.getByRole('alert').filter({ hasText: 'needs a numeric value' }).waitFor();
    await doc.getByLabel('Value').fill('131');
    await doc.getByRole('button', { name: 'Write', exact: true }).click();
    // SPV: this node keeps only its own organization's doctors' records.
    await doc
      .getByRole('alert')
      .filter({ hasText: 'Not written (FORBIDDEN): SPV records are uploaded by doctors of hospitalA' })
      .waitFor({ timeout: 20_000 });
    // DSS: the ledger refuses a writer outside the patient's care team.
    await doc.getByRole('radio', { name: /DSS/ }).check();
    await doc.getByRole('button', { name: 'Write', exact: true }).click();
    await doc
      .getByRole('alert')
      .filter({ hasText: /NOT_RESPONSIBLE/ })
      .waitFor({ timeout: 20_000 });
    await doc.screenshot({ path: join(SHOTS, 'clinician.png'), fullPage: true });
    const doctorDone = Date.now();

    // 3. The patient's log shows both, live, within 2 s, the denial with its reason.
    const entries = page.getByTestId('log-entry');
    while ((await entries.count()) < before + 2 && Date.now() - doctorDone < 2000)
      await new Promise((r) => setTimeout(r, 50));
    const shownAfterMs = Date.now() - doctorDone;
    assert.ok((await entries.count()) >= before + 2, 'both reads are in the page’s log');
    assert.ok(shownAfterMs <= 2000, `shown ${shownAfterMs} ms after the reads`);
    const denied = page.locator('tr.denied', { hasText: 'portal-diagnosis' }).first();
    assert.match((await denied.textContent()) ?? '', /denied — OUT_OF_SCOPE/);
    await page.screenshot({ path: join(SHOTS, 'patient.png'), fullPage: true });

    // 4. The patient revokes; the doctor's next read is denied.
    await page.getByRole('button', { name: /^Revoke consent/ }).click();
    await page.getByText('You have granted nothing').waitFor({ timeout: 20_000 });
    await doc.getByLabel('Record id').fill('portal-biopsy');
    await doc.getByRole('button', { name: 'Read', exact: true }).click();
    await doc.getByTestId('read-denied').waitFor({ timeout: 20_000 });
    assert.match(
      (await doc.getByTestId('read-denied').textContent()) ?? '',
      /Refused \((NO_GRANT|GRANT_REVOKED)\)/,
    );

    // 5. The explorer verifies that transaction's (the grant's) inclusion proof in the browser,
    // and the latest block's transactions are listed with the same check.
    await page.getByRole('button', { name: 'Consortium explorer' }).click();
    await page.getByLabel('Transaction id').fill(grantTx);
    await page.getByRole('button', { name: 'Find' }).click();
    await page
      .getByRole('form', { name: 'Check a transaction' })
      .getByRole('button', { name: 'Verify inclusion here' })
      .click();
    const proof = page.getByTestId(`proof-${grantTx}`);
    await proof.filter({ hasText: /Verified in this browser|Not verified|Could not check/ }).waitFor();
    assert.match(
      (await proof.textContent()) ?? '',
      /Verified in this browser: in block \d+, final, signed by hospitalA/,
    );
    const table = page.getByRole('table', { name: 'Latest blocks' });
    await table.waitFor();
    await table.getByRole('button').first().click();
    await page.screenshot({ path: join(SHOTS, 'explorer.png'), fullPage: true });

    // Phone width: the same page, usable.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(SHOTS, 'explorer-phone.png'), fullPage: true });

    // What the page sent: only to the node, and no secret in any request.
    const secrets = walletSecrets({ wallets, walletPassphrase }, ['bob', 'dr-baker']);
    assert.ok(sent.length > 5, `the page made requests (${sent.length})`);
    await assertRequestsClean(sent, s.url, secrets);
    assert.ok(
      sent.some((r) => /\/v1\/blocks\/\d+/.test(r.url()) && r.headers()['x-medledger-auth'] !== undefined),
      'blocks are read with requests signed in the page',
    );
    assert.deepEqual(violations, [], 'no content security policy violation');
    assert.ok(existsSync(join(SHOTS, 'explorer.png')));
  } finally {
    await browser.close();
    await s.close();
  }
});
