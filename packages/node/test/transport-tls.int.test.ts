/**
 * Transport (README "Transport"): real nodes (`startNode` on real SQLite files, the real
 * fastify server) serving their API over TLS with server certificates their organizations'
 * roots issued from the nodes' own requests; a client and a peer that trust only the genesis
 * roots. Negative cases: a certificate from a CA outside the genesis, a self-signed one, a
 * peer configured as one organization presenting another's certificate, plain HTTP where TLS
 * is configured, and a node beyond loopback without TLS.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrivateKey } from 'node:crypto';
import Fastify from 'fastify';
import {
  certificateRequestFromPem,
  certificateToPem,
  createOrgRootCertificate,
  createTlsCertificateRequest,
  generateP256KeyPair,
  importP256PrivateKey,
  issueTlsServerCertificate,
  sealKey,
  toB64u,
} from '@medledger/crypto';
import { MedledgerClient, Wallet } from '@medledger/client';
import { createTlsFetch, trustedRootsOf } from '../src/transport/tlsFetch.js';
import {
  PeerSync,
  createConsortium,
  createNodeTlsRequest,
  installNodeTlsCertificate,
  startNode,
  tlsPaths,
  writeKeyFile,
  type Consortium,
  type NodeConfig,
  type RunningNode,
} from '../src/index.js';

const PASS = 'tls-test-passphrase';
const DAY = 86_400_000;
let root: string;
let c: Consortium;
const running: RunningNode[] = [];

function nodeDir(org: string, config: Partial<NodeConfig> = {}): string {
  const dir = join(root, `${org}-${Math.random().toString(36).slice(2, 8)}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'genesis.json'), JSON.stringify(c.genesis));
  const node = c.orgs.get(org)!.node;
  writeKeyFile(dir, sealKey({ label: `node-${org}`, keyType: 'p256', ...node, passphrase: PASS, N: 1024 }));
  const cfg: NodeConfig = { org, host: '127.0.0.1', port: 0, nodeKey: `node-${org}`, ...config };
  writeFileSync(join(dir, 'node.json'), JSON.stringify(cfg));
  return dir;
}

/** The node makes its key and request; its organization's root issues; the node installs. */
async function withTls(dir: string, org: string, hosts = ['127.0.0.1', 'localhost']): Promise<Uint8Array> {
  const csrPath = await createNodeTlsRequest({ dir, passphrase: PASS, hosts, scryptN: 1024 });
  const mat = c.orgs.get(org)!;
  const now = Date.now();
  const { certificate } = await issueTlsServerCertificate({
    request: certificateRequestFromPem(readFileSync(csrPath, 'utf8')),
    issuerCertificate: mat.rootCertificate,
    issuerPrivateKey: mat.root.privateKey,
    notBefore: now - DAY,
    notAfter: now + 90 * DAY,
  });
  installNodeTlsCertificate(dir, certificate);
  return certificate;
}

async function start(dir: string, logs: string[] = []): Promise<RunningNode> {
  const r = await startNode({ dir, passphrase: PASS, log: (l) => logs.push(l) });
  running.push(r);
  return r;
}

/** A bare fastify HTTPS server presenting the given certificate (a rogue or misconfigured peer). */
async function rogueServer(
  key: Uint8Array,
  certs: Uint8Array[],
): Promise<{ url: string; close(): Promise<void> }> {
  const pem = createPrivateKey({ key: Buffer.from(key), format: 'der', type: 'pkcs8' }).export({
    format: 'pem',
    type: 'pkcs8',
  }) as string;
  const app = Fastify({
    https: { key: pem, cert: certs.map(certificateToPem).join('') },
    forceCloseConnections: true,
  });
  app.get('/v1/status', async () => ({ chainId: 'rogue', height: 999 }));
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { url, close: () => app.close() };
}

const trusting = (orgOf?: (u: URL) => string | undefined) =>
  createTlsFetch({ roots: trustedRootsOf(c.genesis), ...(orgOf ? { orgOf } : {}) });

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'medledger-tls-'));
  c = await createConsortium({
    chainName: 'tls-test',
    genesisTime: Date.now() - 60_000,
    orgs: ['hospitalA', 'hospitalB', 'gpclinic'].map((id) => ({ id, name: id, role: 'cdo' as const })),
    members: [{ label: 'ada', org: 'hospitalA', role: 'doctor' }],
  });
});

after(async () => {
  for (const r of running) await r.close().catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
});

test('behavior: a node with an installed certificate serves its API over TLS that a genesis-trusting client accepts', async () => {
  const dir = nodeDir('hospitalA', { peers: [{ org: 'hospitalB', url: 'http://127.0.0.1:9' }] });
  await withTls(dir, 'hospitalA');
  const logs: string[] = [];
  const a = await start(dir, logs);
  assert.ok(
    logs.includes('peer hospitalB at http://127.0.0.1:9 is plain HTTP: this node refuses it (TLS only)'),
  );
  assert.match(a.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  assert.ok(
    logs.some((l) => l.startsWith("TLS with hospitalA's server certificate")),
    logs.join('\n'),
  );
  const status = await new MedledgerClient(a.url, undefined, { fetch: trusting(() => 'hospitalA') }).status();
  assert.equal(status.chainId, a.node.chainId);
  // The system's CA store does not know the consortium's roots: the global fetch refuses it.
  await assert.rejects(fetch(`${a.url}/v1/status`));
  // Plain HTTP to the TLS port gets no API answer.
  await assert.rejects(fetch(`${a.url.replace('https:', 'http:')}/v1/status`));
  // A TLS client refuses a plain http:// URL outright.
  await assert.rejects(trusting()(`${a.url.replace('https:', 'http:')}/v1/status`), { code: 'TLS_REQUIRED' });
});

test('behavior: a server certificate from an organization CA that is not in the genesis is refused', async () => {
  const rogueCa = generateP256KeyPair();
  const now = Date.now();
  const rogueRoot = await createOrgRootCertificate({
    org: 'hospitalA',
    ...rogueCa,
    notBefore: now - DAY,
    notAfter: now + DAY,
  });
  const key = generateP256KeyPair();
  const request = await createTlsCertificateRequest({
    ...key,
    org: 'hospitalA',
    hosts: [{ type: 'ip', value: '127.0.0.1' }],
  });
  const { certificate } = await issueTlsServerCertificate({
    request,
    issuerCertificate: rogueRoot,
    issuerPrivateKey: rogueCa.privateKey,
    notBefore: now - DAY,
    notAfter: now + DAY,
  });
  for (const chain of [[certificate], [certificate, rogueRoot]]) {
    const s = await rogueServer(key.privateKey, chain);
    try {
      await assert.rejects(
        trusting(() => 'hospitalA')(`${s.url}/v1/status`),
        (e: Error & { code?: string }) =>
          ['CERT_SIGNATURE_FAILURE', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN'].includes(
            e.code ?? '',
          ),
      );
    } finally {
      await s.close();
    }
  }
});

test('behavior: a self-signed server certificate is refused', async () => {
  const key = generateP256KeyPair();
  const now = Date.now();
  const self = await createOrgRootCertificate({
    org: 'hospitalA',
    ...key,
    notBefore: now - DAY,
    notAfter: now + DAY,
  });
  const s = await rogueServer(key.privateKey, [self]);
  try {
    await assert.rejects(trusting()(`${s.url}/v1/status`), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
  } finally {
    await s.close();
  }
});

test("behavior: a peer configured as hospitalA that presents hospitalB's valid certificate is refused", async () => {
  const dir = nodeDir('hospitalB');
  await withTls(dir, 'hospitalB');
  const b = await start(dir);
  // Trusted as hospitalB's node, or as any genesis organization's: accepted.
  assert.equal(
    (await new MedledgerClient(b.url, undefined, { fetch: trusting(() => 'hospitalB') }).status()).chainId,
    b.node.chainId,
  );
  assert.equal(
    (await new MedledgerClient(b.url, undefined, { fetch: trusting() }).status()).chainId,
    b.node.chainId,
  );
  await assert.rejects(
    new MedledgerClient(b.url, undefined, { fetch: trusting(() => 'hospitalA') }).status(),
    {
      code: 'TLS_UNTRUSTED',
      message: /organization hospitalB's; this URL is configured as hospitalA's node/,
    },
  );
});

test('behavior: block sync between peers runs over TLS, and refuses a peer whose certificate is another organization', async () => {
  const aDir = nodeDir('hospitalA');
  await withTls(aDir, 'hospitalA');
  const a = await start(aDir);
  const ada = c.members[0]!;
  const enroll = new Wallet({
    signerId: 'org:hospitalA',
    privateKey: c.orgs.get('hospitalA')!.root.privateKey,
  }).tx({
    chainId: a.node.chainId,
    type: 'registry.enroll',
    payload: { certificate: toB64u(ada.certificate) },
    createdAt: Date.now(),
  });
  const r = await a.node.submit(enroll);
  assert.equal((await a.node.waitForReceipt(r.txId!, 10_000))?.code, 'OK');
  const height = a.node.head().height;
  const sync = (org: string) => {
    const peers = [{ org, url: a.url }];
    const logs: string[] = [];
    const s = new PeerSync({
      peers,
      org: 'hospitalB',
      nodeKey: importP256PrivateKey(c.orgs.get('hospitalB')!.node.privateKey),
      state: a.node.store,
      fetch: trusting((u) => peers.find((p) => new URL(p.url).origin === u.origin)?.org),
      log: (l) => logs.push(l),
    });
    return { s, logs };
  };
  const got: number[] = [];
  const good = sync('hospitalA');
  await good.s.catchUp(1, height, async (b) => void got.push(b.header.height));
  assert.deepEqual(
    got,
    Array.from({ length: height }, (_, i) => i + 1),
  );
  // The catch-up reports its rate: every block and transaction it applied, per second.
  const rate = good.s.lastRate;
  assert.ok(rate, 'a catch-up that applied blocks keeps its rate');
  assert.equal(rate.blocks, height);
  assert.equal(rate.from, 1);
  assert.equal(rate.to, height);
  assert.ok(rate.txs >= 1, `${rate.txs} transactions synced (the enrollment at least)`);
  assert.ok(rate.blocksPerSec > 0 && rate.txPerSec > 0, JSON.stringify(rate));
  assert.match(
    good.logs.join('\n'),
    new RegExp(
      `sync: caught up ${height} blocks \\(1\\.\\.${height}\\), \\d+ transactions in [\\d.]+ s: \\d+ blocks/s, \\d+ tx/s`,
    ),
  );
  const wrong = sync('gpclinic');
  await assert.rejects(
    wrong.s.catchUp(1, height, async () => undefined),
    /no peer served/,
  );
  assert.match(wrong.logs.join('\n'), /organization hospitalA's; this URL is configured as gpclinic's node/);
});

test('behavior: a node beyond loopback refuses to start without TLS; on loopback it says it is plain HTTP', async () => {
  await assert.rejects(start(nodeDir('gpclinic', { host: '0.0.0.0' })), { code: 'TLS_REQUIRED' });
  await assert.rejects(start(nodeDir('gpclinic', { host: '0.0.0.0', tls: false })), { code: 'TLS_REQUIRED' });
  await assert.rejects(start(nodeDir('gpclinic', { tls: true })), { code: 'TLS_NOT_READY' });
  const logs: string[] = [];
  const g = await start(nodeDir('gpclinic', { tls: false }), logs);
  assert.match(g.url, /^http:\/\/127\.0\.0\.1:/);
  assert.ok(logs.includes('plain HTTP on 127.0.0.1 (dev): not for use beyond this machine'), logs.join('\n'));
});

test('behavior: a node directory installs only a certificate of its own organization, for its own TLS key, from its genesis root', async () => {
  const dir = nodeDir('hospitalA');
  await createNodeTlsRequest({ dir, passphrase: PASS, hosts: ['127.0.0.1'], scryptN: 1024 });
  const now = Date.now();
  const v = { notBefore: now - DAY, notAfter: now + DAY };
  const issue = async (org: string, key = generateP256KeyPair()) => {
    const m = c.orgs.get(org)!;
    const request = await createTlsCertificateRequest({
      ...key,
      org,
      hosts: [{ type: 'ip', value: '127.0.0.1' }],
    });
    return (
      await issueTlsServerCertificate({
        request,
        issuerCertificate: m.rootCertificate,
        issuerPrivateKey: m.root.privateKey,
        ...v,
      })
    ).certificate;
  };
  assert.throws(() => installNodeTlsCertificate(dir, new Uint8Array([1, 2, 3])), {
    code: 'TLS_CERT_REFUSED',
  });
  const otherOrg = await issue('hospitalB');
  assert.throws(() => installNodeTlsCertificate(dir, otherOrg), {
    code: 'TLS_CERT_REFUSED',
    message: /hospitalB's; this node is hospitalA's/,
  });
  const otherKey = await issue('hospitalA');
  assert.throws(() => installNodeTlsCertificate(dir, otherKey), {
    code: 'TLS_CERT_REFUSED',
    message: /another key/,
  });
  const rogueCa = generateP256KeyPair();
  const rogueRoot = await createOrgRootCertificate({ org: 'hospitalA', ...rogueCa, ...v });
  const mine = certificateRequestFromPem(readFileSync(tlsPaths(dir).request, 'utf8'));
  const fromRogue = await issueTlsServerCertificate({
    request: mine,
    issuerCertificate: rogueRoot,
    issuerPrivateKey: rogueCa.privateKey,
    ...v,
  });
  assert.throws(() => installNodeTlsCertificate(dir, fromRogue.certificate), {
    code: 'TLS_CERT_REFUSED',
    message: /not signed by hospitalA's root/,
  });
  // The private key stays sealed in the node directory; the request and certificate are public.
  const request = readFileSync(tlsPaths(dir).request, 'utf8');
  assert.match(request, /BEGIN CERTIFICATE REQUEST/);
  assert.doesNotMatch(request, /PRIVATE KEY/);
});
