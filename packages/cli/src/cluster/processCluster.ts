/**
 * A consortium of real processes on loopback, for `medledger cluster up` and the chaos suite:
 * a 3-member etcd (Debian's `etcd`, {@link EtcdCluster}) and one `medledger start` child
 * process per node directory of a dev layout (`init --dev --nodes N`), each with only its own
 * directory, ordered by the etcd cluster and syncing from the others as peers.
 *
 * - `up` writes each node directory's node.json (etcd endpoints, its port, the other nodes as
 *   peers), starts the nodes, waits until each answers `GET /v1/status`, and seeds the demo
 *   data once, through the first node (`start --dev` seeds an unseeded ledger only).
 * - Children write their output to `<layout>/logs/<org>.log` (the node logs codes and ids,
 *   never secrets); etcd's errors go to `<layout>/logs/etcd.log` when the cluster stops.
 * - Everything started here is stopped by `stop()`, and killed when this process exits.
 *
 * etcd starts empty on every `up` (etcd is the ordering log, not the ledger store): when the
 * ledgers already hold blocks, the log is marked pruned above the highest stored height, so a
 * node that is behind fetches the rest from its peers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  EtcdCluster,
  EtcdLog,
  LedgerStore,
  freePort,
  padHeight,
  paths,
  readConfig,
  type EtcdMember,
  type NodeConfig,
} from '@medledger/node';
import { initDev } from '../commands/init.js';
import { isEmptyDir, writeJson } from '../dirs/files.js';
import { devLayoutAt, type LayoutDirs } from '../dirs/layout.js';
import { UsageError } from '../args.js';
import { fetchStatus, type NodeStatusRow } from './status.js';

const BIN = fileURLToPath(new URL('../bin.js', import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Options of {@link ProcessCluster.up}. */
export interface ProcessClusterOptions {
  /** A dev layout, or an empty (or missing) directory to make one in. */
  dir: string;
  /** Nodes of a new layout (default 3). */
  nodes?: number;
  /** Ports of the nodes, in layout order (default: node.json's; 0 there: a free one). */
  ports?: number[];
  /** The cutter's lease (s, default 3): a paused cutter is fenced out after it. */
  leaseTtlSec?: number;
  /** How long a stopped node holds back pruning (s, default 10). */
  heightTtlSec?: number;
  /** How often the cutter prunes etcd (ms, default 5000). */
  pruneEveryMs?: number;
  /** Seed the demo data through the first node (default true). */
  seed?: boolean;
  /** scrypt cost of a new layout's key files (tests lower it). */
  scryptN?: number;
  /** How long a node may take to answer after it was spawned (ms, default 60 s). */
  startTimeoutMs?: number;
  /** Progress lines (no secrets). */
  log?: (line: string) => void;
}

interface NodeProc {
  org: string;
  dir: string;
  url: string;
  logFile: string;
  child: ChildProcess | undefined;
  exited: Promise<void>;
}

/** A running process cluster; see the module comment. */
export class ProcessCluster {
  readonly dir: string;
  readonly layout: LayoutDirs;
  readonly etcd: EtcdCluster;
  readonly chainId: string;
  readonly #nodes = new Map<string, NodeProc>();
  readonly #o: ProcessClusterOptions;
  #stopping: Promise<void> | undefined;
  readonly #onExit = (): void => {
    for (const n of this.#nodes.values()) n.child?.kill('SIGKILL');
    for (const m of this.etcd.members) m.process?.kill('SIGKILL');
  };

  private constructor(o: ProcessClusterOptions, layout: LayoutDirs, etcd: EtcdCluster) {
    this.#o = o;
    this.dir = o.dir;
    this.layout = layout;
    this.etcd = etcd;
    this.chainId = layout.layout.chainId;
    process.once('exit', this.#onExit);
  }

  /**
   * Starts etcd and every node of the layout (making the layout first if `dir` is empty).
   * @throws UsageError if `dir` is neither empty nor a dev layout with at least one node;
   *   Error if etcd or a node does not come up (the rest is stopped first).
   */
  static async up(o: ProcessClusterOptions): Promise<ProcessCluster> {
    // Ports are picked free before the nodes start; another process may take one meanwhile.
    // Then everything is stopped and started again on new ports (the ledgers go on).
    for (let attempt = 1; ; attempt++) {
      try {
        return await ProcessCluster.#upOnce(o, attempt > 1);
      } catch (e) {
        if (attempt >= 3 || !/EADDRINUSE/.test((e as Error).message)) throw e;
        o.log?.(`a port was taken while the cluster started; starting again on new ports`);
      }
    }
  }

  static async #upOnce(o: ProcessClusterOptions, newPorts: boolean): Promise<ProcessCluster> {
    const log = o.log ?? (() => undefined);
    if (!existsSync(o.dir) || isEmptyDir(o.dir)) {
      await initDev({
        dir: o.dir,
        nodes: o.nodes ?? 3,
        port: 0,
        ...(o.scryptN === undefined ? {} : { scryptN: o.scryptN }),
      });
      log(`created a dev consortium in ${o.dir}`);
    }
    const layout = devLayoutAt(o.dir);
    if (!layout) throw new UsageError(`${o.dir} is not a dev layout (consortium.json); give an empty --dir`);
    const orgs = layout.layout.orgs.filter((e) => e.node !== undefined).map((e) => e.id);
    if (orgs.length === 0) throw new UsageError(`no organization runs a node in ${o.dir}`);
    const logs = join(o.dir, 'logs');
    mkdirSync(logs, { recursive: true });
    rmSync(join(o.dir, 'etcd'), { recursive: true, force: true });
    const etcd = await EtcdCluster.start({ dir: join(o.dir, 'etcd') });
    log(`etcd: ${etcd.endpoints.join(' ')}`);
    const c = new ProcessCluster(o, layout, etcd);
    try {
      await c.#markPruned(orgs.map((org) => layout.node(org)));
      const urls = new Map<string, string>();
      for (const [i, org] of orgs.entries()) {
        const cfg = readConfig(layout.node(org));
        const port = o.ports?.[i] ?? ((!newPorts && cfg.port) || (await freePort()));
        urls.set(org, `http://${cfg.host}:${port}`);
      }
      for (const org of orgs) {
        const dir = layout.node(org);
        const cfg = readConfig(dir);
        const config: NodeConfig = {
          ...cfg,
          port: Number(new URL(urls.get(org)!).port),
          orderer: {
            kind: 'etcd',
            endpoints: etcd.endpoints,
            leaseTtlSec: o.leaseTtlSec ?? 3,
            heightTtlSec: o.heightTtlSec ?? 10,
            pruneEveryMs: o.pruneEveryMs ?? 5000,
          },
          peers: orgs.filter((x) => x !== org).map((x) => ({ org: x, url: urls.get(x)! })),
        };
        writeJson(paths(dir).config, config);
        c.#nodes.set(org, {
          org,
          dir,
          url: urls.get(org)!,
          logFile: join(logs, `${org}.log`),
          child: undefined,
          exited: Promise.resolve(),
        });
      }
      // The first node seeds the demo data (once per ledger); the others start alongside.
      await Promise.all(orgs.map((org, i) => c.#spawn(org, i === 0 && (o.seed ?? true))));
      log(`nodes: ${orgs.map((org) => `${org} ${c.url(org)}`).join(', ')}`);
      return c;
    } catch (e) {
      await c.stop();
      throw e;
    }
  }

  /** True once `stop` was called. */
  get stopping(): boolean {
    return this.#stopping !== undefined;
  }

  /** Organizations that run a node, in layout order. */
  get orgs(): string[] {
    return [...this.#nodes.keys()];
  }

  url(org: string): string {
    return this.#node(org).url;
  }

  /** Every node's API URL by organization. */
  urls(): Map<string, string> {
    return new Map([...this.#nodes].map(([org, n]) => [org, n.url]));
  }

  /** The node's process id, while it runs. */
  pid(org: string): number | undefined {
    const c = this.#node(org).child;
    return c && c.exitCode === null && c.signalCode === null ? c.pid : undefined;
  }

  nodeDir(org: string): string {
    return this.#node(org).dir;
  }

  logFile(org: string): string {
    return this.#node(org).logFile;
  }

  /** The node's log so far. */
  logOf(org: string): string {
    const f = this.#node(org).logFile;
    return existsSync(f) ? readFileSync(f, 'utf8') : '';
  }

  /**
   * Sends a signal to a node's process; for SIGKILL, SIGTERM and SIGINT resolves once it
   * exited.
   */
  async kill(org: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const n = this.#node(org);
    const c = n.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    c.kill(signal);
    if (signal === 'SIGKILL' || signal === 'SIGTERM' || signal === 'SIGINT') {
      if (signal !== 'SIGKILL') c.kill('SIGCONT');
      await n.exited;
    }
  }

  /**
   * Starts a stopped node again on its directory (`peers` replaces its peer list in node.json).
   * @throws if it does not answer within the start timeout
   */
  async restart(org: string, o: { peers?: { org: string; url: string }[] } = {}): Promise<void> {
    const n = this.#node(org);
    if (this.pid(org) !== undefined) throw new Error(`${org} is still running`);
    if (o.peers) writeJson(paths(n.dir).config, { ...readConfig(n.dir), peers: o.peers });
    await this.#spawn(org, false);
  }

  /** The etcd member that is the Raft leader now. */
  etcdLeader(): Promise<EtcdMember> {
    return this.etcd.leader();
  }

  /** Sends a signal to an etcd member (SIGKILL: down until {@link restartEtcd}). */
  killEtcd(m: EtcdMember, signal: NodeJS.Signals = 'SIGKILL'): void {
    this.etcd.kill(m, signal);
  }

  restartEtcd(m: EtcdMember): Promise<void> {
    return this.etcd.restart(m);
  }

  /** An etcd client on this cluster's log (for tests that act as a rogue member). */
  etcdLog(): EtcdLog {
    return new EtcdLog({ endpoints: this.etcd.endpoints, chainId: this.chainId });
  }

  /** Every node's status, asked over HTTP (a node that does not answer has `error`). */
  status(timeoutMs = 2000): Promise<NodeStatusRow[]> {
    return Promise.all(
      [...this.#nodes.values()].map((n) => fetchStatus(n.org, n.url, timeoutMs, this.pid(n.org))),
    );
  }

  /**
   * Resolves once every node in `orgs` (default: every running node) reports the same height,
   * head hash and state digest, at or above `minHeight`.
   * @throws with every node's status if that does not happen within `timeoutMs`
   */
  async waitForSameHead(
    o: { orgs?: string[]; minHeight?: number; timeoutMs?: number } = {},
  ): Promise<{ height: number; headHash: string; stateDigest: string }> {
    const deadline = Date.now() + (o.timeoutMs ?? 30_000);
    for (;;) {
      const orgs = o.orgs ?? this.orgs.filter((org) => this.pid(org) !== undefined);
      const rows = (await this.status()).filter((r) => orgs.includes(r.org));
      const first = rows[0];
      if (
        first?.height !== undefined &&
        first.height >= (o.minHeight ?? 0) &&
        rows.every(
          (r) =>
            r.height === first.height && r.headHash === first.headHash && r.stateDigest === first.stateDigest,
        )
      )
        return { height: first.height, headHash: first.headHash!, stateDigest: first.stateDigest! };
      if (Date.now() > deadline)
        throw new Error(
          `nodes did not reach one head: ${rows.map((r) => `${r.org}=${r.height ?? r.error}${r.halted ? ` halted: ${r.halted}` : ''} ${r.headHash?.slice(0, 12) ?? ''} ${JSON.stringify(r.ordering ?? {})}`).join('; ')}`,
        );
      await sleep(200);
    }
  }

  /** Stops every node (SIGTERM, then SIGKILL after 10 s) and etcd. Idempotent. */
  stop(): Promise<void> {
    return (this.#stopping ??= (async () => {
      await Promise.all(
        [...this.#nodes.values()].map(async (n) => {
          const c = n.child;
          if (!c || c.exitCode !== null || c.signalCode !== null) return;
          c.kill('SIGCONT');
          c.kill('SIGTERM');
          const t = setTimeout(() => c.kill('SIGKILL'), 10_000);
          await n.exited;
          clearTimeout(t);
        }),
      );
      await this.etcd.stop();
      const errors = this.etcd.members.filter((m) => m.stderr.trim() !== '');
      if (errors.length > 0)
        appendFileSync(
          join(this.dir, 'logs', 'etcd.log'),
          errors.map((m) => `--- ${m.name}\n${m.stderr}\n`).join(''),
        );
      process.off('exit', this.#onExit);
    })());
  }

  #node(org: string): NodeProc {
    const n = this.#nodes.get(org);
    if (!n) throw new UsageError(`no node of ${org} in this cluster (${this.orgs.join(', ')})`);
    return n;
  }

  /**
   * Spawns `medledger start` for a node and resolves once it printed its URL (after seeding,
   * with `dev`) and answers `/v1/status`.
   */
  async #spawn(org: string, dev: boolean): Promise<void> {
    const n = this.#node(org);
    const from = existsSync(n.logFile) ? statSync(n.logFile).size : 0;
    const fd = openSync(n.logFile, 'a');
    const args = [BIN, 'start', '--dir', this.dir, '--org', org, ...(dev ? ['--dev'] : [])];
    const extra = (process.env.MEDLEDGER_NODE_EXEC_ARGV ?? '').split(' ').filter(Boolean);
    const child = spawn(process.execPath, [...extra, ...args], { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    n.child = child;
    n.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + (this.#o.startTimeoutMs ?? 60_000);
    const tail = (): string =>
      readFileSync(n.logFile, 'utf8').slice(from).trim().split('\n').slice(-40).join('\n');
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(
          `${org}'s node exited (${child.exitCode ?? child.signalCode}) while starting:\n${tail()}`,
        );
      if (readFileSync(n.logFile, 'utf8').slice(from).includes('listening on ')) {
        const s = await fetchStatus(org, n.url, 1000);
        if (s.error === undefined) return;
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`${org}'s node did not answer at ${n.url} in time:\n${tail()}`);
      }
      await sleep(100);
    }
  }

  /**
   * Marks the fresh etcd log pruned above the highest height any node directory stores, so
   * that a node behind the others syncs the rest from its peers.
   */
  async #markPruned(dirs: string[]): Promise<void> {
    let top = 0;
    for (const d of dirs) {
      if (!existsSync(paths(d).ledger)) continue;
      const s = new LedgerStore(paths(d).ledger, { readonly: true });
      try {
        top = Math.max(top, s.head()?.height ?? 0);
      } finally {
        s.close();
      }
    }
    if (top === 0) return;
    const l = this.etcdLog();
    try {
      await l.client.put(l.prunedKey).value(padHeight(top + 1));
    } finally {
      l.close();
    }
  }
}
