/**
 * `medledger node init`: makes a node directory runnable — writes node.json and the signed
 * genesis into the directory `org init --node-dir` created with the node key. Which
 * organization the node is comes from the genesis: the one whose node key is the key in the
 * directory. Run it again with a newer copy of the same genesis (more signatures) to replace
 * genesis.json; a different genesis is refused once the node has a ledger.
 */
import { existsSync } from 'node:fs';
import { chainIdOf, type Genesis } from '@medledger/core';
import {
  isInitialized,
  listKeys,
  nodeKeyLabel,
  paths,
  readConfig,
  readGenesis,
  type NodeConfig,
  type OrgServicesConfig,
} from '@medledger/node';
import { UsageError } from '../args.js';
import { writeJson } from '../dirs/files.js';
import { genesisStatus, readGenesisFile, type GenesisStatus } from './genesis.js';

/** Options of {@link nodeInit} (`medledger node init`). */
export interface NodeInitOptions {
  dir: string;
  /** Path of the genesis file. */
  genesis: string;
  host?: string;
  port?: number;
  /** Client URLs of the consortium's etcd members: the node orders blocks with the others. */
  etcd?: string[];
  /** The other consortium nodes' API URLs, to sync missed blocks from. */
  peers?: Record<string, string>;
  /** The organization's services the node runs (node.json "services"; node orgServices/config.ts). */
  services?: OrgServicesConfig;
}

/** Writes node.json and genesis.json; returns the configuration and the genesis's signature status. */
export function nodeInit(o: NodeInitOptions): { config: NodeConfig; status: GenesisStatus } {
  const g: Genesis = readGenesisFile(o.genesis);
  if (!existsSync(paths(o.dir).keys))
    throw new UsageError(
      `${o.dir} holds no node key: create it with \`medledger org init --node-dir ${o.dir}\``,
    );
  const keys = listKeys(o.dir);
  const mine = g.orgs.filter((org) =>
    keys.some(
      (k) => k.label === nodeKeyLabel(org.id) && org.nodeKey !== undefined && k.publicKey === org.nodeKey,
    ),
  );
  if (mine.length !== 1)
    throw new UsageError(
      `the genesis lists no node key held in ${o.dir}/keys: this genesis was assembled from another card, or the directory is another organization's`,
    );
  const org = mine[0]!.id;
  const roots = keys.filter((k) => k.label.startsWith('org-')).map((k) => k.label);
  if (roots.length > 0)
    throw new UsageError(
      `${o.dir}/keys holds ${roots.join(', ')}: an organization's root CA key stays in its admin directory, never in a node directory`,
    );
  if (isInitialized(o.dir)) {
    const old = readGenesis(o.dir);
    if (chainIdOf(old) !== chainIdOf(g) && existsSync(paths(o.dir).ledger))
      throw new UsageError(
        `${o.dir} already runs chain ${chainIdOf(old).slice(0, 16)}…; this genesis is another chain`,
      );
  }
  const prev = existsSync(paths(o.dir).config) ? readConfig(o.dir) : undefined;
  if (prev !== undefined && prev.org !== org)
    throw new UsageError(`${o.dir}/node.json is configured for ${prev.org}`);
  const config: NodeConfig = {
    ...prev,
    org,
    host: o.host ?? prev?.host ?? '127.0.0.1',
    port: o.port ?? prev?.port ?? 7545,
    nodeKey: nodeKeyLabel(org),
    ...(o.etcd === undefined ? {} : { orderer: { kind: 'etcd' as const, endpoints: etcdUrls(o.etcd) } }),
    ...(o.peers === undefined ? {} : { peers: peerList(org, o.peers) }),
    ...(o.services === undefined ? {} : { services: o.services }),
  };
  writeJson(paths(o.dir).genesis, g);
  writeJson(paths(o.dir).config, config);
  return { config, status: genesisStatus(g) };
}

function etcdUrls(urls: string[]): string[] {
  if (urls.length === 0) throw new UsageError('--etcd needs at least one client URL');
  for (const u of urls)
    if (!/^https?:\/\/[^/\s]+$/.test(u))
      throw new UsageError(`--etcd ${u}: expected a client URL such as http://10.0.0.5:2379`);
  return urls;
}

function peerList(self: string, peers: Record<string, string>): { org: string; url: string }[] {
  return Object.entries(peers).map(([org, url]) => {
    if (org === self) throw new UsageError(`--peer ${org}: that is this node's own organization`);
    if (!/^https?:\/\/\S+$/.test(url)) throw new UsageError(`--peer ${org}=${url}: expected a URL`);
    return { org, url: url.replace(/\/$/, '') };
  });
}
