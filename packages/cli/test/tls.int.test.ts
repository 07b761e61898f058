/**
 * Transport from the command line (README "Transport"): `init --dev` gives every node a TLS
 * key and a certificate from its organization and leaves loopback nodes on plain HTTP, said at
 * startup; with `"tls": true` the node serves HTTPS that the CLI trusts through the genesis
 * named by MEDLEDGER_GENESIS, and refuses without it. The party-by-party commands through the
 * real binary: `node tls-request`, `org issue --tls`, `node tls-install`, with a certificate of
 * another organization refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MedledgerClient } from '@medledger/client';
import { paths, readConfig, tlsPaths } from '@medledger/node';
import { start } from '../src/commands/start.js';
import { clientOptionsFor } from '../src/transport.js';
import { UsageError } from '../src/args.js';
import { nodeTlsRequest, orgIssueTls } from '../src/commands/tls.js';
import { readCsrFile } from '../src/commands/org.js';
import { passphraseFor } from '../src/passphrase.js';
import { makeDevDir, runCli } from './helpers.js';

test('behavior: init --dev certifies every node for TLS and keeps loopback nodes on plain HTTP, saying so', async () => {
  const d = await makeDevDir(2);
  for (const org of ['hospitalA', 'hospitalB']) {
    const dir = d.dirs.node(org);
    assert.ok(existsSync(tlsPaths(dir).certificate) && existsSync(join(dir, 'keys', `tls-${org}.key.json`)));
    assert.equal(readConfig(dir).tls, false);
  }
  const logs: string[] = [];
  const s = await start({ dir: d.dir, dev: false, port: 0, log: (l) => logs.push(l) });
  try {
    assert.match(s.url, /^http:\/\/127\.0\.0\.1:/);
    assert.ok(
      logs.includes('plain HTTP on 127.0.0.1 (dev): not for use beyond this machine'),
      logs.join('\n'),
    );
  } finally {
    await s.close();
  }
});

test('behavior: a node with tls true serves HTTPS that the CLI trusts only through the genesis roots', async () => {
  const d = await makeDevDir(1);
  const cfg = paths(d.nodeDir).config;
  writeFileSync(cfg, JSON.stringify({ ...readConfig(d.nodeDir), tls: true }));
  const s = await start({ dir: d.dir, dev: false, port: 0, log: () => {} });
  const before = process.env.MEDLEDGER_GENESIS;
  try {
    assert.match(s.url, /^https:\/\/127\.0\.0\.1:/);
    delete process.env.MEDLEDGER_GENESIS;
    assert.throws(() => clientOptionsFor(s.url), UsageError);
    assert.throws(() => clientOptionsFor('http://10.1.2.3:7545'), /refusing plain HTTP/);
    process.env.MEDLEDGER_GENESIS = join(d.dir, 'genesis.json');
    const status = await new MedledgerClient(s.url, undefined, clientOptionsFor(s.url)).status();
    assert.equal(status.chainId, s.node.chainId);
  } finally {
    if (before === undefined) delete process.env.MEDLEDGER_GENESIS;
    else process.env.MEDLEDGER_GENESIS = before;
    await s.close();
  }
});

test('behavior: node tls-request, org issue --tls and node tls-install through the binary; another organization is refused', async () => {
  const d = await makeDevDir(1);
  const dir = d.nodeDir;
  // Start over as an operator would: the dev TLS material removed.
  for (const f of [
    tlsPaths(dir).certificate,
    tlsPaths(dir).request,
    join(dir, 'keys', 'tls-hospitalA.key.json'),
  ])
    rmSync(f);
  const req = await runCli([
    'node',
    'tls-request',
    '--dir',
    dir,
    '--host',
    'node-a.hospital.example',
    '--host',
    '127.0.0.1',
  ]);
  assert.equal(req.code, 0, req.stderr);
  assert.equal(req.stdout.trim(), tlsPaths(dir).request);
  const csr = tlsPaths(dir).request;
  const out = join(dir, '..', 'tls.cert.pem');
  // hospitalB's administrators refuse hospitalA's request.
  await assert.rejects(
    orgIssueTls({
      dir: d.dirs.admin('hospitalB'),
      passphrase: passphraseFor(d.dirs.admin('hospitalB')),
      request: readCsrFile(csr),
    }),
    /asks organization hospitalA, the issuer is hospitalB/,
  );
  const issued = await runCli([
    'org',
    'issue',
    '--tls',
    '--dir',
    d.dirs.admin('hospitalA'),
    '--csr',
    csr,
    '--out',
    out,
  ]);
  assert.equal(issued.code, 0, issued.stderr);
  assert.match(issued.stderr, /TLS server certificate for node-a\.hospital\.example, 127\.0\.0\.1/);
  assert.match(readFileSync(out, 'utf8'), /BEGIN CERTIFICATE/);
  const installed = await runCli(['node', 'tls-install', '--dir', dir, '--cert', out]);
  assert.equal(installed.code, 0, installed.stderr);
  assert.ok(existsSync(tlsPaths(dir).certificate));
  // A second request would replace the key behind the installed certificate: refused.
  await assert.rejects(nodeTlsRequest({ dir, passphrase: d.passphrase }), /exists already/);
});
