/** Test helpers: a consortium and a node on a real SQLite file in a temp dir. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toB64u } from '@medledger/crypto';
import { Wallet } from '@medledger/client';
import {
  MedledgerNode,
  createConsortium,
  type Consortium,
  type MemberMaterial,
  type NodeOptions,
  type Orderer,
} from '../../src/index.js';

export interface TestLedger {
  dir: string;
  consortium: Consortium;
  node: MedledgerNode;
  wallet(label: string): Wallet;
  orgWallet(org: string): Wallet;
  member(label: string): MemberMaterial;
  reopen(): Promise<MedledgerNode>;
  cleanup(): Promise<void>;
}

export async function makeTestLedger(
  opts: {
    members?: { label: string; org: string; role: string }[];
    timeoutMs?: number;
    /** Organizations that run a node (default both). */
    nodeOrgs?: string[];
    /** The node's orderer (default solo), made once per opening. */
    orderer?: (c: Consortium) => Orderer;
    proofCheckers?: NodeOptions['proofCheckers'];
  } = {},
): Promise<TestLedger> {
  const dir = mkdtempSync(join(tmpdir(), 'medledger-test-'));
  const consortium = await createConsortium({
    chainName: 'test',
    genesisTime: Date.now() - 60_000,
    orgs: [
      { id: 'hospitalA', name: 'Hospital A', role: 'cdo' },
      { id: 'hospitalB', name: 'Hospital B', role: 'cdo' },
    ],
    members: opts.members ?? [
      { label: 'alice', org: 'hospitalA', role: 'doctor' },
      { label: 'bob', org: 'hospitalB', role: 'doctor' },
      { label: 'carol', org: 'hospitalA', role: 'nurse' },
    ],
    ordering: { maxTxs: 500, maxBytes: 1 << 22, timeoutMs: opts.timeoutMs ?? 10 },
    ...(opts.nodeOrgs ? { nodeOrgs: opts.nodeOrgs } : {}),
  });
  const open = (): Promise<MedledgerNode> =>
    MedledgerNode.open({
      ledgerPath: join(dir, 'ledger.sqlite'),
      genesis: consortium.genesis,
      org: 'hospitalA',
      nodeKey: consortium.orgs.get('hospitalA')!.node.privateKey,
      sigWorkers: 2,
      ...(opts.orderer ? { orderer: opts.orderer(consortium) } : {}),
      ...(opts.proofCheckers ? { proofCheckers: opts.proofCheckers } : {}),
    });
  const t: TestLedger = {
    dir,
    consortium,
    node: await open(),
    member: (label) => consortium.members.find((m) => m.spec.label === label)!,
    wallet: (label) => {
      const m = t.member(label);
      return new Wallet({ signerId: m.memberId, privateKey: m.keys.privateKey });
    },
    orgWallet: (org) =>
      new Wallet({ signerId: `org:${org}`, privateKey: consortium.orgs.get(org)!.root.privateKey }),
    async reopen() {
      await t.node.close();
      t.node = await open();
      return t.node;
    },
    async cleanup() {
      await t.node.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return t;
}

/** Enrolls every member of the consortium and waits for the receipts. */
export async function enrollAll(t: TestLedger, o: { encryptionKeys?: boolean } = {}): Promise<void> {
  const txs = t.consortium.members.map((m) =>
    t.orgWallet(m.spec.org).tx({
      chainId: t.node.chainId,
      type: 'registry.enroll',
      payload: {
        certificate: toB64u(m.certificate),
        ...(o.encryptionKeys ? { encryptionKey: toB64u(m.encryption.publicKey) } : {}),
      },
      createdAt: Date.now(),
    }),
  );
  const res = await t.node.submitBatch(txs);
  for (const r of res) {
    if (r.status === 'rejected') throw new Error(r.error.message);
    const rec = await t.node.waitForReceipt(r.txId, 10_000);
    if (rec?.code !== 'OK') throw new Error(`enrollment ${rec?.code}`);
  }
}

const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/**
 * The high-S form of a 64-byte P-256 signature: itself if s > n/2, else (r, n − s). Both forms
 * verify under plain ECDSA; medledger must accept only the low one.
 */
export function highSForm(sig: Uint8Array): Uint8Array {
  const s = BigInt(`0x${Buffer.from(sig.subarray(32)).toString('hex')}`);
  if (s > P256_N >> 1n) return sig;
  const out = new Uint8Array(sig);
  out.set(Buffer.from((P256_N - s).toString(16).padStart(64, '0'), 'hex'), 32);
  return out;
}
