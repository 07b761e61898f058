/**
 * Test helper: a consortium of N nodes ordered by a real 3-member etcd cluster, each node in
 * its own data directory with only its own key, run in this process with `startNode`.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sealKey, toB64u } from '@medledger/crypto';
import { Wallet } from '@medledger/client';
import {
  EtcdCluster,
  createConsortium,
  startNode,
  writeKeyFile,
  type Consortium,
  type NodeConfig,
  type OrdererConfig,
  type RunningNode,
} from '../../src/index.js';

export const PASSPHRASE = 'test-passphrase';

export interface TestCluster {
  root: string;
  etcd: EtcdCluster;
  consortium: Consortium;
  orgs: string[];
  dirs: Map<string, string>;
  running: Map<string, RunningNode>;
  ordering: OrdererConfig;
  /** Starts (or restarts) one organization's node. */
  start(org: string): Promise<RunningNode>;
  stop(org: string): Promise<void>;
  wallet(label: string): Wallet;
  orgWallet(org: string): Wallet;
  logs: string[];
  step(message: string): void;
  cleanup(): Promise<void>;
}

export async function makeTestCluster(
  o: {
    nodes?: number;
    members?: { label: string; org: string; role: string }[];
    ordering?: Partial<Extract<OrdererConfig, { kind: 'etcd' }>>;
    timeoutMs?: number;
    start?: boolean;
    /** Webhook destinations the nodes may deliver to (node.json `webhookAllow`). */
    webhookAllow?: string[];
  } = {},
): Promise<TestCluster> {
  const n = o.nodes ?? 3;
  const running = new Map<string, RunningNode>();
  const logs: string[] = [];
  const t0 = Date.now();
  const step = (m: string): void => void logs.push(`+${Date.now() - t0} ms ${m}`);
  step('makeTestCluster');
  // A cluster test that hangs says where: after 100 s, print what every node is doing.
  const dump = setTimeout(() => {
    const states = [...running].map(
      ([o, r]) =>
        `${o}=${r.node.head().height} ${JSON.stringify((r.node.orderer as { state?: unknown }).state)}`,
    );
    const text = `cluster after 100 s: ${states.join('; ')}\n${logs.slice(-40).join('\n')}\n`;
    process.stderr.write(text);
  }, 100_000);
  dump.unref();
  const root = mkdtempSync(join(tmpdir(), 'medledger-cluster-'));
  const orgIds = ['hospitalA', 'hospitalB', 'gpclinic', 'insurer', 'institute'].slice(0, Math.max(n, 2));
  const consortium = await createConsortium({
    chainName: 'cluster-test',
    genesisTime: Date.now() - 60_000,
    orgs: orgIds.map((id) => ({ id, name: id, role: 'cdo' as const })),
    nodeOrgs: orgIds.slice(0, n),
    members: o.members ?? [
      { label: 'alice', org: 'hospitalA', role: 'doctor' },
      { label: 'bob', org: 'hospitalB', role: 'doctor' },
    ],
    ordering: { maxTxs: 500, maxBytes: 1 << 20, timeoutMs: o.timeoutMs ?? 20 },
  });
  step('starting etcd');
  const etcd = await EtcdCluster.start({ dir: join(root, 'etcd') });
  step(`etcd up: ${etcd.endpoints.join(' ')}`);
  const ordering: OrdererConfig = {
    kind: 'etcd',
    endpoints: etcd.endpoints,
    leaseTtlSec: 2,
    heightTtlSec: 3,
    pruneEveryMs: 1000,
    ...o.ordering,
  };
  const dirs = new Map<string, string>();
  const ports = new Map<string, number>();
  for (const org of orgIds.slice(0, n)) {
    const dir = join(root, org);
    mkdirSync(dir, { recursive: true });
    const mat = consortium.orgs.get(org)!;
    writeFileSync(join(dir, 'genesis.json'), JSON.stringify(consortium.genesis));
    writeKeyFile(
      dir,
      sealKey({
        label: `node-${org}`,
        keyType: 'p256',
        publicKey: mat.node.publicKey,
        privateKey: mat.node.privateKey,
        passphrase: PASSPHRASE,
        N: 1024,
      }),
    );
    dirs.set(org, dir);
    ports.set(org, 0);
  }
  const urls = new Map<string, string>();
  const t: TestCluster = {
    root,
    etcd,
    consortium,
    orgs: orgIds.slice(0, n),
    dirs,
    running,
    ordering,
    logs,
    step,
    async start(org) {
      const dir = dirs.get(org)!;
      const config: NodeConfig = {
        org,
        host: '127.0.0.1',
        port: ports.get(org)!,
        nodeKey: `node-${org}`,
        orderer: ordering,
        peers: [...urls].filter(([k]) => k !== org).map(([org, url]) => ({ org, url })),
        ...(o.webhookAllow === undefined ? {} : { webhookAllow: o.webhookAllow }),
      };
      writeFileSync(join(dir, 'node.json'), JSON.stringify(config));
      step(`${org}: starting`);
      const r = await startNode({ dir, passphrase: PASSPHRASE, log: (l) => logs.push(`${org}: ${l}`) });
      step(`${org}: started`);
      running.set(org, r);
      urls.set(org, r.url);
      ports.set(org, Number(new URL(r.url).port));
      return r;
    },
    async stop(org) {
      await running.get(org)?.close();
      running.delete(org);
    },
    wallet(label) {
      const m = consortium.members.find((x) => x.spec.label === label)!;
      return new Wallet({ signerId: m.memberId, privateKey: m.keys.privateKey });
    },
    orgWallet(org) {
      return new Wallet({ signerId: `org:${org}`, privateKey: consortium.orgs.get(org)!.root.privateKey });
    },
    async cleanup() {
      step('cleanup');
      clearTimeout(dump);
      for (const org of [...running.keys()]) await t.stop(org).catch(() => undefined);
      step('nodes stopped');
      await etcd.stop();
      step('etcd stopped');
      rmSync(root, { recursive: true, force: true });
    },
  };
  if (o.start ?? true) {
    // Ports first, so every node's peer list names the others.
    for (const org of t.orgs) ports.set(org, await (await import('../../src/index.js')).freePort());
    for (const org of t.orgs) urls.set(org, `http://127.0.0.1:${ports.get(org)}`);
    for (const org of t.orgs) await t.start(org);
  }
  return t;
}

/** Enrolls the consortium's members through one node and waits for the receipts. */
export async function enrollMembers(t: TestCluster, via: RunningNode): Promise<void> {
  const txs = t.consortium.members.map((m) =>
    t.orgWallet(m.spec.org).tx({
      chainId: via.node.chainId,
      type: 'registry.enroll',
      payload: { certificate: toB64u(m.certificate) },
      createdAt: Date.now(),
    }),
  );
  const res = await via.node.submitBatch(txs);
  t.step(`enrollments submitted: ${res.map((r) => r.status).join(',')}`);
  let top = 0;
  for (const r of res) {
    if (r.status === 'rejected') throw new Error(r.error.message);
    const rec = await via.node.waitForReceipt(r.txId, 20_000);
    if (rec?.code !== 'OK') throw new Error(`enrollment ${rec?.code ?? 'not committed'}`);
    top = Math.max(top, rec.height);
  }
  t.step(`enrolled at ${top}`);
  await waitForHeight(t, top);
}

/** Waits until every running node has stored `height`. */
export async function waitForHeight(t: TestCluster, height: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ([...t.running.values()].some((r) => r.node.head().height < height)) {
    if (Date.now() > deadline) {
      const states = [...t.running].map(
        ([o, r]) =>
          `${o}=${r.node.head().height}${r.node.halted ? ` (halted: ${r.node.halted.message})` : ''} ` +
          JSON.stringify((r.node.orderer as { state?: unknown }).state),
      );
      t.step(`stalled: ${states.join('; ')}`);
      throw new Error(
        `nodes did not reach height ${height}: ${states.join('; ')}\n${t.logs.slice(-20).join('\n')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}
