/**
 * Governance on a real ledger (in-process node, SQLite file): after `consortium.remove-org` a
 * removed organization's node key cuts no block that verifyBlock accepts while the remaining
 * node keeps committing; after `consortium.rotate-node-key` the old key is refused and the
 * new one accepted; an added organization's node key and root key take part; and
 * `verifyLedger` (what `medledger verify` runs) replays each ledger from genesis. A removed
 * organization's root key no longer authenticates a request.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createOrgRootCertificate,
  generateP256KeyPair,
  issueMemberCertificate,
  toB64u,
  HashTag,
  hashTagged,
  toHex,
  utf8,
  type P256KeyPair,
} from '@medledger/crypto';
import {
  LedgerError,
  signBlockHeader,
  txIdOf,
  txRootOf,
  type Block,
  type BlockHeader,
} from '@medledger/core';
import {
  Wallet,
  MedledgerHttpError,
  addOrgProposal,
  assembleProposal,
  listCertificateRequests,
  proveOrgCard,
  removeOrgProposal,
  rotateNodeKeyProposal,
  signProposal,
  type GovernanceProposal,
} from '@medledger/client';
import {
  CertificateRequestStore,
  MedledgerNode,
  buildServer,
  createConsortium,
  enrollmentRoutes,
  verifyLedger,
  type Consortium,
} from '../src/index.js';
import { verifyBlock } from '../src/pipeline/verifyBlock.js';
import { SignaturePool } from '../src/sigpool/pool.js';

interface Gov {
  dir: string;
  c: Consortium;
  node: MedledgerNode;
  pool: SignaturePool;
  /** Root keys by organization, including organizations added during the test. */
  roots: Map<string, Uint8Array>;
  close(): Promise<void>;
}

/** hospitalA, hospitalB, clinicC: all founders, two sign a change; hospitalA's node orders. */
async function open(): Promise<Gov> {
  const dir = mkdtempSync(join(tmpdir(), 'medledger-gov-'));
  const c = await createConsortium({
    chainName: 'gov',
    genesisTime: Date.now() - 60_000,
    orgs: [
      { id: 'hospitalA', name: 'Hospital A', role: 'cdo' },
      { id: 'hospitalB', name: 'Hospital B', role: 'cdo' },
      { id: 'clinicC', name: 'Clinic C', role: 'cdo' },
    ],
    members: [
      { label: 'alice', org: 'hospitalA', role: 'doctor' },
      { label: 'carl', org: 'clinicC', role: 'doctor' },
    ],
    governance: { threshold: 2 },
    ordering: { maxTxs: 100, maxBytes: 1 << 20, timeoutMs: 5 },
  });
  const node = await MedledgerNode.open({
    ledgerPath: join(dir, 'ledger.sqlite'),
    genesis: c.genesis,
    org: 'hospitalA',
    nodeKey: c.orgs.get('hospitalA')!.node.privateKey,
    sigWorkers: 1,
  });
  const g: Gov = {
    dir,
    c,
    node,
    pool: new SignaturePool(1),
    roots: new Map([...c.orgs].map(([id, o]) => [id, o.root.privateKey])),
    async close() {
      await g.pool.close();
      await g.node.close();
    },
  };
  for (const m of c.members) await commit(g, orgWallet(g, m.spec.org).tx(enroll(g, toB64u(m.certificate))));
  return g;
}

const orgWallet = (g: Gov, org: string): Wallet =>
  new Wallet({ signerId: `org:${org}`, privateKey: g.roots.get(org)! });
const memberWallet = (g: Gov, label: string): Wallet => {
  const m = g.c.members.find((x) => x.spec.label === label)!;
  return new Wallet({ signerId: m.memberId, privateKey: m.keys.privateKey });
};
const enroll = (g: Gov, certificate: string) => ({
  chainId: g.node.chainId,
  type: 'registry.enroll' as const,
  payload: { certificate },
  createdAt: Date.now(),
});
const anchor = (g: Gov, label: string, recordId: string) =>
  memberWallet(g, label).tx({
    chainId: g.node.chainId,
    type: 'record.anchor',
    payload: { recordId, hash: toHex(hashTagged(HashTag.record, utf8(recordId))) },
    createdAt: Date.now(),
  });

/** Submits a transaction and returns its validity code once committed. */
async function commit(g: Gov, tx: unknown): Promise<string> {
  const r = await g.node.submit(tx);
  const receipt = await g.node.waitForReceipt(r.txId, 10_000);
  assert.ok(receipt, 'committed within 10 s');
  return receipt.code;
}

/** Each founder in `by` signs the proposal in turn (through its JSON text, as a file would carry it). */
function signedBy(g: Gov, p: GovernanceProposal, by: string[]): unknown {
  for (const org of by)
    p = JSON.parse(JSON.stringify(signProposal(p, org, g.roots.get(org)!))) as GovernanceProposal;
  return assembleProposal(p);
}

/** A block at the next height proposed by `proposer` and signed with `key`, checked by verifyBlock. */
async function verifyForeignBlock(g: Gov, proposer: string, key: Uint8Array): Promise<void> {
  const head = g.node.head();
  const parent = g.node.getBlock(head.height)!.block.header;
  const txs = [anchor(g, 'alice', `foreign-${proposer}-${head.height}`)];
  const header: BlockHeader = {
    chainId: g.node.chainId,
    height: head.height + 1,
    prevHash: head.hash,
    txRoot: txRootOf(txs),
    stateDigest: head.stateDigest,
    time: Math.max(Date.now(), head.time),
    proposer,
    txCount: txs.length,
  };
  const block: Block = { header, txs, proposerSig: signBlockHeader(header, key) };
  await verifyBlock(block, parent, head.stateDigest, g.node.store, g.pool, { has: () => false });
}

const badBlock = (re: RegExp) => (e: unknown) =>
  e instanceof LedgerError && e.code === 'BAD_BLOCK' && re.test(e.message);

async function verifyClosed(g: Gov): Promise<void> {
  const height = g.node.head().height;
  await g.close();
  const r = await verifyLedger(join(g.dir, 'ledger.sqlite'), { sigWorkers: 1 });
  rmSync(g.dir, { recursive: true, force: true });
  assert.deepEqual(r.ok && r.height, height, JSON.stringify(r));
}

test('security: after remove-org, the removed node’s blocks are BAD_BLOCK naming it; the remaining node keeps committing', async () => {
  const g = await open();
  try {
    const nodeC = g.c.orgs.get('clinicC')!.node.privateKey;
    const before = anchor(g, 'carl', 'carl-before');
    assert.equal(await commit(g, before), 'OK');
    await verifyForeignBlock(g, 'clinicC', nodeC); // a current node: accepted
    // clinicC's root key lists certificate requests (the `org` request kind) while it is a member.
    const requests = CertificateRequestStore.open({
      path: join(g.dir, 'cert-requests.sqlite'),
      org: 'hospitalA',
      state: () => g.node.store,
    });
    const app = buildServer(g.node, { plugins: [enrollmentRoutes(requests)] });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const list = (org: string) =>
      listCertificateRequests({ baseUrl: url, org, rootKey: g.c.orgs.get(org)!.root.privateKey });
    const rootAuth = async (org: string): Promise<string> => {
      try {
        await list(org);
        return 'accepted';
      } catch (e) {
        return e instanceof MedledgerHttpError ? `${e.code}: ${e.message}` : String(e);
      }
    };
    assert.doesNotMatch(await rootAuth('clinicC'), /^AUTH_/, 'a current organization authenticates');
    const p = removeOrgProposal({
      chainId: g.node.chainId,
      org: 'clinicC',
      reason: 'left the consortium',
      founders: ['hospitalA', 'hospitalB'],
      createdAt: Date.now(),
    });
    assert.equal(await commit(g, signedBy(g, p, ['hospitalA', 'hospitalB'])), 'OK');
    await assert.rejects(
      verifyForeignBlock(g, 'clinicC', nodeC),
      badBlock(/^block \d+: proposer clinicC is not a current consortium node$/),
    );
    // hospitalA's solo orderer goes on cutting blocks.
    assert.equal(await commit(g, anchor(g, 'alice', 'alice-after')), 'OK');
    assert.equal(g.node.halted, undefined);
    // clinicC's members are refused at admission; what they did before stays committed.
    await assert.rejects(
      g.node.submit(anchor(g, 'carl', 'carl-after')),
      (e: unknown) => e instanceof LedgerError && e.code === 'ORG_REMOVED',
    );
    assert.equal(g.node.receipt(txIdOf(before.body))?.code, 'OK');
    // Its root key no longer authenticates a request, with the height it was removed at; a
    // current organization's still does.
    assert.match(
      await rootAuth('clinicC'),
      /^AUTH_REVOKED: clinicC was removed from the consortium at height \d+$/,
    );
    assert.equal(await rootAuth('hospitalA'), 'accepted');
    await app.close();
    requests.close();
  } catch (e) {
    await g.close();
    throw e;
  }
  await verifyClosed(g);
});

test('security: after rotate-node-key, a block signed with the old key is refused and one with the new key accepted', async () => {
  const g = await open();
  try {
    const old = g.c.orgs.get('hospitalB')!.node.privateKey;
    await verifyForeignBlock(g, 'hospitalB', old);
    const fresh = generateP256KeyPair();
    const p = rotateNodeKeyProposal({
      chainId: g.node.chainId,
      org: 'hospitalB',
      nodeKey: toB64u(fresh.publicKey),
      founders: ['clinicC'],
      createdAt: Date.now(),
    });
    // hospitalB signs its own rotation and, being a founder, counts: with clinicC that is two.
    assert.deepEqual(p.body.signers, ['org:clinicC', 'org:hospitalB']);
    assert.equal(await commit(g, signedBy(g, p, ['clinicC', 'hospitalB'])), 'OK');
    await assert.rejects(
      verifyForeignBlock(g, 'hospitalB', old),
      badBlock(/proposer signature does not verify/),
    );
    await verifyForeignBlock(g, 'hospitalB', fresh.privateKey);
    assert.equal(await commit(g, anchor(g, 'alice', 'after-rotation')), 'OK');
  } catch (e) {
    await g.close();
    throw e;
  }
  await verifyClosed(g);
});

test('behavior: an added organization’s node key signs accepted blocks and its root key enrolls members', async () => {
  const g = await open();
  try {
    const labRoot: P256KeyPair = generateP256KeyPair();
    const labNode = generateP256KeyPair();
    const now = Date.now();
    const cert = await createOrgRootCertificate({
      org: 'labD',
      ...labRoot,
      notBefore: now - 86_400_000,
      notAfter: now + 365 * 86_400_000,
    });
    const card = {
      id: 'labD',
      name: 'Lab D',
      role: 'cdo' as const,
      rootCertificate: toB64u(cert),
      nodeKey: toB64u(labNode.publicKey),
    };
    await assert.rejects(
      verifyForeignBlock(g, 'labD', labNode.privateKey),
      badBlock(/proposer labD is not a current/),
    );
    // The lab proves its root key on this chain; the founders carry the proven card.
    const { proof, ...plain } = proveOrgCard(g.node.chainId, card, labRoot.privateKey);
    const p = addOrgProposal({
      chainId: g.node.chainId,
      card: plain,
      proof,
      founders: ['hospitalB', 'clinicC'],
      createdAt: Date.now(),
    });
    assert.equal(await commit(g, signedBy(g, p, ['hospitalB', 'clinicC'])), 'OK');
    await verifyForeignBlock(g, 'labD', labNode.privateKey);
    g.roots.set('labD', labRoot.privateKey);
    const tech = generateP256KeyPair();
    const techCert = await issueMemberCertificate({
      issuerCertificate: cert,
      issuerPrivateKey: labRoot.privateKey,
      subjectPublicKey: tech.publicKey,
      commonName: 'tech-d',
      org: 'labD',
      role: 'technician',
      notBefore: now - 1000,
      notAfter: now + 86_400_000,
    });
    assert.equal(await commit(g, orgWallet(g, 'labD').tx(enroll(g, toB64u(techCert)))), 'OK');
  } catch (e) {
    await g.close();
    throw e;
  }
  await verifyClosed(g);
});
