/**
 * `medledger start`: runs one node directory (the node assembles itself: `startNode` in
 * @medledger/node). `--dir` is a node directory, or a dev layout (`init --dev`), whose
 * hospitalA node — or `--org`'s — is started. With `--dev` an empty directory first gets a
 * dev layout, and the demo data is seeded into an empty ledger (devSeed.ts, acting as the
 * organizations and members from their own directories; the node reads only its own).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startNode, type MedledgerNode } from '@medledger/node';
import { UsageError } from '../args.js';
import { initDev } from './init.js';
import { demoSeeded, seedDemo } from '../devSeed.js';
import { registerDevServices } from '../devServices.js';
import { passphraseFor } from '../passphrase.js';
import { isEmptyDir } from '../dirs/files.js';
import { devLayoutAt, resolveNodeDir, type LayoutDirs } from '../dirs/layout.js';

/** Options of {@link start} (`medledger start`). */
export interface StartOptions {
  dir: string;
  /** In a dev layout: whose node (default: the first that runs one, hospitalA). */
  org?: string;
  host?: string;
  port?: number;
  dev: boolean;
  log: (s: string) => void;
  /** scrypt cost of the key files of a new dev layout (tests lower it). */
  scryptN?: number;
}

/** A running node started by {@link start}. */
export interface StartReturnType {
  node: MedledgerNode;
  url: string;
  /** The node directory that runs. */
  nodeDir: string;
  /** The dev layout, when `dir` is one. */
  layout?: LayoutDirs;
  close: () => Promise<void>;
}

/**
 * Starts the node directory `o.dir` means (see the module comment).
 * @throws UsageError if the directory is neither a node directory nor a dev layout; Error if
 *   the node refuses to start (a genesis without every founder's signature, a wrong passphrase).
 */
export async function start(o: StartOptions): Promise<StartReturnType> {
  if (o.dev && isEmptyDir(o.dir)) {
    await initDev({ dir: o.dir, ...(o.scryptN === undefined ? {} : { scryptN: o.scryptN }) });
    o.log(
      `created a dev consortium in ${o.dir} (hospitalA, hospitalB, gpclinic, insurer, institute; each in its own directory)`,
    );
  }
  if (existsSync(join(o.dir, 'members.json')) && existsSync(join(o.dir, 'genesis.json')))
    throw new UsageError(
      `${o.dir} is a data directory of the old layout, with every party's keys in one directory; move it away and run \`medledger start --dev\` again for a dev consortium with a directory per party`,
    );
  const nodeDir = resolveNodeDir(o.dir, o.org);
  const layout = devLayoutAt(o.dir);
  const running = await startNode({
    dir: nodeDir,
    passphrase: passphraseFor(nodeDir),
    log: o.log,
    ...(o.host === undefined ? {} : { host: o.host }),
    ...(o.port === undefined ? {} : { port: o.port }),
  });
  try {
    if (o.dev && layout && !demoSeeded(running.node, layout)) await seedDemo(running.node, layout, o.log);
    if (o.dev && layout) await registerDevServices(running.url, running.node.org, layout, o.log);
  } catch (e) {
    await running.close();
    throw e;
  }
  return {
    node: running.node,
    url: running.url,
    nodeDir,
    ...(layout === undefined ? {} : { layout }),
    close: running.close,
  };
}
