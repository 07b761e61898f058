/**
 * An in-process federated-learning consortium on a real node: hospitals that each hold their
 * share of the WDBC samples as SPV records in their own SQLite EHR store, a research institute
 * whose researcher opens studies and whose node aggregates, patients who enrol, name their
 * doctor and consent (or not) to research, the HTTP API with the fl routes, and a running
 * participant per hospital. Used by the integration tests, `medledger bench fl` and the CLI's
 * tests. One ledger node serves every organization here (block sync between nodes is not part
 * of medledger yet); each hospital's service still holds only its own node key and EHR store.
 */
import { join } from 'node:path';
import { randomBytes, toB64u, type JsonValue } from '@medledger/crypto';
import { Wallet, openStudyTx } from '@medledger/client';
import type { SignedTx, TxType } from '@medledger/core';
import type { FlStudySpec } from '@medledger/core/contracts/fl';
import type { FastifyInstance } from 'fastify';
import { createConsortium, type Consortium, type MemberMaterial } from '../consortium.js';
import { MedledgerNode, type Receipt } from '../node.js';
import { buildServer } from '../api/server.js';
import { RequestAuthenticator } from '../api/auth.js';
import { flRoutes } from '../api/routes/fl.js';
import { openSqliteEhrStore } from '../ehr/sqlite.js';
import type { EhrStore } from '../ehr/types.js';
import { FlAggregator } from './aggregator.js';
import { importWdbcRecords } from './importRecords.js';
import { nodeFlLedger, type FlLedger } from './ledger.js';
import { FlParticipant } from './participant.js';
import { WDBC_CODE, type WdbcRow } from './wdbc.js';

export const DEMO_INSTITUTE = 'institute';

export interface FlDemoOptions {
  /** Directory for the ledger and the EHR stores (the caller removes it). */
  dir: string;
  /** Each hospital's samples (the map's keys are the hospitals' organization ids). */
  rows: ReadonlyMap<string, readonly WdbcRow[]>;
  /** Which patients grant research consent to the institute (default: all). */
  consents?: (row: WdbcRow) => boolean;
  /** Block cut timeout of the solo orderer (default 5 ms). */
  timeoutMs?: number;
  /** Wraps a hospital's view of the ledger (tests inject faults here). */
  ledgerFor?: (org: string, ledger: FlLedger) => FlLedger;
  /** Start the participants (default true). */
  startParticipants?: boolean;
  /** Participants join every study that names them (default true); otherwise `study join`. */
  autoJoin?: boolean;
}

export interface FlDemo {
  dir: string;
  consortium: Consortium;
  node: MedledgerNode;
  url: string;
  ledger: FlLedger;
  hospitals: string[];
  ehr: Map<string, EhrStore>;
  participants: Map<string, FlParticipant>;
  aggregator: FlAggregator;
  researcher: MemberMaterial;
  /** The patient member of a sample, by row index. */
  patientOf(index: number): MemberMaterial;
  /** A wallet for a member label, `org:<id>` or `node:<id>`. */
  wallet(who: string): Wallet;
  /** Submits a transaction and waits for its receipt. */
  commit(tx: SignedTx): Promise<Receipt>;
  /** A study specification over the hospitals, with overrides. */
  spec(over?: Partial<FlStudySpec>): FlStudySpec;
  /** Opens a study as the institute's researcher. */
  openStudy(spec: FlStudySpec): Promise<Receipt>;
  /** Resolves once `test()` holds after a committed block (or at once). */
  until(test: () => boolean, timeoutMs?: number, what?: string): Promise<void>;
  close(): Promise<void>;
}

const YEAR = 365 * 86_400_000;

async function commitAll(node: MedledgerNode, txs: readonly SignedTx[], what: string): Promise<void> {
  for (let i = 0; i < txs.length; i += 1000) {
    const results = await node.submitBatch(txs.slice(i, i + 1000));
    const ids = results.map((r) => {
      if (r.status === 'rejected') throw new Error(`${what}: ${r.error.code} ${r.error.message}`);
      return r.txId;
    });
    for (const rec of await node.waitForReceipts(ids, 60_000))
      if (rec?.code !== 'OK')
        throw new Error(`${what}: ${rec?.code ?? 'not committed'} ${rec?.message ?? ''}`);
  }
}

/** Starts the consortium, loads the samples and consents, and starts the fl services. */
export async function startFlDemo(o: FlDemoOptions): Promise<FlDemo> {
  const hospitals = [...o.rows.keys()].sort();
  const patients = [...o.rows.entries()].flatMap(([org, rows]) =>
    rows.map((r) => ({ label: `patient-${r.index}`, org, role: 'patient', commonName: `p-${r.index}` })),
  );
  const consortium = await createConsortium({
    chainName: 'fl-demo',
    genesisTime: Date.now() - 60_000,
    orgs: [
      ...hospitals.map((id) => ({ id, name: `Hospital ${id}`, role: 'cdo' as const })),
      { id: DEMO_INSTITUTE, name: 'Research institute', role: 'research' as const },
    ],
    members: [
      ...hospitals.map((org) => ({ label: `dr-${org}`, org, role: 'doctor' })),
      { label: 'researcher', org: DEMO_INSTITUTE, role: 'researcher' },
      ...patients,
    ],
    ordering: { maxTxs: 1000, maxBytes: 1 << 23, timeoutMs: o.timeoutMs ?? 5 },
  });
  const node = await MedledgerNode.open({
    ledgerPath: join(o.dir, 'ledger.sqlite'),
    genesis: consortium.genesis,
    org: DEMO_INSTITUTE,
    nodeKey: consortium.orgs.get(DEMO_INSTITUTE)!.node.privateKey,
    sigWorkers: 1,
  });
  const byLabel = new Map(consortium.members.map((m) => [m.spec.label, m]));
  const member = (label: string): MemberMaterial => {
    const m = byLabel.get(label);
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
  const tx = (who: string, type: TxType, payload: { [k: string]: JsonValue }): SignedTx =>
    wallet(who).txFromJson({ chainId: node.chainId, type, payload, createdAt: Date.now() });

  const ehr = new Map<string, EhrStore>();
  const participants = new Map<string, FlParticipant>();
  let aggregator: FlAggregator | undefined;
  let app: FastifyInstance | undefined;
  const close = async (): Promise<void> => {
    await Promise.all([...participants.values()].map((p) => p.stop()));
    await aggregator?.stop();
    await app?.close();
    await node.close();
    for (const s of ehr.values()) await s.close();
  };
  try {
    await commitAll(
      node,
      consortium.members.map((m) =>
        tx(`org:${m.spec.org}`, 'registry.enroll', {
          certificate: toB64u(m.certificate),
          encryptionKey: toB64u(m.encryption.publicKey),
        }),
      ),
      'enrolment',
    );
    await commitAll(
      node,
      patients.map((p) =>
        tx(p.label, 'patient.careteam', { add: [member(`dr-${p.org}`).memberId], remove: [] }),
      ),
      'care teams',
    );
    for (const org of hospitals) {
      const store = openSqliteEhrStore({
        path: join(o.dir, `ehr-${org}.sqlite`),
        masterKey: randomBytes(32),
      });
      ehr.set(org, store);
      const { txs } = await importWdbcRecords({
        ehr: store,
        org,
        chainId: node.chainId,
        doctor: wallet(`dr-${org}`),
        items: (o.rows.get(org) ?? []).map((row) => ({
          row,
          patient: member(`patient-${row.index}`).memberId,
          subject: `p-${row.index}`,
        })),
      });
      await commitAll(node, txs, `records of ${org}`);
    }
    const consents = o.consents ?? (() => true);
    const now = Date.now();
    await commitAll(
      node,
      [...o.rows.values()]
        .flat()
        .filter(consents)
        .map((row) =>
          tx(`patient-${row.index}`, 'consent.grant', {
            grantId: `research-${row.index}`,
            grantee: { kind: 'org', org: DEMO_INSTITUTE },
            scope: { categories: ['lab'], resourceTypes: ['Observation'] },
            purposes: ['research'],
            notBefore: now - 60_000,
            notAfter: now + YEAR,
          }),
        ),
      'consents',
    );
    const auth = new RequestAuthenticator(node);
    app = buildServer(node, { auth, plugins: [flRoutes(auth)] });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const ledger = nodeFlLedger(node);
    for (const org of hospitals) {
      const p = new FlParticipant({
        ledger: o.ledgerFor ? o.ledgerFor(org, ledger) : ledger,
        org,
        nodeKey: consortium.orgs.get(org)!.node.privateKey,
        ehr: ehr.get(org)!,
        autoJoin: o.autoJoin ?? true,
      });
      participants.set(org, p);
      if (o.startParticipants !== false) p.start();
    }
    aggregator = new FlAggregator({
      ledger,
      org: DEMO_INSTITUTE,
      nodeKey: consortium.orgs.get(DEMO_INSTITUTE)!.node.privateKey,
      tickMs: 50,
      retryMs: 500,
    }).start();
    const researcher = member('researcher');
    const demo: FlDemo = {
      dir: o.dir,
      consortium,
      node,
      url,
      ledger,
      hospitals,
      ehr,
      participants,
      aggregator,
      researcher,
      patientOf: (index) => member(`patient-${index}`),
      wallet,
      async commit(t) {
        const r = await node.submit(t);
        const rec = await node.waitForReceipt(r.txId, 30_000);
        if (!rec) throw new Error(`${t.body.type} not committed in time`);
        return rec;
      },
      spec: (over = {}) => ({
        studyId: 'wdbc-study',
        title: 'Breast mass malignancy from FNA nuclear features',
        model: { kind: 'logreg', features: 30 },
        hyper: { rounds: 20, localEpochs: 5, learningRate: 0.5, l2: 0.001 },
        selection: { resourceType: 'Observation', category: 'lab', code: WDBC_CODE },
        participants: hospitals,
        threshold: Math.max(2, hospitals.length - 1),
        aggregator: DEMO_INSTITUTE,
        phaseMs: 2000,
        joinMs: 60_000,
        ...over,
      }),
      openStudy: (spec) =>
        demo.commit(openStudyTx({ wallet: wallet('researcher'), chainId: node.chainId }, spec)),
      until(test, timeoutMs = 30_000, what = 'condition') {
        return new Promise((resolve, reject) => {
          if (test()) return resolve();
          const timer = setTimeout(() => {
            node.off('block', check);
            reject(new Error(`timed out waiting for ${what}`));
          }, timeoutMs);
          const check = (): void => {
            if (!test()) return;
            clearTimeout(timer);
            node.off('block', check);
            resolve();
          };
          node.on('block', check);
        });
      },
      close,
    };
    return demo;
  } catch (e) {
    await close();
    throw e;
  }
}
