/**
 * Each party holds only its own secrets (DESIGN.md "Who holds which secret"): after
 * `init --dev --nodes 3` and a first start of every node (which makes its EHR master key and
 * X25519 key; `init --dev` made its TLS key), every sealed key of every party is opened, and every file of every directory is
 * searched for every other party's private key bytes — PKCS#8 DER and the bare private scalar,
 * in raw, base64url, base64 and hex form.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openKey, openWallet, type SealedKey } from '@medledger/crypto';
import { listKeys, readGenesis } from '@medledger/node';
import { start } from '../src/commands/start.js';
import { keysList } from '../src/commands/keys.js';
import { passphraseFor } from '../src/passphrase.js';
import { readWalletFile } from '../src/dirs/wallets.js';
import { makeDevDir } from './helpers.js';

const NODE_ORGS = ['hospitalA', 'hospitalB', 'gpclinic'];
const ALL_ORGS = [...NODE_ORGS, 'insurer', 'institute'];

/** The byte strings that would betray a private key: the stored form and the bare scalar. */
function secretForms(keyType: string, priv: Uint8Array): Buffer[] {
  const forms = [Buffer.from(priv)];
  if (keyType === 'p256') {
    const d = createPrivateKey({ key: Buffer.from(priv), format: 'der', type: 'pkcs8' }).export({
      format: 'jwk',
    }).d!;
    forms.push(Buffer.from(d, 'base64url'));
  }
  return forms.flatMap((b) => [
    b,
    Buffer.from(b.toString('base64url')),
    Buffer.from(b.toString('base64')),
    Buffer.from(b.toString('hex')),
    Buffer.from(b.toString('hex').toUpperCase()),
  ]);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/** Which of `secrets` (party → byte forms) occur in any file under `dir`: "party in file". */
function leaks(dir: string, secrets: Map<string, Buffer[]>): string[] {
  const found: string[] = [];
  for (const f of filesUnder(dir)) {
    const bytes = readFileSync(f);
    for (const [party, forms] of secrets)
      if (forms.some((s) => bytes.includes(s))) found.push(`${party} in ${f}`);
  }
  return found;
}

test('identity: after init --dev --nodes 3, every node directory holds only its own organization secrets, admin directories no node key, wallets no organization key', async () => {
  const d = await makeDevDir(3);
  for (const org of NODE_ORGS) {
    const s = await start({ dir: d.dir, org, dev: false, port: 0, log: () => {} });
    await s.close();
  }
  // Every party's secrets, by opening every sealed key of every directory with its own passphrase.
  const secrets = new Map<string, Buffer[]>();
  const openAll = (party: string, dir: string, expectLabels: string[]): SealedKey[] => {
    const keys = listKeys(dir);
    assert.deepEqual(keys.map((k) => k.label).sort(), [...expectLabels].sort(), `key files of ${dir}`);
    const pass = passphraseFor(dir);
    for (const k of keys) {
      assert.equal(statSync(join(dir, 'keys', `${k.label}.key.json`)).mode & 0o777, 0o600);
      secrets.set(`${party}/${k.label}`, secretForms(k.keyType, openKey(k, pass)));
    }
    return keys;
  };
  const genesis = readGenesis(d.nodeDir);
  for (const org of ALL_ORGS) {
    openAll(`admin:${org}`, d.dirs.admin(org), [`org-${org}`]);
    if (!NODE_ORGS.includes(org)) continue;
    const keys = openAll(`node:${org}`, d.dirs.node(org), [
      `node-${org}`,
      `node-enc-${org}`,
      `ehr-master-${org}`,
      `services-${org}`, // its services' sealed state (init --dev names services for every hospital)
      `tls-${org}`,
    ]);
    assert.equal(
      keys.find((k) => k.label === `node-${org}`)!.publicKey,
      genesis.orgs.find((o) => o.id === org)!.nodeKey,
      `${org}'s node key is the one in genesis`,
    );
  }
  const walletFiles = readdirSync(d.wallets).filter((f) => f.endsWith('.wallet.json'));
  assert.equal(walletFiles.length, 8);
  for (const f of walletFiles) {
    const label = f.slice(0, -'.wallet.json'.length);
    const keys = openWallet(readWalletFile(d.wallets, label).keys, d.walletPassphrase);
    secrets.set(`member:${label}`, [
      ...secretForms('p256', keys.signing.privateKey),
      ...secretForms('x25519', keys.encryption.privateKey),
    ]);
  }
  assert.equal(secrets.size, 5 + 3 * 5 + 8);
  const others = (mine: (party: string) => boolean): Map<string, Buffer[]> =>
    new Map([...secrets].filter(([p]) => !mine(p)));

  for (const org of NODE_ORGS) {
    const dir = d.dirs.node(org);
    assert.deepEqual(
      leaks(
        dir,
        others((p) => p.startsWith(`node:${org}/`)),
      ),
      [],
      `node directory of ${org}`,
    );
    assert.ok(
      !existsSync(join(dir, 'card.json')) && !filesUnder(dir).some((f) => f.endsWith('.wallet.json')),
    );
  }
  for (const org of ALL_ORGS)
    assert.deepEqual(
      leaks(
        d.dirs.admin(org),
        others((p) => p.startsWith(`admin:${org}/`)),
      ),
      [],
      `admin directory of ${org} holds no node key and no other party's key`,
    );
  assert.deepEqual(
    leaks(
      d.wallets,
      others((p) => p.startsWith('member:')),
    ),
    [],
    'the wallets hold no organization or node key',
  );
  // `keys list` on the layout lists the node directory's keys; on the wallets, the wallets.
  assert.deepEqual(
    keysList(d.dir).map((l) => l.split(' ')[0]),
    ['ehr-master-hospitalA', 'node-enc-hospitalA', 'node-hospitalA', 'services-hospitalA', 'tls-hospitalA'],
  );
  assert.equal(keysList(d.wallets).length, 8);
  // The search would see a leak: a copy of another party's key planted in a node directory.
  const planted = join(d.dirs.node('hospitalB'), 'planted.txt');
  const rootA = openKey(listKeys(d.dirs.admin('hospitalA'))[0]!, passphraseFor(d.dirs.admin('hospitalA')));
  writeFileSync(planted, `note: ${Buffer.from(rootA).toString('base64url')}\n`);
  assert.deepEqual(
    leaks(
      d.dirs.node('hospitalB'),
      others((p) => p.startsWith('node:hospitalB/')),
    ),
    [`admin:hospitalA/org-hospitalA in ${planted}`],
  );
});
