/**
 * `medledger init --dev` + `start` wire record sharing: a sealed EHR master key (mode 0600),
 * the SQLite EHR store, the vault and the indexes in hospital A's node directory, the record
 * routes on the API; records and indexes survive a restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadPrivateKey } from '@medledger/node';
import { RecordsClient } from '@medledger/client';
import { start } from '../src/commands/start.js';
import { openWalletFile } from '../src/dirs/wallets.js';
import { makeDevDir } from './helpers.js';

test('start: a dev node serves SPV records from its node directory ehr.sqlite, sealed with the ehr-master key, across a restart', async () => {
  const { dir, nodeDir, passphrase, wallets, walletPassphrase } = await makeDevDir();
  const client = (label: string, url: string): RecordsClient => {
    const w = openWalletFile(wallets, label, walletPassphrase);
    return new RecordsClient({
      baseUrl: url,
      signerId: w.memberId,
      privateKey: w.keys.signing.privateKey,
      encryptionKey: w.keys.encryption.privateKey,
    });
  };
  let s = await start({ dir, dev: true, port: 0, log: () => {} });
  // startNode makes the node's EHR master key on first start, sealed in the node directory.
  const keyFile = join(nodeDir, 'keys', 'ehr-master-hospitalA.key.json');
  assert.equal(statSync(keyFile).mode & 0o777, 0o600);
  assert.equal(loadPrivateKey(nodeDir, 'ehr-master-hospitalA', passphrase).length, 32);
  const subject = 'ep-start-1';
  const resource = {
    resourceType: 'Condition',
    code: { text: 'gastritis' },
    subject: { reference: `Patient/${subject}` },
    recorder: { reference: 'Practitioner/dr-alice' },
  };
  try {
    const bob = client('bob', s.url);
    const alice = client('dr-alice', s.url);
    await bob.setCareTeam([alice.memberId]);
    await alice.writeSpv({ recordId: 'start-spv-1', patient: bob.memberId, resource });
    assert.ok(existsSync(join(nodeDir, 'ehr.sqlite')));
  } finally {
    await s.close();
  }
  s = await start({ dir, dev: true, port: 0, log: () => {} });
  try {
    const bob = client('bob', s.url);
    const got = await bob.readSpv('start-spv-1', 'treatment');
    assert.deepEqual([got.verified, got.resource], [true, resource]);
    const listed = await client('dr-chen', s.url).recordsBySubject(subject);
    assert.deepEqual(
      listed.map((r) => r.recordId),
      ['start-spv-1'],
    );
    const log = await bob.accessLog();
    assert.ok(log.some((e) => e.type === 'access.decided' && e.recordId === 'start-spv-1'));
  } finally {
    await s.close();
  }
});
