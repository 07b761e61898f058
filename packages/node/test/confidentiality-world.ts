/**
 * A real node (SQLite in a temp dir, solo ordering) for the confidentiality integration tests,
 * with the dev consortium's cast (hospitals A and B, GP clinic, insurer, institute) plus a
 * family member and an emergency doctor; every member enrolled with an encryption key, and the
 * patient's care team set. The node belongs to hospitalB.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toB64u, type JsonValue } from '@medledger/crypto';
import { AUTH_HEADER, Wallet, signRequest, type LedgerSource, type TxContext } from '@medledger/client';
import type { SignedTx } from '@medledger/core';
import {
  MedledgerNode,
  createConsortium,
  devConsortiumSpec,
  type Consortium,
  type MemberMaterial,
  type Receipt,
} from '../src/index.js';
import { nodeLedgerSource } from '../src/confidentiality/source.js';

export interface ConfidentialLedger {
  dir: string;
  consortium: Consortium;
  node: MedledgerNode;
  source: LedgerSource;
  member(label: string): MemberMaterial;
  id(label: string): string;
  wallet(label: string): Wallet;
  /** A TxContext for a member label, `org:<id>` or `node:<id>`. */
  ctx(who: string): TxContext;
  nodeKey(org: string): Uint8Array;
  /** Submits and waits for the receipt. */
  commit(tx: SignedTx): Promise<Receipt>;
  /** Every committed event, from the feed (up to date after `commit`). */
  events: { type: string; [k: string]: JsonValue }[];
  cleanup(): Promise<void>;
}

export async function confidentialLedger(opts: { timeoutMs?: number } = {}): Promise<ConfidentialLedger> {
  const dir = mkdtempSync(join(tmpdir(), 'medledger-conf-'));
  const spec = devConsortiumSpec(Date.now() - 60_000, 'patient-7f3a');
  // Every organization runs a node here: other organizations' nodes act as re-encryption proxies.
  delete spec.nodeOrgs;
  spec.members.push(
    { label: 'family', org: 'gpclinic', role: 'relative' },
    { label: 'dr-er', org: 'hospitalA', role: 'doctor', attributes: { department: 'emergency' } },
  );
  spec.ordering = { maxTxs: 500, maxBytes: 1 << 22, timeoutMs: opts.timeoutMs ?? 10 };
  const consortium = await createConsortium(spec);
  const node = await MedledgerNode.open({
    ledgerPath: join(dir, 'ledger.sqlite'),
    genesis: consortium.genesis,
    org: 'hospitalB',
    nodeKey: consortium.orgs.get('hospitalB')!.node.privateKey,
    sigWorkers: 1,
  });
  const member = (label: string): MemberMaterial => {
    const m = consortium.members.find((x) => x.spec.label === label);
    if (!m) throw new Error(`no member ${label}`);
    return m;
  };
  const wallet = (who: string): Wallet => {
    if (who.startsWith('org:'))
      return new Wallet({ signerId: who, privateKey: consortium.orgs.get(who.slice(4))!.root.privateKey });
    if (who.startsWith('node:'))
      return new Wallet({ signerId: who, privateKey: consortium.orgs.get(who.slice(5))!.node.privateKey });
    const m = member(who);
    return new Wallet({ signerId: m.memberId, privateKey: m.keys.privateKey });
  };
  const events: ConfidentialLedger['events'] = [];
  const feed = node.follow(0, (b) => void events.push(...b.events));
  const t: ConfidentialLedger = {
    dir,
    consortium,
    node,
    source: nodeLedgerSource(node),
    member,
    id: (label) => member(label).memberId,
    wallet,
    ctx: (who) => ({ wallet: wallet(who), chainId: node.chainId }),
    nodeKey: (org) => consortium.orgs.get(org)!.node.privateKey,
    async commit(tx) {
      const r = await node.submit(tx);
      const rec = await node.waitForReceipt(r.txId, 10_000);
      if (!rec) throw new Error(`transaction ${tx.body.type} not committed in time`);
      await feed.synced(rec.height); // its events are in `events`
      return rec;
    },
    events,
    async cleanup() {
      await node.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const enrolls = consortium.members.map((m) =>
    wallet(`org:${m.spec.org}`).tx({
      chainId: node.chainId,
      type: 'registry.enroll',
      payload: { certificate: toB64u(m.certificate), encryptionKey: toB64u(m.encryption.publicKey) },
      createdAt: Date.now(),
    }),
  );
  for (const r of await node.submitBatch(enrolls)) {
    if (r.status === 'rejected') throw new Error(r.error.message);
    if ((await node.waitForReceipt(r.txId, 10_000))?.code !== 'OK') throw new Error('enrollment failed');
  }
  const team = await t.commit(
    wallet('bob').tx({
      chainId: node.chainId,
      type: 'patient.careteam',
      payload: { add: [t.id('dr-gp'), t.id('dr-baker'), t.id('dr-chen')], remove: [] },
      createdAt: Date.now(),
    }),
  );
  if (team.code !== 'OK') throw new Error(`care team: ${team.code}`);
  return t;
}

/** A consent grant by bob, valid for a day. */
export function grant(
  t: ConfidentialLedger,
  grantId: string,
  grantee: { [k: string]: JsonValue },
  scope: { [k: string]: JsonValue },
  purposes: string[],
  extra: { [k: string]: JsonValue } = {},
): SignedTx {
  const now = Date.now();
  return t.wallet('bob').txFromJson({
    chainId: t.node.chainId,
    type: 'consent.grant',
    payload: {
      grantId,
      grantee,
      scope,
      purposes,
      notBefore: now - 60_000,
      notAfter: now + 86_400_000,
      ...extra,
    },
    createdAt: now,
  });
}

/** A GET of `path` at `base`, signed by the member `label` for this node (client/auth.ts). */
export function signedGet(
  t: ConfidentialLedger,
  label: string,
  base: string,
  path: string,
): Promise<Response> {
  const header = signRequest({
    signerId: t.id(label),
    privateKey: t.member(label).keys.privateKey,
    method: 'GET',
    path,
    ts: Date.now(),
    audience: { chainId: t.node.chainId, node: t.node.org },
  });
  return fetch(`${base}${path}`, { headers: { [AUTH_HEADER]: header } });
}
