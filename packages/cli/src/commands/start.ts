/**
 * `medledger start`: runs the node of a data directory (the node assembles itself:
 * `startNode` in @medledger/node). With `--dev` it first creates a dev consortium if the
 * directory is empty, and seeds demo data into an empty ledger.
 */
import { isInitialized, startNode, type MedledgerNode } from '@medledger/node';
import { init } from './init.js';
import { demoSeeded, seedDemo } from '../devSeed.js';
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
  const running = await startNode({
    dir: o.dir,
    passphrase,
    log: o.log,
    ...(o.host === undefined ? {} : { host: o.host }),
    ...(o.port === undefined ? {} : { port: o.port }),
  });
  try {
    if (o.dev && !demoSeeded(running.node, o.dir)) await seedDemo(running.node, o.dir, passphrase, o.log);
  } catch (e) {
    await running.close();
    throw e;
  }
  return { node: running.node, url: running.url, close: running.close };
}
