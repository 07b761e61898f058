/**
 * `medledger start`: runs a node on a data directory — the SQLite ledger, solo ordering, the
 * HTTP API, and record sharing: the EHR store (`ehr.sqlite`, or PostgreSQL when node.json
 * has `"ehr": {"kind": "postgres", "url": "postgres://..."}`), the release-key vault
 * (`vault.sqlite`) and the record indexes (`records-index.sqlite`, rebuildable), all keyed by
 * the sealed EHR master key `ehr-master-<org>`. With `--dev` it first creates a dev consortium
 * if the directory is empty and seeds demo data into an empty ledger.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  encryptionPublicKeyOf,
  generateEncryptionKeyPair,
  randomBytes,
  sealKey,
  toB64u,
} from '@medledger/crypto';
import {
  isInitialized,
  loadPrivateKey,
  openPostgresEhrStore,
  openSqliteEhrStore,
  paths,
  readConfig,
  readGenesis,
  writeKeyFile,
  MedledgerNode,
  RequestAuthenticator,
  buildServer,
  type EhrStore,
} from '@medledger/node';
import { ReleaseKeyVault } from '@medledger/node/records/vault';
import { RecordServices } from '@medledger/node/records/services';
import { recordRoutes } from '@medledger/node/api/routes/records';
import { createNotificationHub } from '@medledger/node/notify/hub';
import { EmergencyProxyService } from '@medledger/node/confidentiality/emergencyProxy';
import { confidentialityRoutes } from '@medledger/node/api/routes/confidentiality';
import { anonymityRoutes } from '@medledger/node/api/routes/anonymity';
import { createAnonymityServices } from '@medledger/node/anonymity/index';
import { getPublishedKeys } from '@medledger/core/contracts/confidentiality/state';
import { notificationRoutes } from '@medledger/node/api/routes/notifications';
import { flRoutes } from '@medledger/node/api/routes/fl';
import { startFlServices } from '@medledger/node/fl/services';
import { init } from './init.js';
import { seedDemo } from '../devSeed.js';
import { passphraseFor } from '../passphrase.js';

export interface StartOptions {
  dir: string;
  host?: string;
  port?: number;
  dev: boolean;
  log: (s: string) => void;
}

export async function start(
  o: StartOptions,
): Promise<{ node: MedledgerNode; url: string; close: () => Promise<void> }> {
  if (!isInitialized(o.dir)) {
    if (!o.dev)
      throw new Error(
        `${o.dir} is not a medledger data directory; run \`medledger init --dir ${o.dir}\` or use --dev`,
      );
    await init({ dir: o.dir, org: 'hospitalA', host: '127.0.0.1', port: 7545, dev: true });
    o.log(`created a dev consortium in ${o.dir} (hospitalA, hospitalB, gpclinic, insurer, institute)`);
  }
  const passphrase = passphraseFor(o.dir);
  const config = readConfig(o.dir);
  const genesis = readGenesis(o.dir);
  const node = await MedledgerNode.open({
    ledgerPath: paths(o.dir).ledger,
    genesis,
    org: config.org,
    nodeKey: loadPrivateKey(o.dir, config.nodeKey, passphrase),
  });
  node.on('alarm', (e: Error) => o.log(`ALARM: ${e.message}; the node stopped committing`));
  const masterKey = ehrMasterKey(o.dir, config.org, passphrase, o.log);
  const ehr = await openEhr(o.dir, config, masterKey);
  const vault = ReleaseKeyVault.open({ path: join(o.dir, 'vault.sqlite'), masterKey });
  masterKey.fill(0);
  const services = new RecordServices({
    node,
    org: config.org,
    nodeKey: loadPrivateKey(o.dir, config.nodeKey, passphrase),
    ehr,
    vault,
    indexPath: join(o.dir, 'records-index.sqlite'),
    log: o.log,
  });
  await services.start();
  // Patient notifications: server-sent events and signed webhooks with retries (notify.sqlite
  // keeps recent notifications and pending deliveries across restarts).
  const hub = createNotificationHub(node, {
    nodeKey: loadPrivateKey(o.dir, config.nodeKey, passphrase),
    org: config.org,
    dbPath: join(o.dir, 'notify.sqlite'),
  });
  const auth = new RequestAuthenticator(node);
  // Emergency access (issue 4): this node is a re-encryption proxy patients may name; its
  // X25519 key is a sealed key file, published on the ledger once.
  const nodeKey = loadPrivateKey(o.dir, config.nodeKey, passphrase);
  const proxy = new EmergencyProxyService(node, {
    nodeKey,
    encryption: nodeEncryptionKey(o.dir, config.org, passphrase),
  }).start();
  // Anonymous relay and reads (issue 5): group- and ring-signed statements relayed under the
  // node key. Credential issuers and group managers hold in-memory secrets and are not
  // started here (see the closing notes of issue 5).
  const anonymity = createAnonymityServices({ node, nodeKey });
  // Federated learning (issue 15): studies this hospital joined, studies this org aggregates.
  const fl = startFlServices({ node, org: config.org, nodeKey, ehr, log: o.log });
  const app = buildServer(node, {
    auth,
    plugins: [
      recordRoutes(services, auth),
      notificationRoutes(hub, auth),
      confidentialityRoutes({}),
      anonymityRoutes({ relay: anonymity.relay, verifier: anonymity.verifier, auth }),
      flRoutes(auth),
    ],
  });
  const host = o.host ?? config.host;
  const port = o.port ?? config.port;
  const address = await app.listen({ host, port });
  if (o.dev && node.head().height === 0) await seedDemo(node, o.dir, passphrase, o.log);
  if (getPublishedKeys(node.store, `node:${config.org}`)?.x25519 !== toB64u(proxy.encryptionPublicKey)) {
    const r = await node.submit(proxy.publishKeyTx());
    await node.waitForReceipt(r.txId, 10_000);
  }
  const url = address.replace('[::1]', 'localhost');
  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    proxy.stop();
    await fl.stop();
    await app.close();
    await hub.close();
    await services.close();
    await node.close();
    await ehr.close();
    vault.close();
  };
  return { node, url, close: () => (closing ??= close()) };
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

async function openEhr(dir: string, config: object, masterKey: Uint8Array): Promise<EhrStore> {
  const ehr = (config as { ehr?: { kind?: string; url?: string } }).ehr;
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
