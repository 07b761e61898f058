/**
 * Test world for record sharing: the survey's §4.1 cast on a real node (hospital A's) with a
 * real SQLite ledger, SQLite EHR store and vault in a temp dir, the record routes served over
 * HTTP on a loopback port, and one RecordsClient per member.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importP256PrivateKey, randomBytes, toB64u, type JsonValue } from '@medledger/crypto';
import { MedledgerHttpError, Wallet } from '@medledger/client';
import { RecordsClient, RecordsError } from '@medledger/client';
import type { FastifyInstance } from 'fastify';
import {
  CheckpointService,
  MedledgerNode,
  RequestAuthenticator,
  buildServer,
  createConsortium,
  openSqliteEhrStore,
  type Consortium,
  type EhrStore,
  type ServerPlugin,
} from '../../src/index.js';
import { ReleaseKeyVault } from '../../src/records/vault.js';
import { RecordServices } from '../../src/records/services.js';
import { recordRoutes } from '../../src/api/routes/records.js';

export const LABELS = ['bob', 'gp', 'alice', 'outsider', 'baker', 'chen', 'claims', 'researcher'] as const;
export type Label = (typeof LABELS)[number];

export interface RecordsWorld {
  dir: string;
  url: string;
  consortium: Consortium;
  node: MedledgerNode;
  services: RecordServices;
  ehr: EhrStore;
  vault: ReleaseKeyVault;
  masterKey: Uint8Array;
  ehrPath: string;
  id: Record<Label, string>;
  c: Record<Label, RecordsClient>;
  cleanup(): Promise<void>;
}

/** Creates the world; bob's care team is gp, alice, baker, chen. */
export async function makeRecordsWorld(
  o: {
    decisionTtlMs?: number;
    pendingTtlMs?: number;
    /** More route plugins (e.g. the FHIR facade), given the node, its services and the authenticator. */
    plugins?: (node: MedledgerNode, services: RecordServices, auth: RequestAuthenticator) => ServerPlugin[];
  } = {},
): Promise<RecordsWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'medledger-records-'));
  const consortium = await createConsortium({
    chainName: 'records-test',
    genesisTime: Date.now() - 60_000,
    orgs: [
      { id: 'hospitalA', name: 'Hospital A', role: 'cdo' },
      { id: 'hospitalB', name: 'Hospital B', role: 'cdo' },
      { id: 'gpclinic', name: 'GP clinic', role: 'cdo' },
      { id: 'insurer', name: 'Insurer', role: 'insurer' },
      { id: 'institute', name: 'Institute', role: 'research' },
    ],
    members: [
      { label: 'bob', org: 'gpclinic', role: 'patient', commonName: 'patient-7f3a' },
      { label: 'gp', org: 'gpclinic', role: 'doctor' },
      { label: 'alice', org: 'hospitalA', role: 'doctor' },
      { label: 'outsider', org: 'hospitalA', role: 'doctor' },
      { label: 'baker', org: 'hospitalB', role: 'doctor' },
      { label: 'chen', org: 'hospitalB', role: 'doctor' },
      { label: 'claims', org: 'insurer', role: 'insurer' },
      { label: 'researcher', org: 'institute', role: 'researcher' },
    ],
    ordering: { maxTxs: 500, maxBytes: 1 << 22, timeoutMs: 5 },
    // One node: its checkpoints alone make a block final for the light client.
    nodeOrgs: ['hospitalA'],
  });
  const node = await MedledgerNode.open({
    ledgerPath: join(dir, 'ledger.sqlite'),
    genesis: consortium.genesis,
    org: 'hospitalA',
    nodeKey: consortium.orgs.get('hospitalA')!.node.privateKey,
    sigWorkers: 1,
  });
  const masterKey = randomBytes(32);
  const ehrPath = join(dir, 'ehr.sqlite');
  const ehr = openSqliteEhrStore({ path: ehrPath, masterKey });
  const vault = ReleaseKeyVault.open({ path: join(dir, 'vault.sqlite'), masterKey });
  const services = new RecordServices({
    node,
    org: 'hospitalA',
    nodeKey: consortium.orgs.get('hospitalA')!.node.privateKey,
    ehr,
    vault,
    indexPath: join(dir, 'records-index.sqlite'),
    logFlushMs: 20,
    ...(o.decisionTtlMs === undefined ? {} : { decisionTtlMs: o.decisionTtlMs }),
    ...(o.pendingTtlMs === undefined ? {} : { pendingTtlMs: o.pendingTtlMs }),
  });
  await services.start();
  const checkpoints = new CheckpointService({
    node,
    nodeKey: importP256PrivateKey(consortium.orgs.get('hospitalA')!.node.privateKey),
    dbPath: join(dir, 'checkpoints.sqlite'),
  }).start();
  const auth = new RequestAuthenticator(node);
  const app: FastifyInstance = buildServer(node, {
    checkpoints,
    auth,
    plugins: [recordRoutes(services, auth), ...(o.plugins?.(node, services, auth) ?? [])],
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });

  const member = (l: Label) => consortium.members.find((m) => m.spec.label === l)!;
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
  for (const r of await node.submitBatch(enroll)) {
    if (r.status === 'rejected') throw new Error(r.error.message);
    if ((await node.waitForReceipt(r.txId, 10_000))?.code !== 'OK') throw new Error('enrollment failed');
  }
  const id = Object.fromEntries(LABELS.map((l) => [l, member(l).memberId])) as Record<Label, string>;
  const c = Object.fromEntries(
    LABELS.map((l) => [
      l,
      new RecordsClient({
        baseUrl: url,
        signerId: id[l],
        privateKey: member(l).keys.privateKey,
        encryptionKey: member(l).encryption.privateKey,
        waitMs: 10_000,
      }),
    ]),
  ) as Record<Label, RecordsClient>;
  await c.bob.setCareTeam([id.gp, id.alice, id.baker, id.chen]);
  return {
    dir,
    url,
    consortium,
    node,
    services,
    ehr,
    vault,
    masterKey,
    ehrPath,
    id,
    c,
    async cleanup() {
      await app.close();
      auth.close();
      await services.close();
      await checkpoints.close();
      await node.close();
      await ehr.close();
      vault.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A valid FHIR Observation for `subject` (lab unless `category` codes say otherwise). */
export function observation(subject: string, value = 5.4, lab = true): { [k: string]: JsonValue } {
  return {
    resourceType: 'Observation',
    id: `obs-${Math.floor(value * 10)}`,
    identifier: [
      { system: 'https://hospital-a.example/accession', value: `ACC-${Math.floor(value * 1000)}` },
    ],
    status: 'final',
    ...(lab
      ? {
          category: [
            {
              coding: [
                { system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' },
              ],
            },
          ],
        }
      : {}),
    code: { coding: [{ system: 'http://loinc.org', code: '2345-7', display: 'Glucose' }] },
    subject: { reference: `Patient/${subject}` },
    encounter: { reference: 'Encounter/enc-42' },
    performer: [{ reference: 'Practitioner/alice', display: 'Dr Alice' }],
    effectiveDateTime: '2025-03-01T10:00:00Z',
    valueQuantity: { value, unit: 'mmol/L' },
  };
}

/** A valid FHIR Condition (category clinical). */
export function condition(subject: string, text = 'gastric cancer'): { [k: string]: JsonValue } {
  return {
    resourceType: 'Condition',
    code: { text },
    subject: { reference: `Patient/${subject}` },
    recorder: { reference: 'Practitioner/alice' },
    recordedDate: '2025-03-02',
  };
}

/** Sleeps `ms`. */
/** A predicate for `assert.rejects`: the SDK or the API refused with this error code. */
export const isCode =
  (code: string) =>
  (e: unknown): boolean =>
    (e instanceof RecordsError || e instanceof MedledgerHttpError) && e.code === code;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
