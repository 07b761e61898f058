/**
 * `medledger consortium` end to end, each step a real CLI process against a node serving the
 * real API: a new organization proves its root key, a founder proposes to add it, two
 * founders sign from their own admin directories, the ledger commits it; a proposal signed by
 * too few founders is refused by the ledger with its code; a rotation reads the key from a
 * PEM file. The steps of the main path run as separate `medledger` processes (each founder on
 * its own machine); the other checks call the same command in this process, since every
 * process start costs seconds on this shared machine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createOrgRootCertificate,
  generateP256KeyPair,
  randomBytes,
  sealKey,
  toB64u,
  type P256KeyPair,
} from '@medledger/crypto';
import { MedledgerNode, buildServer, createConsortium, writeKeyFile } from '@medledger/node';
import { UsageError, parseArgs } from '../src/args.js';
import { consortium } from '../src/commands/consortium.js';
import { runCli } from './helpers.js';

/** An organization's admin directory: its sealed root key and the passphrase file beside it. */
function adminDir(root: string, org: string, key: P256KeyPair): string {
  const dir = join(root, `admin-${org}`);
  mkdirSync(dir, { mode: 0o700 });
  const passphrase = toB64u(randomBytes(12));
  writeFileSync(join(dir, 'dev-passphrase'), `${passphrase}\n`, { mode: 0o600 });
  writeKeyFile(dir, sealKey({ label: `org-${org}`, keyType: 'p256', ...key, passphrase, N: 1024 }));
  return dir;
}

test('cli: propose → two founders sign from their own directories → submit; too few founders is refused with its code', async () => {
  const root = mkdtempSync(join(tmpdir(), 'medledger-consortium-cli-'));
  const c = await createConsortium({
    chainName: 'cli-gov',
    genesisTime: Date.now() - 60_000,
    orgs: [
      { id: 'hospitalA', name: 'Hospital A', role: 'cdo' },
      { id: 'hospitalB', name: 'Hospital B', role: 'cdo' },
      { id: 'gpclinic', name: 'GP clinic', role: 'cdo' },
    ],
    members: [],
    governance: { threshold: 2 },
    ordering: { maxTxs: 100, maxBytes: 1 << 20, timeoutMs: 5 },
  });
  const node = await MedledgerNode.open({
    ledgerPath: join(root, 'ledger.sqlite'),
    genesis: c.genesis,
    org: 'hospitalA',
    nodeKey: c.orgs.get('hospitalA')!.node.privateKey,
    sigWorkers: 1,
  });
  const app = buildServer(node);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  const cli = (...args: string[]) => runCli(['consortium', ...args], { MEDLEDGER_PASSPHRASE: '' });
  delete process.env.MEDLEDGER_PASSPHRASE;
  const here = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    const o = { stdout: '', stderr: '' };
    const code = await consortium(parseArgs(['consortium', ...args]), {
      out: (l) => void (o.stdout += `${l}\n`),
      log: (l) => void (o.stderr += `${l}\n`),
    });
    return { code, ...o };
  };
  const ok = (r: { code: number; stdout: string; stderr: string }, what: string): void =>
    assert.equal(r.code, 0, `${what}: ${r.stderr}${r.stdout}`);
  try {
    const dirA = adminDir(root, 'hospitalA', c.orgs.get('hospitalA')!.root);
    const dirB = adminDir(root, 'hospitalB', c.orgs.get('hospitalB')!.root);
    // The lab's own key material, made on its own machine.
    const labRoot = generateP256KeyPair();
    const dirD = adminDir(root, 'labD', labRoot);
    const cert = await createOrgRootCertificate({
      org: 'labD',
      ...labRoot,
      notBefore: Date.now() - 86_400_000,
      notAfter: Date.now() + 365 * 86_400_000,
    });
    const card = join(root, 'labD-card.json');
    const labNodeKey = toB64u(generateP256KeyPair().publicKey);
    writeFileSync(
      card,
      JSON.stringify({
        id: 'labD',
        name: 'Lab D',
        role: 'cdo',
        rootCertificate: toB64u(cert),
        nodeKey: labNodeKey,
      }),
    );
    ok(await cli('prove-card', card, '--admin-dir', dirD, '--node', url), 'prove-card');
    assert.match(JSON.parse(readFileSync(card, 'utf8')).proof as string, /^[A-Za-z0-9_-]{86}$/);

    const p = join(root, 'add-labD.json');
    const proposed = await cli(
      'propose',
      'add-org',
      '--card',
      card,
      '--node',
      url,
      '--signers',
      'hospitalA,hospitalB',
      '--out',
      p,
    );
    ok(proposed, 'propose');
    assert.match(proposed.stderr, /change: add organization labD "Lab D" \(cdo\), running a node/);
    assert.match(proposed.stderr, /proof of possession of its root key: verifies/);
    ok(await cli('sign', p, '--admin-dir', dirA, '--org', 'hospitalA'), 'sign A');
    await assert.rejects(here('submit', p, '--node', url), /not signed yet by org:hospitalB/);
    // A founder cannot sign with another organization's directory.
    await assert.rejects(
      here('sign', p, '--admin-dir', dirA, '--org', 'hospitalB'),
      (e: unknown) => e instanceof UsageError && /holds no root key of hospitalB/.test(e.message),
    );
    const signedB = await cli('sign', p, '--admin-dir', dirB, '--org', 'hospitalB');
    ok(signedB, 'sign B');
    assert.match(signedB.stderr, /org:hospitalB signed .*; ready to submit/);
    const shown = await here('show', p);
    assert.match(shown.stdout, /signers: org:hospitalA \(signed\), org:hospitalB \(signed\)/);
    const submitted = await cli('submit', p, '--node', url);
    ok(submitted, 'submit');
    assert.match(submitted.stdout, /^OK [0-9a-f]{64} height \d+\n$/);
    assert.equal((node.stateValue('org:labD') as { nodeKey: string }).nodeKey, labNodeKey);

    // Too few founders: one signature where genesis asks two. The ledger refuses it with its code.
    const q = join(root, 'remove-gp.json');
    const few = await here(
      'propose',
      'remove-org',
      'gpclinic',
      '--reason',
      'test',
      '--node',
      url,
      '--signers',
      'hospitalA',
      '--out',
      q,
    );
    ok(few, 'propose remove-org');
    assert.match(few.stderr, /1 founders listed; genesis asks 2, so the ledger will refuse it/);
    ok(await here('sign', q, '--admin-dir', dirA, '--org', 'hospitalA'), 'sign q');
    const refused = await cli('submit', q, '--node', url);
    assert.equal(refused.code, 1, refused.stderr);
    assert.equal(
      refused.stdout,
      'GOVERNANCE_THRESHOLD: removing organization gpclinic needs the signatures of 2 founders; it has 1 (hospitalA)\n',
    );
    assert.equal((node.stateValue('org:gpclinic') as { removedAt?: number }).removedAt, undefined);
    assert.deepEqual(node.stateValue('chain:orgs'), ['gpclinic', 'hospitalA', 'hospitalB', 'labD']);

    // A rotation, the new key given as a PEM file; hospitalB signs its own rotation as a founder.
    const fresh = generateP256KeyPair();
    const pem = join(root, 'node-b.pem');
    writeFileSync(
      pem,
      createPublicKey({ key: Buffer.from(fresh.publicKey), format: 'der', type: 'spki' }).export({
        format: 'pem',
        type: 'spki',
      }),
    );
    const r = join(root, 'rotate-b.json');
    ok(
      await here(
        'propose',
        'rotate-node-key',
        'hospitalB',
        '--key',
        pem,
        '--node',
        url,
        '--signers',
        'hospitalA',
        '--out',
        r,
      ),
      'propose rotate',
    );
    ok(await here('sign', r, '--admin-dir', dirA, '--org', 'hospitalA'), 'sign r A');
    ok(await here('sign', r, '--admin-dir', dirB, '--org', 'hospitalB'), 'sign r B');
    ok(await here('submit', r, '--node', url), 'submit rotate');
    assert.equal((node.stateValue('org:hospitalB') as { nodeKey: string }).nodeKey, toB64u(fresh.publicKey));

    // The other forms of --key: a sealed key file (its public key), base64url text, raw DER; and a bad one.
    const k2 = generateP256KeyPair();
    const sealedDir = join(root, 'node-keys');
    const sealed = writeKeyFile(
      sealedDir,
      sealKey({ label: 'node-b2', keyType: 'p256', ...k2, passphrase: 'x', N: 1024 }),
    );
    writeFileSync(join(root, 'k.txt'), `${toB64u(k2.publicKey)}\n`);
    writeFileSync(join(root, 'k.der'), k2.publicKey);
    for (const key of [sealed, join(root, 'k.txt'), join(root, 'k.der'), toB64u(k2.publicKey)]) {
      const out = join(root, 'rotate-forms.json');
      ok(
        await here('propose', 'rotate-node-key', 'hospitalB', '--key', key, '--node', url, '--out', out),
        key,
      );
      const payload = (JSON.parse(readFileSync(out, 'utf8')) as { body: { payload: { nodeKey: string } } })
        .body.payload;
      assert.equal(payload.nodeKey, toB64u(k2.publicKey), key);
    }
    await assert.rejects(
      here(
        'propose',
        'rotate-node-key',
        'hospitalB',
        '--key',
        'AAAA',
        '--node',
        url,
        '--out',
        join(root, 'x.json'),
      ),
      /--key: must be the SPKI DER of a P-256 public key/,
    );
  } finally {
    await app.close();
    await node.close();
    rmSync(root, { recursive: true, force: true });
  }
});
