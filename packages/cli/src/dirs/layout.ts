/**
 * The dev layout of `medledger init --dev` (node/src/datadir.ts): each organization's admin
 * directory and node directory, the members' wallets, the signed genesis, and
 * `consortium.json`, a public map of where each directory is. Dev tooling (`start`, `verify`,
 * `keys`, the demo, the benchmarks) reads the map; the node never does.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isInitialized } from '@medledger/node';
import { UsageError } from '../args.js';
import { readJson, writeJson } from './files.js';

/** `consortium.json`: where each party's directory of a dev layout is. */
export interface DevLayout {
  version: 1;
  chainName: string;
  chainId: string;
  /** Paths relative to the layout's directory. */
  genesis: string;
  wallets: string;
  orgs: { id: string; admin: string; node?: string }[];
}

/** The map of a dev layout. */
export const layoutPath = (root: string): string => join(root, 'consortium.json');

/** The dev layout's map, or undefined if `root` is not a dev layout. */
export function readLayout(root: string): DevLayout | undefined {
  const p = layoutPath(root);
  if (!existsSync(p)) return undefined;
  const l = readJson(p, 'consortium map') as DevLayout;
  if (l?.version !== 1 || !Array.isArray(l.orgs))
    throw new UsageError(`${p} is not a medledger consortium map`);
  return l;
}

/** Writes the dev layout's map. */
export function writeLayout(root: string, l: DevLayout): void {
  writeJson(layoutPath(root), l);
}

/** The directories of a dev layout, as absolute paths. */
export interface LayoutDirs {
  root: string;
  layout: DevLayout;
  wallets: string;
  admin(org: string): string;
  /** The node directory of `org` (default: the first organization that runs a node). */
  node(org?: string): string;
}

/** The absolute directories of a dev layout's map. */
export function layoutDirs(root: string, layout: DevLayout): LayoutDirs {
  const entry = (org: string) => {
    const e = layout.orgs.find((o) => o.id === org);
    if (!e) throw new UsageError(`no organization ${org} in ${layoutPath(root)}`);
    return e;
  };
  return {
    root,
    layout,
    wallets: join(root, layout.wallets),
    admin: (org) => join(root, entry(org).admin),
    node: (org) => {
      const e = org === undefined ? layout.orgs.find((o) => o.node !== undefined) : entry(org);
      if (e?.node === undefined)
        throw new UsageError(`${org ?? 'no organization'} runs no node in ${layoutPath(root)}`);
      return join(root, e.node);
    },
  };
}

/** The layout of `root`, if it is one. */
export function devLayoutAt(root: string): LayoutDirs | undefined {
  const l = readLayout(root);
  return l && layoutDirs(root, l);
}

/**
 * The node directory a command means: `dir` itself if it is a node directory; in a dev
 * layout, the node directory of `org` (default: the first that runs a node).
 * @throws UsageError if `dir` is neither.
 */
export function resolveNodeDir(dir: string, org?: string): string {
  if (isInitialized(dir)) return dir;
  const l = devLayoutAt(dir);
  if (l) return l.node(org);
  throw new UsageError(
    `${dir} is neither a node directory (genesis.json, node.json) nor a dev layout (consortium.json)`,
  );
}
