/**
 * The node assembles itself from its data directory: the ledger (`MedledgerNode` on
 * `ledger.sqlite`), record sharing (the EHR store — `ehr.sqlite`, or PostgreSQL when
 * node.json has `"ehr": {"kind": "postgres", "url": "postgres://..."}` — the release-key vault
 * `vault.sqlite` and the record indexes `records-index.sqlite`, all keyed by the sealed EHR
 * master key `ehr-master-<org>`), patient notifications (`notify.sqlite`), the emergency
 * re-encryption proxy (its feed cursor in `feed-cursors.sqlite`), the anonymous relay and the
 * HTTP API. The record index, the notifications and the proxy each follow the node's feed of
 * committed blocks from their own durable cursor, so each resumes after a crash. The command
 * line only parses its arguments and calls {@link startNode}.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import {
  encryptionPublicKeyOf,
  generateEncryptionKeyPair,
  randomBytes,
  sealKey,
  toB64u,
} from '@medledger/crypto';
import { getPublishedKeys } from '@medledger/core/contracts/confidentiality';
import { MedledgerNode } from './node.js';
import { importP256PrivateKey } from '@medledger/crypto';
import { activeNode, chainIdOf } from '@medledger/core';
import type { Orderer } from './ordering/orderer.js';
import { EtcdLog } from './ordering/etcdLog.js';
import { EtcdOrderer } from './ordering/etcd.js';
import { PeerSync } from './sync/peerSync.js';
import { CheckpointService } from './checkpoints/service.js';
import { etcdCheckpointTransport } from './checkpoints/etcdTransport.js';
import { consortiumRoutes } from './api/routes/consortium.js';
import { webRoutes } from './api/routes/web.js';
import { serverTransport } from './transport/serverTransport.js';
import {
  loadPrivateKey,
  paths,
  readConfig,
  readGenesis,
  writeKeyFile,
  type NodeConfig,
  type OrdererConfig,
} from './datadir.js';
import type { EhrStore } from './ehr/types.js';
import { CertificateRequestStore } from './enrollment/requests.js';
import { enrollmentRoutes } from './api/routes/enrollment.js';
import { openSqliteEhrStore } from './ehr/sqlite.js';
import { openPostgresEhrStore } from './ehr/postgres.js';
import { ReleaseKeyVault } from './records/vault.js';
import { RecordServices } from './records/services.js';
import { createNotificationHub } from './notify/hub.js';
import { EmergencyProxyService } from './confidentiality/emergencyProxy.js';
import { CursorStore } from './feed/cursors.js';
import { createAnonymityServices } from './anonymity/index.js';
import { RequestAuthenticator } from './api/auth.js';
import { buildServer } from './api/server.js';
import { recordRoutes } from './api/routes/records.js';
import { fhirRoutes } from './api/routes/fhir.js';
import { FhirFacade } from './fhir/facade.js';
import { SmartAuthority } from './fhir/smart.js';
import { notificationRoutes } from './api/routes/notifications.js';
import { confidentialityRoutes } from './api/routes/confidentiality.js';
import { anonymityRoutes } from './api/routes/anonymity.js';
import { pharmacyRoutes } from './api/routes/pharmacy.js';
import { supplyRoutes } from './api/routes/supply.js';
import { paymentsRoutes } from './api/routes/payments.js';
import { PharmacyService } from './pharmacy/pharmacyService.js';
import { SupplyIndex } from './supply/supplyIndex.js';
import { flRoutes } from './api/routes/fl.js';
import { startFlServices } from './fl/services.js';
import { openOrgServiceState, parseServicesConfig, startOrgServices } from './orgServices/index.js';
import { orgServicesRoutes } from './api/routes/orgServices.js';
import { CareTeamIndex } from './patients/careTeamIndex.js';
import { patientsRoutes } from './api/routes/patients.js';
import { CosignMailbox } from './cosign/mailbox.js';
import { cosignRoutes } from './api/routes/cosign.js';

export interface StartNodeOptions {
  /** The node's data directory (genesis.json, node.json, keys/, the SQLite files). */
  dir: string;
  /** Passphrase of the directory's sealed key files. */
  passphrase: string;
  /** Override node.json's host and port (port 0: any free port). */
  host?: string;
  port?: number;
  /** Override node.json's ordering (e.g. a cluster started by `medledger cluster up`). */
  orderer?: OrdererConfig;
  /** Override node.json's peers. */
  peers?: { org: string; url: string }[];
  /** Operational messages: codes and ids, never secrets or record contents. */
  log: (line: string) => void;
  /** The built portal served at `/` (default: this repository's `packages/web/dist`). */
  webDir?: string;
}

/** Where `npm run build` puts the portal, next to this package in the repository. */
export const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

export interface RunningNode {
  node: MedledgerNode;
  checkpoints: CheckpointService;
  app: FastifyInstance;
  /** The API's base URL. */
  url: string;
  config: NodeConfig;
  close(): Promise<void>;
}

/**
 * Opens a node's data directory and runs everything the organization's node runs.
 * @throws if the directory is not a node directory, a key file does not open with the
 *   passphrase, or the ledger belongs to another genesis.
 */
export async function startNode(o: StartNodeOptions): Promise<RunningNode> {
  const config = readConfig(o.dir);
  const genesis = readGenesis(o.dir);
  const nodeKey = loadPrivateKey(o.dir, config.nodeKey, o.passphrase);
  const nodeKeyObject = importP256PrivateKey(nodeKey);
  const ordering = o.orderer ?? config.orderer ?? { kind: 'solo' };
  const peers = o.peers ?? config.peers ?? [];
  const host = o.host ?? config.host;
  // TLS with the organization's certificate, or plain HTTP on loopback only (transport/).
  const transport = serverTransport({
    dir: o.dir,
    org: config.org,
    tls: config.tls,
    host,
    passphrase: o.passphrase,
    genesis,
    peers,
    log: o.log,
  });

  const opened: { close(): unknown }[] = [];
  let etcd: EtcdLog | undefined;
  let checkpoints: CheckpointService | undefined;
  let orderer: Orderer | undefined;
  let node: MedledgerNode | undefined;
  if (ordering.kind === 'etcd') {
    etcd = new EtcdLog({ endpoints: ordering.endpoints, chainId: chainIdOf(genesis) });
    // Checkpoints fetched from peers during sync go to the checkpoint service once it exists.
    const sync = new PeerSync({
      peers,
      org: config.org,
      nodeKey: nodeKeyObject,
      state: {
        get: (k) => node?.store.get(k),
        hasCommittedTx: (id) => node?.store.hasCommittedTx(id) ?? false,
      },
      onCheckpoint: (b, org, sig) => checkpoints?.receive(b, org, sig),
      fetch: transport.peerFetch,
      log: o.log,
    });
    orderer = new EtcdOrderer({
      log: etcd,
      chainId: chainIdOf(genesis),
      org: config.org,
      nodeKey: nodeKeyObject,
      params: genesis.ordering,
      ...(ordering.leaseTtlSec === undefined ? {} : { leaseTtlSec: ordering.leaseTtlSec }),
      ...(ordering.heightTtlSec === undefined ? {} : { heightTtlSec: ordering.heightTtlSec }),
      ...(ordering.pruneEveryMs === undefined ? {} : { pruneEveryMs: ordering.pruneEveryMs }),
      sync,
      info: o.log,
    });
  }
  // The services' sealed state is opened first: its CPU-heavy work (scrypt, WASM, keys) would
  // otherwise block the event loop while the node follows etcd.
  let orgState;
  try {
    orgState = await openOrgServiceState({
      dir: o.dir,
      org: config.org,
      config: parseServicesConfig(config.services),
      passphrase: o.passphrase,
      log: o.log,
    });
  } catch (e) {
    etcd?.close();
    throw e;
  }
  try {
    node = await MedledgerNode.open({
      ledgerPath: paths(o.dir).ledger,
      genesis,
      org: config.org,
      nodeKey,
      ...(orderer ? { orderer } : {}),
    });
  } catch (e) {
    orgState.close();
    etcd?.close();
    throw e;
  }
  node.on('alarm', (e: Error) => o.log(`ALARM: ${e.message}; the node stopped committing`));
  opened.push(orgState);
  try {
    checkpoints = new CheckpointService({
      node,
      nodeKey: nodeKeyObject,
      dbPath: join(o.dir, 'checkpoints.sqlite'),
      ...(etcd ? { transport: etcdCheckpointTransport(etcd, o.log) } : {}),
      log: o.log,
    }).start();
    opened.push(checkpoints);
    const masterKey = ehrMasterKey(o.dir, config.org, o.passphrase, o.log);
    const ehr = await openEhr(o.dir, config, masterKey);
    opened.push(ehr);
    const vault = ReleaseKeyVault.open({ path: join(o.dir, 'vault.sqlite'), masterKey });
    opened.push(vault);
    masterKey.fill(0);
    const services = new RecordServices({
      node,
      org: config.org,
      nodeKey,
      ehr,
      vault,
      indexPath: join(o.dir, 'records-index.sqlite'),
      outboxPath: join(o.dir, 'access-log.sqlite'),
      log: o.log,
    });
    await services.start();
    opened.push(services);
    // Patient notifications: server-sent events and signed webhooks with retries (notify.sqlite
    // keeps recent notifications and pending deliveries across restarts).
    const hub = createNotificationHub(node, {
      nodeKey,
      org: config.org,
      dbPath: join(o.dir, 'notify.sqlite'),
      ...(config.webhookAllow ? { outbound: { allow: config.webhookAllow } } : {}),
    });
    opened.push(hub);
    // Signed requests; the replay memory survives a restart within the window.
    const auth = new RequestAuthenticator(node, { replayPath: join(o.dir, 'requests.sqlite') });
    opened.push(auth);
    // Emergency access: this node is a re-encryption proxy patients may name; its X25519 key is
    // a sealed key file, published on the ledger once.
    const cursors = CursorStore.open(join(o.dir, 'feed-cursors.sqlite'));
    opened.push(cursors);
    const encryption = nodeEncryptionKey(o.dir, config.org, o.passphrase);
    const proxy = new EmergencyProxyService(node, {
      nodeKey,
      encryption,
      cursor: cursors.cursor('emergency-proxy'),
    }).start();
    opened.push({ close: () => proxy.stop() });
    // Prescriptions, track and trace, payments: a pharmacy's node opens the prescriptions sealed
    // to its published X25519 key (the same key as the proxy's).
    const isPharmacy = genesis.orgs.find((g) => g.id === config.org)?.role === 'pharmacy';
    const pharmacies = isPharmacy
      ? [new PharmacyService({ node, org: config.org, nodeKey, encryption })]
      : [];
    const supply = new SupplyIndex(node); // indexes the ledger on the first pack verification
    opened.push(supply);
    // Federated learning: studies this hospital joined, studies this organization aggregates.
    const fl = startFlServices({ node, org: config.org, nodeKey, ehr, log: o.log });
    opened.push({ close: () => fl.stop() });
    // Anonymous relay and reads: group- and ring-signed statements relayed under the node key.
    const anonymity = createAnonymityServices({ node, nodeKey });
    // The organization's services node.json names (ABE authority, credential issuer, group
    // managers, HE custodian), their secrets and state sealed in services.sqlite (orgServices/).
    const org = await startOrgServices({
      state: orgState,
      node,
      nodeKey,
      encryption,
      heCursor: cursors.cursor('he-custodian'),
      log: o.log,
    });
    opened.push({ close: () => org.close() });
    // A doctor's patients (care teams by doctor, careteams.sqlite, rebuilt from the ledger) and
    // the co-signing mailbox of DSS records that need k of n (cosign.sqlite).
    const teams = CareTeamIndex.open(join(o.dir, 'careteams.sqlite'));
    opened.push({ close: () => teams.close() });
    await teams.start(node, o.log);
    const cosign = CosignMailbox.open({ path: join(o.dir, 'cosign.sqlite'), node });
    opened.push(cosign);
    // FHIR R4 facade; SMART client registrations (JWKS per member) in the node directory.
    const smart = new SmartAuthority({ node, path: join(o.dir, 'smart-clients.sqlite') });
    opened.push(smart);
    // Certificate requests members send to this organization (enrollment/requests.ts).
    const certRequests = CertificateRequestStore.open({
      path: join(o.dir, 'cert-requests.sqlite'),
      org: config.org,
      state: () => node!.store,
    });
    opened.push(certRequests);
    const app = buildServer(node, {
      ...(transport.https ? { https: transport.https } : {}),
      auth,
      checkpoints,
      status: () => ({
        cutter: orderer instanceof EtcdOrderer ? orderer.isCutter : true,
        ...(orderer instanceof EtcdOrderer ? { ordering: orderer.state } : {}),
        peers: peers.map((p) => p.org),
        // Where the other organizations' nodes answer, as this node knows them: a client reads
        // an SPV record or an STT release key at the node of the organization holding it.
        nodes: Object.fromEntries(peers.map((p) => [p.org, p.url])),
      }),
      plugins: [
        consortiumRoutes(checkpoints, auth),
        recordRoutes(services, auth),
        patientsRoutes({ teams, records: services, auth }),
        cosignRoutes(cosign, auth),
        notificationRoutes(hub, auth),
        confidentialityRoutes({ auth, ...(org.abe ? { abe: org.abe } : {}) }),
        anonymityRoutes({
          relay: anonymity.relay,
          verifier: anonymity.verifier,
          auth,
          issuers: org.issuers,
          groups: org.groups,
        }),
        orgServicesRoutes(org, auth),
        enrollmentRoutes(certRequests),
        pharmacyRoutes({ auth, pharmacies }),
        supplyRoutes({ auth, index: supply }),
        paymentsRoutes({ auth }),
        flRoutes(auth),
        fhirRoutes({ facade: new FhirFacade({ records: services }), smart, auth }),
        webRoutes(o.webDir ?? DEFAULT_WEB_DIR),
      ],
    });
    const address = await app.listen({ host, port: o.port ?? config.port });
    opened.push(app);
    await publishProxyKey(node, proxy, config.org, o.log);
    void org.catchUp();
    const url = address.replace('[::1]', 'localhost');
    let closing: Promise<void> | undefined;
    const close = async (): Promise<void> => {
      // Stop taking requests first, then the services, then the ledger, then the stores.
      await proxy.stop();
      await org.close();
      supply.close();
      await fl.stop();
      await app.close();
      smart.close();
      certRequests.close();
      cosign.close();
      await teams.close();
      auth.close();
      await hub.close();
      await services.close();
      await cps.close();
      await node!.close();
      etcd?.close();
      await ehr.close();
      vault.close();
      cursors.close();
    };
    const cps = checkpoints;
    return { node, checkpoints: cps, app, url, config, close: () => (closing ??= close()) };
  } catch (e) {
    for (const x of opened.reverse()) await Promise.resolve(x.close()).catch(() => undefined);
    await node.close();
    etcd?.close();
    throw e;
  }
}

/**
 * Publishes the node's X25519 proxy key on the ledger once. Only a current consortium node
 * signs as `node:<org>`: a node that is not (yet) one — a new organization's node still
 * syncing, a key not yet rotated in — publishes as soon as the ledger says it is.
 */
async function publishProxyKey(
  node: MedledgerNode,
  proxy: EmergencyProxyService,
  org: string,
  log: (line: string) => void,
): Promise<void> {
  const published = (): boolean =>
    getPublishedKeys(node.store, `node:${org}`)?.x25519 === toB64u(proxy.encryptionPublicKey);
  const current = (): boolean => activeNode(node.store, org)?.nodeKey === node.nodePublicKey;
  const publish = async (): Promise<void> => {
    const r = await node.submit(proxy.publishKeyTx());
    await node.waitForReceipt(r.txId, 10_000);
  };
  if (published()) return;
  if (current()) return publish();
  log(`${org} is not a current consortium node yet: its proxy key is published once it is`);
  const onBlock = (): void => {
    if (published() || !current()) return;
    node.off('block', onBlock);
    publish().catch((e: unknown) => log(`publishing the proxy key failed: ${(e as Error).message}`));
  };
  node.on('block', onBlock);
}

/**
 * Opens the sealed EHR master key; creates it when missing only if no EHR data exists yet
 * (a new key could not open existing records).
 */
function ehrMasterKey(dir: string, org: string, passphrase: string, log: (s: string) => void): Uint8Array {
  const label = `ehr-master-${org}`;
  if (existsSync(join(paths(dir).keys, `${label}.key.json`))) return loadPrivateKey(dir, label, passphrase);
  if (existsSync(join(dir, 'ehr.sqlite')) || existsSync(join(dir, 'vault.sqlite')))
    throw new Error(`keys/${label}.key.json is missing but EHR data exists; restore the key file`);
  const key = randomBytes(32);
  writeKeyFile(
    dir,
    sealKey({ label, keyType: 'aes256', publicKey: new Uint8Array(0), privateKey: key, passphrase }),
  );
  log(`created the EHR master key keys/${label}.key.json`);
  return key;
}

async function openEhr(dir: string, config: NodeConfig, masterKey: Uint8Array): Promise<EhrStore> {
  const ehr = config.ehr;
  if (ehr === undefined || ehr.kind === 'sqlite')
    return openSqliteEhrStore({ path: join(dir, 'ehr.sqlite'), masterKey });
  if (ehr.kind === 'postgres' && typeof ehr.url === 'string')
    return openPostgresEhrStore({ connectionString: ehr.url, masterKey });
  throw new Error('node.json "ehr" must be {"kind":"sqlite"} or {"kind":"postgres","url":"postgres://..."}');
}

/** The node's X25519 key (emergency proxy): a sealed key file, created on first start. */
function nodeEncryptionKey(
  dir: string,
  org: string,
  passphrase: string,
): { privateKey: Uint8Array; publicKey: Uint8Array } {
  const label = `node-enc-${org}`;
  if (existsSync(join(paths(dir).keys, `${label}.key.json`))) {
    const privateKey = loadPrivateKey(dir, label, passphrase);
    return { privateKey, publicKey: encryptionPublicKeyOf(privateKey) };
  }
  const k = generateEncryptionKeyPair();
  writeKeyFile(
    dir,
    sealKey({ label, keyType: 'x25519', publicKey: k.publicKey, privateKey: k.privateKey, passphrase }),
  );
  return k;
}
