/**
 * `medledger start`: runs a node on a data directory — the SQLite ledger, solo ordering, the
 * HTTP API. With `--dev` it first creates a dev consortium if the directory is empty and
 * seeds demo data into an empty ledger.
 */
import {
  isInitialized,
  loadPrivateKey,
  paths,
  readConfig,
  readGenesis,
  MedledgerNode,
  buildServer,
} from '@medledger/node';
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
  const app = buildServer(node);
  const host = o.host ?? config.host;
  const port = o.port ?? config.port;
  const address = await app.listen({ host, port });
  if (o.dev && node.head().height === 0) await seedDemo(node, o.dir, passphrase, o.log);
  const url = address.replace('[::1]', 'localhost');
  return {
    node,
    url,
    close: async () => {
      await app.close();
      await node.close();
    },
  };
}
