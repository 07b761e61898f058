/**
 * The consortium of `medledger demo pharmacy` and `medledger demo payments`, built with
 * `createConsortium` (not the `init --dev` data directory): a hospital and a clinic (the
 * prescribers, the patient Ana), two pharmacies, a manufacturer, a distributor, a regulator
 * and two insurers. One node — the hospital's — on a real SQLite file in a temporary
 * directory, with the fastify server on a loopback port. The services of the other
 * organizations' nodes (the pharmacies' and the regulator's X25519 keys, the regulator's link
 * key, the hospital's custody of Ana's HE key) run beside it in this process, each with its own
 * keys; every party acts through the HTTP API with its own member key.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateEncryptionKeyPair, toB64u, type EncryptionKeyPair } from '@medledger/crypto';
import { generateRxLinkKey } from '@medledger/crypto/rxlink';
import {
  PaymentsClient,
  PharmacyClient,
  SupplyClient,
  Wallet,
  httpLedgerSource,
  type LedgerSource,
  type Receipt,
  type TxContext,
} from '@medledger/client';
import type { SignedTx } from '@medledger/core';
import {
  MedledgerNode,
  RequestAuthenticator,
  buildServer,
  createConsortium,
  verifyLedger,
  type Consortium,
  type MemberMaterial,
  type VerifyReport,
} from '@medledger/node';
import { PharmacyService } from '@medledger/node';
import { RegulatorService } from '@medledger/node';
import { SupplyIndex } from '@medledger/node';
import { pharmacyRoutes } from '@medledger/node';
import { supplyRoutes } from '@medledger/node';
import { paymentsRoutes } from '@medledger/node';
import { confidentialityRoutes } from '@medledger/node';
import { AccessLogBatcher } from '@medledger/node';
import { accessLogReadLog } from '@medledger/node';

const ORGS = [
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

const MEMBERS = [
  { label: 'ana', org: 'hospital', role: 'patient', commonName: 'patient-4c1d' },
  { label: 'dr-a', org: 'hospital', role: 'doctor' },
  { label: 'dr-b', org: 'clinic', role: 'doctor' },
  { label: 'billing', org: 'hospital', role: 'billing' },
  { label: 'pharmacist-1', org: 'pharmacy1', role: 'pharmacist' },
  { label: 'pharmacist-2', org: 'pharmacy2', role: 'pharmacist' },
  { label: 'maker', org: 'pharma', role: 'staff' },
  { label: 'shipper', org: 'wholesale', role: 'staff' },
  { label: 'inspector', org: 'regulator', role: 'officer' },
  { label: 'claims', org: 'insurer', role: 'insurer' },
  { label: 'claims-2', org: 'insurer2', role: 'insurer' },
] as const;
export type DemoLabel = (typeof MEMBERS)[number]['label'];

export interface DemoConsortium {
  dir: string;
  url: string;
  consortium: Consortium;
  node: MedledgerNode;
  regulator: RegulatorService;
  supplyIndex: SupplyIndex;
  linkKey: Uint8Array;
  member(label: DemoLabel): MemberMaterial;
  id(label: DemoLabel): string;
  wallet(label: DemoLabel): Wallet;
  ctx(label: DemoLabel): TxContext;
  nodeKey(org: string): Uint8Array;
  source(label: DemoLabel): LedgerSource;
  pharmacy(label: DemoLabel): PharmacyClient;
  supply(label?: DemoLabel): SupplyClient;
  payments(label: DemoLabel): PaymentsClient;
  /** Submits over HTTP and waits for the receipt. */
  commit(tx: SignedTx): Promise<Receipt>;
  /** Stops the services, the server and the node (idempotent). */
  close(): Promise<void>;
  /** Re-checks every stored block, as `medledger verify` does (after `close`). */
  verify(): Promise<VerifyReport>;
  /** Removes the temporary directory (after close). */
  remove(): void;
}

export async function openDemoConsortium(o: { windowMs?: number } = {}): Promise<DemoConsortium> {
  const dir = mkdtempSync(join(tmpdir(), 'medledger-demo-'));
  const consortium = await createConsortium({
    chainName: 'medledger-demo-rx',
    genesisTime: Date.now() - 60_000,
    orgs: ORGS.map((x) => ({ ...x })),
    members: MEMBERS.map((x) => ({ ...x })),
    ordering: { maxTxs: 500, maxBytes: 1 << 22, timeoutMs: 5 },
  });
  const nodeKey = (org: string): Uint8Array => consortium.orgs.get(org)!.node.privateKey;
  const node = await MedledgerNode.open({
    ledgerPath: join(dir, 'ledger.sqlite'),
    genesis: consortium.genesis,
    org: 'hospital',
    nodeKey: nodeKey('hospital'),
    sigWorkers: 1,
  });
  const enc: Record<string, EncryptionKeyPair> = {};
  for (const org of ['pharmacy1', 'pharmacy2', 'regulator']) enc[org] = generateEncryptionKeyPair();
  const member = (l: DemoLabel): MemberMaterial => consortium.members.find((m) => m.spec.label === l)!;
  const pharmacies = ['pharmacy1', 'pharmacy2'].map(
    (org) => new PharmacyService({ node, org, nodeKey: nodeKey(org), encryption: enc[org]! }),
  );
  const linkKey = generateRxLinkKey();
  const regulator = new RegulatorService({
    node,
    org: 'regulator',
    nodeKey: nodeKey('regulator'),
    encryption: enc.regulator!,
    linkKey,
    officers: [member('inspector').memberId],
    ...(o.windowMs === undefined ? {} : { windowMs: o.windowMs }),
  });
  const supplyIndex = new SupplyIndex(node).start();
  const auth = new RequestAuthenticator(node);
  // Reads of patient data (state values, confidentiality routes) are logged on the ledger.
  const accessLog = new AccessLogBatcher({ node, nodeKey: nodeKey('hospital') });
  await accessLog.start();
  const app = buildServer(node, {
    auth,
    readLog: accessLogReadLog(accessLog, node.store),
    plugins: [
      pharmacyRoutes({ auth, pharmacies, regulator }),
      supplyRoutes({ auth, index: supplyIndex }),
      paymentsRoutes({ auth }),
      confidentialityRoutes({}),
    ],
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const wallet = (l: DemoLabel): Wallet =>
    new Wallet({ signerId: member(l).memberId, privateKey: member(l).keys.privateKey });
  const signer = (l: DemoLabel) => ({ signerId: member(l).memberId, privateKey: member(l).keys.privateKey });
  const plain = new PharmacyClient(url);
  let closed = false;
  const w: DemoConsortium = {
    dir,
    url,
    consortium,
    node,
    regulator,
    supplyIndex,
    linkKey,
    member,
    id: (l) => member(l).memberId,
    wallet,
    ctx: (l) => ({ wallet: wallet(l), chainId: node.chainId }),
    nodeKey,
    source: (l) => httpLedgerSource(url, signer(l)),
    pharmacy: (l) => new PharmacyClient(url, signer(l)),
    supply: (l) => new SupplyClient(url, l === undefined ? undefined : signer(l)),
    payments: (l) => new PaymentsClient(url, signer(l)),
    commit: (tx) => plain.submit(tx),
    async close() {
      if (closed) return;
      closed = true;
      regulator.close();
      supplyIndex.close();
      await app.close();
      await accessLog.close();
      await node.close();
    },
    verify: () => verifyLedger(join(dir, 'ledger.sqlite')),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
  const setup = [
    ...consortium.members.map((m) =>
      new Wallet({
        signerId: `org:${m.spec.org}`,
        privateKey: consortium.orgs.get(m.spec.org)!.root.privateKey,
      }).tx({
        chainId: node.chainId,
        type: 'registry.enroll',
        payload: { certificate: toB64u(m.certificate), encryptionKey: toB64u(m.encryption.publicKey) },
        createdAt: Date.now(),
      }),
    ),
    ...pharmacies.map((p) => p.publishKeyTx()),
    regulator.publishKeyTx(),
  ];
  for (const tx of setup) {
    const r = await w.commit(tx);
    if (r.code !== 'OK') throw new Error(`demo set-up: ${tx.body.type} was refused (${r.code})`);
  }
  regulator.start();
  return w;
}
