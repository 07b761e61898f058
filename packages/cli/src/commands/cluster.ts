/**
 * `medledger cluster up` — a consortium of real processes on loopback: 3 etcd members and one
 * node process per node directory of a dev layout (cluster/processCluster.ts); Ctrl-C stops
 * everything. `medledger status` — one row per node: height, head, checkpoint, cutter, alarm.
 */
import { resolve } from 'node:path';
import { ProcessCluster } from '../cluster/processCluster.js';
import { fetchStatus, formatStatus, type NodeStatusRow } from '../cluster/status.js';
import { devLayoutAt } from '../dirs/layout.js';
import { readConfig } from '@medledger/node';
import { UsageError } from '../args.js';

/** Options of {@link clusterUp}. */
export interface ClusterUpOptions {
  dir: string;
  nodes: number;
  out: (line: string) => void;
  log: (line: string) => void;
  /** Resolves when the cluster should stop (default: SIGINT or SIGTERM). */
  until?: Promise<void>;
}

/** Starts the cluster, prints where everything is, and runs until `until` (Ctrl-C). */
export async function clusterUp(o: ClusterUpOptions): Promise<void> {
  const stopSignal =
    o.until ??
    new Promise<void>((done) => {
      process.once('SIGINT', () => done());
      process.once('SIGTERM', () => done());
    });
  const c = await ProcessCluster.up({ dir: o.dir, nodes: o.nodes, log: o.log });
  try {
    for (const org of c.orgs)
      o.out(`${org.padEnd(10)} ${c.url(org)}  pid ${c.pid(org)}  log ${c.logFile(org)}`);
    o.out(`etcd       ${c.etcd.endpoints.join(' ')}`);
    o.out(
      `medledger status --dir ${resolve(o.dir)}   # every node's height and checkpoint; Ctrl-C stops all`,
    );
    await stopSignal;
    o.log('stopping the nodes and etcd');
  } finally {
    await c.stop();
  }
}

/**
 * The status rows of a dev layout's nodes (their URLs from each node.json), or of the node at
 * `url` and the peers it reports.
 * @throws UsageError if `dir` is not a dev layout
 */
export async function clusterStatus(o: { dir?: string; url?: string }): Promise<NodeStatusRow[]> {
  if (o.url !== undefined) {
    const first = await fetchStatus('?', o.url);
    const peers = Object.entries(first.peerUrls ?? {});
    return [first, ...(await Promise.all(peers.map(([org, url]) => fetchStatus(org, url))))];
  }
  const layout = devLayoutAt(o.dir ?? 'data');
  if (!layout) throw new UsageError(`${o.dir} is not a dev layout (consortium.json); give --url of a node`);
  const nodes = layout.layout.orgs.filter((e) => e.node !== undefined);
  return Promise.all(
    nodes.map((e) => {
      const cfg = readConfig(layout.node(e.id));
      return fetchStatus(e.id, `http://${cfg.host}:${cfg.port}`);
    }),
  );
}

/** Prints the status table (or JSON); exit code 1 if a node is down or halted. */
export async function statusCommand(o: {
  dir?: string;
  url?: string;
  json: boolean;
  out: (line: string) => void;
}): Promise<number> {
  const rows = await clusterStatus(o);
  if (o.json) o.out(JSON.stringify(rows));
  else for (const l of formatStatus(rows)) o.out(l);
  return rows.some((r) => r.error !== undefined || r.halted) ? 1 : 0;
}
