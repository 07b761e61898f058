/**
 * `medledger start --dev` runs hospital A's services (node.json "services", written by
 * `init --dev`) and registers them as hospital A's administrator; members obtain their group
 * key, attribute keys and credential with the CLI, sealed to them and kept sealed beside their
 * wallet; an administrator revokes, and the revocation holds after the node restarts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fromB64u, toB64u } from '@medledger/crypto';
import {
  groupMemberKeyFromBytes,
  groupPublicKeyFromBytes,
  isGroupMemberKey,
} from '@medledger/crypto/groupsig';
import { MedledgerHttpError, type OrgServicesDescription } from '@medledger/client';
import { readConfig } from '@medledger/node';
import { start } from '../src/commands/start.js';
import { walletImportCert, walletNew } from '../src/commands/wallet.js';
import { orgEnroll, orgIssue, readCsrFile } from '../src/commands/org.js';
import { abeIssue } from '../src/commands/abe.js';
import { credentialIssue, credentialRevoke } from '../src/commands/credential.js';
import { groupJoin, groupRevoke } from '../src/commands/group.js';
import { readWalletSecret } from '../src/dirs/walletSecrets.js';
import { encryptionKeyOf } from '../src/dirs/wallets.js';
import { passphraseFor } from '../src/passphrase.js';
import { makeDevDir, runCli } from './helpers.js';

const G = 'clinicians-hospitalA';
const rejects = (code: string) => (e: unknown) => e instanceof MedledgerHttpError && e.code === code;

test(
  'cli services: init --dev names each organization’s services; start runs and registers them; abe issue, credential issue, group join deliver sealed secrets; group and credential revocation hold across a restart',
  { timeout: 180_000 },
  async () => {
    const d = await makeDevDir();
    assert.deepEqual(
      readConfig(d.nodeDir).services?.groups?.map((g) => g.id),
      [G],
    );
    assert.deepEqual(readConfig(d.dirs.node('hospitalA')).services?.heCustodian, true);
    let s = await start({ dir: d.dir, dev: true, port: 0, log: () => {} });
    try {
      const desc = (await (await fetch(`${s.url}/v1/services`)).json()) as OrgServicesDescription;
      assert.equal(desc.org, 'hospitalA');
      assert.ok(
        desc.abeAuthority?.registered && desc.credentialIssuer?.registered,
        'registered by start --dev',
      );
      assert.deepEqual(
        desc.groups.map((g) => [g.id, g.registered]),
        [[G, true]],
      );

      const opts = { dir: d.wallets, passphrase: d.walletPassphrase, node: s.url, scryptN: 1024 };
      // An administrator of hospital A, made by the ceremony: wallet, certificate, enrollment.
      const adminDir = d.dirs.admin('hospitalA');
      const { csr } = await walletNew({
        dir: d.wallets,
        label: 'admin-a',
        org: 'hospitalA',
        role: 'admin',
        passphrase: d.walletPassphrase,
        scryptN: 1024,
      });
      const { certificate } = await orgIssue({
        dir: adminDir,
        passphrase: passphraseFor(adminDir),
        request: readCsrFile(csr),
      });
      walletImportCert({ dir: d.wallets, label: 'admin-a', certificate });
      await orgEnroll({
        dir: adminDir,
        passphrase: passphraseFor(adminDir),
        certificate,
        node: s.url,
        encryptionKey: encryptionKeyOf(d.wallets, 'admin-a'),
      });

      const joined = await groupJoin({ ...opts, label: 'dr-alice', group: G });
      assert.equal(joined.epoch, 0);
      assert.equal(statSync(joined.file).mode & 0o777, 0o600);
      const key = readWalletSecret(d.wallets, 'dr-alice', `group-${G}`, d.walletPassphrase);
      assert.ok(!readFileSync(joined.file, 'utf8').includes(toB64u(key)), 'the key file is sealed');
      const gpk = (s.node.stateValue(`anon:group:${G}`) as { publicKey: string }).publicKey;
      assert.ok(isGroupMemberKey(groupPublicKeyFromBytes(fromB64u(gpk)), groupMemberKeyFromBytes(key)));
      await assert.rejects(
        groupJoin({ ...opts, label: 'dr-alice', group: G, passphrase: 'wrong' }),
        'the wallet does not open without its passphrase',
      );

      const abe = await abeIssue({ ...opts, label: 'dr-alice' });
      assert.deepEqual(abe.attributes, ['doctor@hospitalA', 'gastroenterology@hospitalA']);
      const cred = await credentialIssue({ ...opts, label: 'dr-alice', issuer: 'hospitalA' });
      assert.equal(cred.role, 'doctor');

      // The binary: `medledger abe issue` in a process of its own.
      const cli = await runCli(['abe', 'issue', '--dir', d.wallets, '--label', 'dr-alice', '--node', s.url]);
      assert.equal(cli.code, 0, cli.stderr);
      assert.deepEqual((JSON.parse(cli.stdout) as { attributes: string[] }).attributes, abe.attributes);

      const alice = (
        JSON.parse(readFileSync(join(d.wallets, 'members.json'), 'utf8')) as {
          label: string;
          memberId: string;
        }[]
      ).find((m) => m.label === 'dr-alice')!.memberId;
      await assert.rejects(
        groupRevoke({ ...opts, label: 'dr-alice', group: G, member: alice }),
        rejects('NOT_GROUP_MANAGER'),
        'a doctor does not revoke',
      );
      assert.equal((await groupRevoke({ ...opts, label: 'admin-a', group: G, member: alice })).epoch, 1);
      await assert.rejects(
        groupJoin({ ...opts, label: 'dr-alice', group: G }),
        rejects('GROUP_MEMBER_REVOKED'),
      );
      assert.equal(
        (await credentialRevoke({ ...opts, label: 'admin-a', issuer: 'hospitalA', member: alice })).revoked,
        1,
      );

      await s.close();
      s = await start({ dir: d.dir, dev: true, port: 0, log: () => {} });
      const again = { ...opts, node: s.url };
      await assert.rejects(
        groupJoin({ ...again, label: 'dr-alice', group: G }),
        rejects('GROUP_MEMBER_REVOKED'),
        'the group revocation holds after the restart',
      );
      await assert.rejects(
        credentialIssue({ ...again, label: 'dr-alice', issuer: 'hospitalA' }),
        rejects('CREDENTIAL_REVOKED'),
        'the credential revocation holds after the restart',
      );
      const after = (await (await fetch(`${s.url}/v1/services`)).json()) as OrgServicesDescription;
      assert.deepEqual(
        after.groups.map((g) => [g.id, g.epoch]),
        [[G, 1]],
      );
      assert.equal(after.abeAuthority?.publicKey, desc.abeAuthority?.publicKey, 'the same authority key');
    } finally {
      await s.close();
    }
  },
);
