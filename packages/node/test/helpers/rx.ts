/**
 * Test world of prescriptions, track and trace, and payments: a consortium with a hospital and
 * a clinic (prescribers, a patient), two pharmacies, a manufacturer, a distributor, a
 * regulator and two insurers; one real node (the hospital's) on a SQLite file in a temp dir,
 * the fastify server with the pharmacy, supply and payments routes on a loopback port, and the
 * node services of the pharmacies (their X25519 keys), of the regulator (its X25519 key and
 * link key) and the supply index. Every member is enrolled with an encryption key, and the
 * pharmacies' and the regulator's node keys are published.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  generateEncryptionKeyPair,
  toB64u,
  type EncryptionKeyPair,
  type JsonValue,
  type P256KeyPair,
} from '@medledger/crypto';
import { generateRxLinkKey } from '@medledger/crypto/rxlink';
import {
  MedledgerHttpError,
  PaymentsClient,
  createPrescriptionKey,
  medicationRequest,
  nodeEncryptionKey,
  prescriptionTx,
  signPharmacyChoice,
  PharmacyClient,
  SupplyClient,
  Wallet,
  httpLedgerSource,
  type LedgerSource,
  type Receipt,
  type TxContext,
} from '@medledger/client';
import type { SignedTx } from '@medledger/core';
import type { FastifyInstance } from 'fastify';
import {
  MedledgerNode,
  RequestAuthenticator,
  buildServer,
  createConsortium,
  type Consortium,
  type MemberMaterial,
} from '../../src/index.js';
import { PharmacyService } from '../../src/pharmacy/pharmacyService.js';
import { RegulatorService } from '../../src/pharmacy/regulatorService.js';
import { SupplyIndex } from '../../src/supply/supplyIndex.js';
import { pharmacyRoutes } from '../../src/api/routes/pharmacy.js';
import { supplyRoutes } from '../../src/api/routes/supply.js';
import { paymentsRoutes } from '../../src/api/routes/payments.js';
import { confidentialityRoutes } from '../../src/api/routes/confidentiality.js';
import { AccessLogBatcher } from '../../src/records/accessLogBatcher.js';
import { accessLogReadLog } from '../../src/records/readLog.js';

export const ORGS = [
  { id: 'hospital', name: 'Hospital', role: 'cdo' },
  { id: 'clinic', name: 'Clinic', role: 'cdo' },
  { id: 'pharmacy1', name: 'Pharmacy 1', role: 'pharmacy' },
  { id: 'pharmacy2', name: 'Pharmacy 2', role: 'pharmacy' },
  { id: 'pharma', name: 'Manufacturer', role: 'manufacturer' },
  { id: 'wholesale', name: 'Distributor', role: 'distributor' },
  { id: 'regulator', name: 'Regulator', role: 'regulator' },
  { id: 'insurer', name: 'Insurer', role: 'insurer' },
  { id: 'insurer2', name: 'Other insurer', role: 'insurer' },
] as const;

export const MEMBERS = [
  { label: 'pat', org: 'hospital', role: 'patient', commonName: 'patient-7f3a' },
  { label: 'pat2', org: 'clinic', role: 'patient', commonName: 'patient-91c2' },
  { label: 'drA', org: 'hospital', role: 'doctor' },
  { label: 'drA2', org: 'hospital', role: 'doctor' },
  { label: 'drB', org: 'clinic', role: 'doctor' },
  { label: 'billing', org: 'hospital', role: 'billing' },
  { label: 'ph1', org: 'pharmacy1', role: 'pharmacist' },
  { label: 'ph2', org: 'pharmacy2', role: 'pharmacist' },
  { label: 'mfr', org: 'pharma', role: 'staff' },
  { label: 'dist', org: 'wholesale', role: 'staff' },
  { label: 'officer', org: 'regulator', role: 'officer' },
  { label: 'claims', org: 'insurer', role: 'insurer' },
  { label: 'claims2', org: 'insurer2', role: 'insurer' },
] as const;
export type Label = (typeof MEMBERS)[number]['label'];

export interface RxWorld {
  dir: string;
  url: string;
  consortium: Consortium;
  node: MedledgerNode;
  pharmacies: PharmacyService[];
  regulator: RegulatorService;
  supply: SupplyIndex;
  /** Encryption key pairs of the node services (pharmacies, regulator). */
  nodeEnc: Record<'pharmacy1' | 'pharmacy2' | 'regulator', EncryptionKeyPair>;
  linkKey: Uint8Array;
  member(label: Label): MemberMaterial;
  id(label: Label): string;
  wallet(label: Label): Wallet;
  ctx(label: Label): TxContext;
  nodeCtx(org: string): TxContext;
  source(label: Label): LedgerSource;
  pharmacy(label: Label): PharmacyClient;
  supplyApi(label?: Label): SupplyClient;
  payments(label: Label): PaymentsClient;
  /** Submits over HTTP and waits for the receipt. */
  commit(tx: SignedTx): Promise<Receipt>;
  cleanup(): Promise<void>;
}

export async function makeRxWorld(o: { windowMs?: number } = {}): Promise<RxWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'medledger-rx-'));
  const consortium = await createConsortium({
    chainName: 'rx-test',
    genesisTime: Date.now() - 60_000,
    orgs: ORGS.map((x) => ({ ...x })),
    members: MEMBERS.map((x) => ({ ...x })),
    ordering: { maxTxs: 500, maxBytes: 1 << 22, timeoutMs: 5 },
  });
  const node = await MedledgerNode.open({
    ledgerPath: join(dir, 'ledger.sqlite'),
    genesis: consortium.genesis,
    org: 'hospital',
    nodeKey: consortium.orgs.get('hospital')!.node.privateKey,
    sigWorkers: 1,
  });
  const nodeKey = (org: string): Uint8Array => consortium.orgs.get(org)!.node.privateKey;
  const nodeEnc = {
    pharmacy1: generateEncryptionKeyPair(),
    pharmacy2: generateEncryptionKeyPair(),
    regulator: generateEncryptionKeyPair(),
  };
  const linkKey = generateRxLinkKey();
  const member = (l: Label): MemberMaterial => consortium.members.find((m) => m.spec.label === l)!;
  const pharmacies = (['pharmacy1', 'pharmacy2'] as const).map(
    (org) => new PharmacyService({ node, org, nodeKey: nodeKey(org), encryption: nodeEnc[org] }),
  );
  const regulator = new RegulatorService({
    node,
    org: 'regulator',
    nodeKey: nodeKey('regulator'),
    encryption: nodeEnc.regulator,
    linkKey,
    officers: [member('officer').memberId],
    ...(o.windowMs === undefined ? {} : { windowMs: o.windowMs }),
  });
  const supply = new SupplyIndex(node).start();
  const auth = new RequestAuthenticator(node);
  const accessLog = new AccessLogBatcher({ node, nodeKey: nodeKey('hospital') });
  await accessLog.start();
  const app: FastifyInstance = buildServer(node, {
    auth,
    readLog: accessLogReadLog(accessLog, node.store),
    plugins: [
      pharmacyRoutes({ auth, pharmacies, regulator }),
      supplyRoutes({ auth, index: supply }),
      paymentsRoutes({ auth }),
      confidentialityRoutes({}),
    ],
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const wallet = (l: Label): Wallet =>
    new Wallet({ signerId: member(l).memberId, privateKey: member(l).keys.privateKey });
  const signer = (l: Label) => ({ signerId: member(l).memberId, privateKey: member(l).keys.privateKey });
  const ledger = new PharmacyClient(url);
  const w: RxWorld = {
    dir,
    url,
    consortium,
    node,
    pharmacies,
    regulator,
    supply,
    nodeEnc,
    linkKey,
    member,
    id: (l) => member(l).memberId,
    wallet,
    ctx: (l) => ({ wallet: wallet(l), chainId: node.chainId }),
    nodeCtx: (org) => ({
      wallet: new Wallet({ signerId: `node:${org}`, privateKey: nodeKey(org) }),
      chainId: node.chainId,
    }),
    source: (l) => httpLedgerSource(url, signer(l)),
    pharmacy: (l) => new PharmacyClient(url, signer(l)),
    supplyApi: (l) => new SupplyClient(url, l === undefined ? undefined : signer(l)),
    payments: (l) => new PaymentsClient(url, signer(l)),
    commit: (tx) => ledger.submit(tx),
    async cleanup() {
      regulator.close();
      supply.close();
      await app.close();
      await accessLog.close();
      await node.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const enroll = consortium.members.map((m) =>
    new Wallet({
      signerId: `org:${m.spec.org}`,
      privateKey: consortium.orgs.get(m.spec.org)!.root.privateKey,
    }).tx({
      chainId: node.chainId,
      type: 'registry.enroll',
      payload: { certificate: toB64u(m.certificate), encryptionKey: toB64u(m.encryption.publicKey) },
      createdAt: Date.now(),
    }),
  );
  for (const tx of [...enroll, ...pharmacies.map((p) => p.publishKeyTx()), regulator.publishKeyTx()]) {
    const r = await w.commit(tx);
    if (r.code !== 'OK') throw new Error(`setup: ${tx.body.type} ${r.code} ${r.message ?? ''}`);
  }
  regulator.start();
  return w;
}

/** A predicate for `assert.rejects`: the API refused with this code. */
export const httpCode =
  (code: string) =>
  (e: unknown): boolean =>
    e instanceof MedledgerHttpError && e.code === code;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until `f` holds (or fails the test after ~5 s). */
export async function until(f: () => boolean | Promise<boolean>, what = 'condition'): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await f()) return;
    await sleep(10);
  }
  throw new Error(`${what} not reached in time`);
}

export type Json = { [k: string]: JsonValue };

export const OXYCODONE = {
  system: 'http://www.nlm.nih.gov/research/umls/rxnorm',
  code: '1049621',
  display: 'oxycodone hydrochloride 5 MG Oral Tablet',
};
export const AMOXICILLIN = {
  system: 'http://www.nlm.nih.gov/research/umls/rxnorm',
  code: '308182',
  display: 'amoxicillin 250 MG Oral Capsule',
};

/** What `prescribe` made: the receipt, the request and salt (the patient's copy) and the patient's key. */
export interface Prescribed {
  rxId: string;
  receipt: Receipt;
  request: Json;
  salt: string;
  patientKey: P256KeyPair;
}

/**
 * The whole prescribing flow: the patient's device makes the per-prescription key and signs the
 * pharmacy choice; the prescriber seals the MedicationRequest and submits through its node.
 */
export async function prescribe(
  w: RxWorld,
  o: {
    rxId: string;
    by: 'drA' | 'drA2' | 'drB';
    patient?: 'pat' | 'pat2';
    pharmacy?: 'pharmacy1' | 'pharmacy2';
    quantity: number;
    refills?: number;
    validMs?: number;
    controlled?: boolean;
  },
): Promise<Prescribed> {
  const patient = o.patient ?? 'pat';
  const pharmacy = o.pharmacy ?? 'pharmacy1';
  const patientKey = createPrescriptionKey();
  const choice = signPharmacyChoice(w.node.chainId, patientKey, { rxId: o.rxId, pharmacy, seq: 0 });
  const now = Date.now();
  const expiresAt = now + (o.validMs ?? 30 * 86_400_000);
  const refills = o.refills ?? 0;
  const request = medicationRequest({
    rxId: o.rxId,
    patient: w.id(patient),
    prescriber: w.id(o.by),
    medication: o.controlled ? OXYCODONE : AMOXICILLIN,
    dosage: '1 tablet every 6 hours if needed',
    quantity: o.quantity,
    unit: 'tablet',
    refills,
    authoredOn: now,
    expiresAt,
  });
  const src = w.source(o.by);
  const { tx, salt } = await prescriptionTx(w.ctx(o.by), {
    rxId: o.rxId,
    request,
    pharmacy,
    pharmacyKey: await nodeEncryptionKey(src, pharmacy),
    patientEncryptionKey: w.member(patient).encryption.publicKey,
    patientKey: patientKey.publicKey,
    choice,
    quantity: o.quantity,
    refills,
    expiresAt,
    ...(o.controlled
      ? {
          controlled: {
            regulator: 'regulator',
            regulatorKey: await nodeEncryptionKey(src, 'regulator'),
            patientId: w.id(patient),
          },
        }
      : {}),
  });
  const r = await w.pharmacy(o.by).submitPrescription({ tx, request, salt });
  return { rxId: o.rxId, receipt: r.receipt, request, salt, patientKey };
}
