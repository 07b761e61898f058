/**
 * The genesis ceremony and member enrollment, each party in its own directory, through the
 * functions the `medledger` commands run (the exit codes and messages through the command
 * itself) and a real node process:
 *   - three `org init`, `genesis assemble`, two of three founders sign: `genesis check` names
 *     the third and the node refuses to start; the third signs: the node starts;
 *   - a doctor's wallet → PKCS#10 request → `org issue` run with the wallets directory gone
 *     (the organization has only the request) → `wallet import-cert` → `org enroll` → the
 *     doctor's own transaction commits;
 *   - refusals: a request for another organization, a patient certificate naming a person, a
 *     signature by a non-founder, a genesis changed after signing, a wrong passphrase.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HashTag, hashTagged, parseCertificate, toHex, utf8 } from '@medledger/crypto';
import { MedledgerClient, Wallet } from '@medledger/client';
import { startNodeProcess } from '../src/bench/nodeProcess.js';
import { orgEnroll, orgInit, orgIssue, readCsrFile } from '../src/commands/org.js';
import { genesisAssemble, genesisCheck, genesisSign } from '../src/commands/genesis.js';
import { nodeInit } from '../src/commands/node.js';
import { walletImportCert, walletNew, walletShow } from '../src/commands/wallet.js';
import { openWalletFile } from '../src/dirs/wallets.js';
import { runCli, tempDir } from './helpers.js';

const N = 1024; // scrypt cost of the key files: cheap for the test
const pw = (who: string): string => `passphrase of ${who}`;

test(
  'ceremony: a node refuses a genesis two of three founders signed (check names the third) and starts once the third signs; a doctor certified from her request, by an organization that never saw her wallet, commits her own transaction',
  { timeout: 120_000 },
  async () => {
    const w = tempDir('medledger-ceremony-');
    const p = (...x: string[]): string => join(w, ...x);
    const withEnv = async <T>(env: Record<string, string>, f: () => Promise<T> | T): Promise<T> => {
      Object.assign(process.env, env);
      try {
        return await f();
      } finally {
        for (const k of Object.keys(env)) delete process.env[k];
      }
    };
    await withEnv({ MEDLEDGER_PASSPHRASE: pw('A admins'), MEDLEDGER_NODE_PASSPHRASE: pw('A node') }, () =>
      orgInit({
        org: 'hospitalA',
        name: 'Hospital A',
        role: 'cdo',
        dir: p('a-admin'),
        nodeDir: p('a-node'),
        dev: false,
        scryptN: N,
      }),
    );
    await withEnv({ MEDLEDGER_PASSPHRASE: pw('B admins'), MEDLEDGER_NODE_PASSPHRASE: pw('B node') }, () =>
      orgInit({
        org: 'hospitalB',
        name: 'Hospital B',
        role: 'cdo',
        dir: p('b-admin'),
        nodeDir: p('b-node'),
        dev: false,
        scryptN: N,
      }),
    );
    const insurer = await withEnv({ MEDLEDGER_PASSPHRASE: pw('I admins') }, () =>
      orgInit({
        org: 'insurer',
        name: 'Insurer',
        role: 'insurer',
        dir: p('i-admin'),
        dev: false,
        scryptN: N,
      }),
    );
    assert.equal(insurer.nodeKey, undefined, 'an organization without a node has no node key');
    await assert.rejects(
      orgInit({
        org: 'x',
        name: 'X',
        role: 'cdo',
        dir: p('x'),
        nodeDir: p('x', 'node'),
        dev: true,
        scryptN: N,
      }),
      /--node-dir and --dir must be apart/,
    );

    const genesis = p('genesis.json');
    genesisAssemble({
      cards: ['a-admin', 'b-admin', 'i-admin'].map((d) => p(d, 'card.json')),
      chainName: 'ceremony-test',
      out: genesis,
    });
    genesisSign({ file: genesis, adminDir: p('a-admin'), passphrase: pw('A admins') });
    genesisSign({ file: genesis, adminDir: p('b-admin'), passphrase: pw('B admins') });
    assert.throws(
      () => genesisSign({ file: genesis, adminDir: p('i-admin'), passphrase: pw('somebody else') }),
      /wrong passphrase or corrupted key file/,
    );
    assert.deepEqual(genesisCheck(genesis).missing, ['insurer']);
    const check = await runCli(['genesis', 'check', genesis]);
    assert.equal(check.code, 1);
    assert.equal(check.stdout, 'missing the signature of founder insurer\n');

    assert.deepEqual(nodeInit({ dir: p('a-node'), genesis, port: 0 }).status.missing, ['insurer']);
    assert.throws(() => nodeInit({ dir: p('b-node'), genesis: p('a-admin', 'card.json') }), /genesis/);
    const refused = await runCli(['start', '--dir', p('a-node'), '--port', '0'], {
      MEDLEDGER_PASSPHRASE: pw('A node'),
    });
    assert.equal(refused.code, 1, refused.stdout);
    assert.match(refused.stderr, /genesis lacks a valid signature of founder insurer/);

    const signed = genesisSign({ file: genesis, adminDir: p('i-admin'), passphrase: pw('I admins') });
    assert.deepEqual([signed.missing, signed.bad], [[], []]);
    // A body changed after the founders signed: every signature is now bad.
    const g = JSON.parse(readFileSync(genesis, 'utf8')) as { ordering: { timeoutMs: number } };
    g.ordering.timeoutMs += 1;
    writeFileSync(p('changed.json'), JSON.stringify(g));
    assert.deepEqual(genesisCheck(p('changed.json')).bad, ['hospitalA', 'hospitalB', 'insurer']);

    nodeInit({ dir: p('a-node'), genesis, port: 0 });
    const { child, url } = await startNodeProcess(p('a-node'), { MEDLEDGER_PASSPHRASE: pw('A node') });
    try {
      // A doctor makes her own keys; hospital A gets only the request file.
      const wallets = p('ada-wallets');
      const { csr } = await walletNew({
        dir: wallets,
        label: 'dr-ada',
        org: 'hospitalA',
        role: 'doctor',
        attributes: { department: 'cardiology', clearance: 'all' },
        passphrase: pw('Ada'),
        scryptN: N,
      });
      mkdirSync(p('inbox'));
      copyFileSync(csr, p('inbox', 'dr-ada.csr.pem'));
      renameSync(wallets, p('ada-wallets.away')); // the organization cannot read the wallet: it is not there
      const wrongOrg = await runCli(
        ['org', 'issue', '--dir', p('b-admin'), '--csr', p('inbox', 'dr-ada.csr.pem'), '--out', p('x.der')],
        { MEDLEDGER_PASSPHRASE: pw('B admins') },
      );
      assert.equal(wrongOrg.code, 2);
      assert.match(wrongOrg.stderr, /asks organization hospitalA, the issuer is hospitalB/);
      const issued = await runCli(
        [
          'org',
          'issue',
          '--dir',
          p('a-admin'),
          '--csr',
          p('inbox', 'dr-ada.csr.pem'),
          '--attr',
          'department=cardiology',
          '--out',
          p('inbox', 'dr-ada.cert.der'),
        ],
        { MEDLEDGER_PASSPHRASE: pw('A admins') },
      );
      assert.equal(issued.code, 0, issued.stderr);
      const memberId = issued.stdout.trim();
      renameSync(p('ada-wallets.away'), wallets);
      const certificate = readFileSync(p('inbox', 'dr-ada.cert.der'));
      const info = parseCertificate(certificate);
      assert.deepEqual(
        [info.role, info.attributes],
        ['doctor', { department: 'cardiology' }],
        'the organization decided',
      );
      assert.equal(walletImportCert({ dir: wallets, label: 'dr-ada', certificate }).memberId, memberId);
      const encryptionKey = walletShow(wallets, 'dr-ada').encryptionKey as string;
      const enrolled = await orgEnroll({
        dir: p('a-admin'),
        passphrase: pw('A admins'),
        certificate,
        encryptionKey,
        node: url,
      });
      assert.deepEqual([enrolled.memberId, enrolled.receipt.code], [memberId, 'OK']);
      await assert.rejects(
        orgEnroll({ dir: p('a-admin'), passphrase: pw('A admins'), certificate, node: url }),
        /MEMBER_EXISTS/,
      );

      // Her own transaction, signed with the key in her wallet, commits.
      const ada = openWalletFile(wallets, 'dr-ada', pw('Ada'));
      const client = new MedledgerClient(url);
      const chainId = (await client.status()).chainId;
      const tx = new Wallet({ signerId: memberId, privateKey: ada.keys.signing.privateKey }).tx({
        chainId,
        type: 'record.anchor',
        payload: { recordId: 'ada-1', hash: toHex(hashTagged(HashTag.record, utf8('ada-1'))) },
        createdAt: Date.now(),
      });
      assert.equal((await client.submitAndWait(tx, 10_000)).code, 'OK');

      // Patients: the request carries a pseudonym; an organization refuses to certify a name.
      const patient = (label: string, commonName?: string) =>
        walletNew({
          dir: wallets,
          label,
          org: 'hospitalA',
          role: 'patient',
          passphrase: pw('Ada'),
          scryptN: N,
          ...(commonName ? { commonName } : {}),
        });
      const bob = await patient('bob');
      const carol = await patient('carol', 'Carol Smith');
      const issue = (csrPath: string) =>
        orgIssue({ dir: p('a-admin'), passphrase: pw('A admins'), request: readCsrFile(csrPath) });
      await assert.rejects(issue(carol.csr), /a patient's certificate names a pseudonym/);
      // An insurer issues claims and billing roles only: a doctor's request is refused before
      // the ledger would refuse her enrollment (ROLE_NOT_ALLOWED).
      const fakeDoctor = await walletNew({
        dir: p('i-wallets'),
        label: 'fake-doctor',
        org: 'insurer',
        role: 'doctor',
        passphrase: pw('Ada'),
        scryptN: N,
      });
      await assert.rejects(
        orgIssue({ dir: p('i-admin'), passphrase: pw('I admins'), request: readCsrFile(fakeDoctor.csr) }),
        /an organization of role insurer issues only insurer, billing, admin, auditor; the ledger would refuse a doctor/,
      );
      const bobCert = (await issue(bob.csr)).certificate;
      assert.match(parseCertificate(bobCert).commonName, /^patient-[0-9a-f]{12}$/);
      assert.throws(
        () => walletImportCert({ dir: wallets, label: 'dr-ada', certificate: bobCert }),
        /not for wallet dr-ada's key/,
      );
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    // A founder's signature only by a founder.
    genesisAssemble({
      cards: [p('a-admin', 'card.json'), p('i-admin', 'card.json')],
      chainName: 'two',
      founders: ['hospitalA'],
      out: p('two.json'),
    });
    assert.throws(
      () => genesisSign({ file: p('two.json'), adminDir: p('i-admin'), passphrase: pw('I admins') }),
      /insurer is not a founder/,
    );
  },
);
