/**
 * A full node as `medledger start` runs it (`startNode`: every service and route plugin), on a
 * real data directory with a solo orderer, for tests that need the whole API.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sealKey, toB64u } from '@medledger/crypto';
import { Wallet } from '@medledger/client';
import {
  createConsortium,
  paths,
  startNode,
  writeKeyFile,
  type Consortium,
  type MemberMaterial,
  type NodeConfig,
  type OrgServicesConfig,
  type RunningNode,
} from '../../src/index.js';

const PASSPHRASE = 'full-node-test-passphrase';

export interface FullNode {
  dir: string;
  consortium: Consortium;
  running: RunningNode;
  member(label: string): MemberMaterial;
  wallet(label: string): Wallet;
  orgWallet(org: string): Wallet;
  /** Stops the node and starts it again on the same directory (`running` is the new one). */
  restart(): Promise<RunningNode>;
  cleanup(): Promise<void>;
}

export async function startFullNode(
  members: { label: string; org: string; role: string }[],
  o: { services?: OrgServicesConfig } = {},
): Promise<FullNode> {
  const dir = mkdtempSync(join(tmpdir(), 'medledger-full-'));
  const consortium = await createConsortium({
    chainName: 'full-node-test',
    genesisTime: Date.now() - 60_000,
    orgs: [
      { id: 'hospitalA', name: 'Hospital A', role: 'cdo' },
      { id: 'hospitalB', name: 'Hospital B', role: 'cdo' },
    ],
    nodeOrgs: ['hospitalA', 'hospitalB'],
    members,
    ordering: { maxTxs: 500, maxBytes: 1 << 22, timeoutMs: 10 },
  });
  const node = consortium.orgs.get('hospitalA')!.node;
  writeKeyFile(
    dir,
    sealKey({ label: 'node-hospitalA', keyType: 'p256', ...node, passphrase: PASSPHRASE, N: 1024 }),
  );
  writeFileSync(paths(dir).genesis, JSON.stringify(consortium.genesis));
  const config: NodeConfig = {
    org: 'hospitalA',
    host: '127.0.0.1',
    port: 0,
    nodeKey: 'node-hospitalA',
    ...(o.services ? { services: o.services } : {}),
  };
  writeFileSync(paths(dir).config, JSON.stringify(config));
  const running = await startNode({ dir, passphrase: PASSPHRASE, log: () => undefined });
  const f: FullNode = {
    dir,
    consortium,
    running,
    member: (label) => consortium.members.find((m) => m.spec.label === label)!,
    wallet: (label) => {
      const m = f.member(label);
      return new Wallet({ signerId: m.memberId, privateKey: m.keys.privateKey });
    },
    orgWallet: (org) =>
      new Wallet({ signerId: `org:${org}`, privateKey: consortium.orgs.get(org)!.root.privateKey }),
    async restart() {
      await f.running.close();
      f.running = await startNode({ dir, passphrase: PASSPHRASE, log: () => undefined });
      return f.running;
    },
    async cleanup() {
      await f.running.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return f;
}

/** Enrolls every member of the consortium on the node and waits for the receipts. */
export async function enrollEveryone(f: FullNode, o: { encryptionKeys?: boolean } = {}): Promise<void> {
  const node = f.running.node;
  for (const m of f.consortium.members) {
    const tx = f.orgWallet(m.spec.org).tx({
      chainId: node.chainId,
      type: 'registry.enroll',
      payload: {
        certificate: toB64u(m.certificate),
        ...(o.encryptionKeys ? { encryptionKey: toB64u(m.encryption.publicKey) } : {}),
      },
      createdAt: Date.now(),
    });
    const r = await node.submit(tx);
    const rec = await node.waitForReceipt(r.txId, 10_000);
    if (rec?.code !== 'OK') throw new Error(`enrollment ${rec?.code}`);
  }
}
