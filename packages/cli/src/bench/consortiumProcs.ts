/**
 * The consortium the `bench consortium` command measures: a 3-member etcd cluster (Debian's
 * etcd, `EtcdCluster`) and one `medledger start` child process per organization, each in its
 * own node directory with only its own node key and its own passphrase, ordered by etcd
 * (`node.json` orderer `etcd`, the ordering defaults of genesis and of the node) and
 * listing the other nodes as peers to sync from. Nodes can be SIGKILLed and restarted on
 * their directory and port; their peak RSS is sampled from /proc while they run.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes, sealKey, toB64u } from '@medledger/crypto';
import {
  EtcdCluster,
  createConsortium,
  freePort,
  nodeKeyLabel,
  paths,
  writeKeyFile,
  type Consortium,
  type NodeConfig,
} from '@medledger/node';
import { peakRssMb, startNodeProcess } from './nodeProcess.js';

/** One organization's node process. */
export interface BenchNode {
  org: string;
  dir: string;
  url: string;
  port: number;
  child: ChildProcess;
  passphrase: string;
  /** Killed on purpose and not restarted yet. */
  down: boolean;
  /** Highest VmHWM seen over every process this node ran as (MB). */
  peakRssMb: number;
}

export interface BenchConsortium {
  root: string;
  etcd: EtcdCluster;
  consortium: Consortium;
  nodes: BenchNode[];
  /** Reads every running node's peak RSS into `peakRssMb`. */
  sampleRss(): void;
  /** SIGKILLs a node's process and waits for it to exit. */
  kill(node: BenchNode): Promise<void>;
  /** Starts a killed node again on its directory and port. */
  restart(node: BenchNode): Promise<void>;
  /** Stops every node (SIGTERM) and etcd. */
  stop(): Promise<void>;
}

const ORGS = ['hospitalA', 'hospitalB', 'gpclinic', 'insurer', 'institute'];

/**
 * Creates the consortium in `root` and starts etcd and the nodes.
 * @param signers members (doctors, spread over the organizations) the load is signed by
 */
export async function launchBenchConsortium(o: {
  root: string;
  nodes: number;
  signers: number;
  log: (s: string) => void;
}): Promise<BenchConsortium> {
  if (!Number.isInteger(o.nodes) || o.nodes < 2 || o.nodes > ORGS.length)
    throw new Error(`--nodes must be 2 to ${ORGS.length}`);
  const orgs = ORGS.slice(0, o.nodes);
  const consortium = await createConsortium({
    chainName: 'bench-consortium',
    genesisTime: Date.now() - 60_000,
    orgs: orgs.map((id) => ({ id, name: id, role: 'cdo' as const })),
    members: Array.from({ length: o.signers }, (_, i) => ({
      label: `signer-${i}`,
      org: orgs[i % orgs.length]!,
      role: 'doctor',
    })),
  });
  o.log(`starting a 3-member etcd cluster and ${o.nodes} node processes in ${o.root}...`);
  const etcd = await EtcdCluster.start({ dir: join(o.root, 'etcd') });
  const nodes: BenchNode[] = [];
  try {
    const ports = await Promise.all(orgs.map(() => freePort()));
    for (const [i, org] of orgs.entries()) {
      const dir = join(o.root, org);
      mkdirSync(dir, { recursive: true });
      const passphrase = toB64u(randomBytes(18));
      const mat = consortium.orgs.get(org)!;
      writeKeyFile(
        dir,
        sealKey({ label: nodeKeyLabel(org), keyType: 'p256', ...mat.node, passphrase, N: 1024 }),
      );
      writeFileSync(paths(dir).genesis, JSON.stringify(consortium.genesis));
      const config: NodeConfig = {
        org,
        host: '127.0.0.1',
        port: ports[i]!,
        nodeKey: nodeKeyLabel(org),
        orderer: { kind: 'etcd', endpoints: etcd.endpoints },
        peers: orgs.flatMap((p, k) => (p === org ? [] : [{ org: p, url: `http://127.0.0.1:${ports[k]}` }])),
      };
      writeFileSync(paths(dir).config, JSON.stringify(config));
      nodes.push({
        org,
        dir,
        port: ports[i]!,
        passphrase,
        url: '',
        child: undefined!,
        down: true,
        peakRssMb: 0,
      });
    }
    await Promise.all(nodes.map((n) => spawnNode(n)));
  } catch (e) {
    for (const n of nodes) n.child?.kill('SIGKILL');
    await etcd.stop();
    throw e;
  }
  // Node processes die with this one (an interrupted benchmark leaves none behind).
  const onExit = (): void => nodes.forEach((n) => n.child.kill('SIGKILL'));
  process.once('exit', onExit);
  const sampleRss = (): void => {
    for (const n of nodes) {
      if (n.down) continue;
      try {
        n.peakRssMb = Math.max(n.peakRssMb, peakRssMb(n.child.pid!));
      } catch {
        /* exited between the check and the read */
      }
    }
  };
  return {
    root: o.root,
    etcd,
    consortium,
    nodes,
    sampleRss,
    async kill(n) {
      sampleRss();
      n.down = true;
      const exited = new Promise((r) => n.child.once('exit', r));
      n.child.kill('SIGKILL');
      await exited;
    },
    restart: spawnNode,
    async stop() {
      process.off('exit', onExit);
      await Promise.all(
        nodes.map(async (n) => {
          if (n.child.exitCode !== null || n.child.signalCode !== null) return;
          const exited = new Promise((r) => n.child.once('exit', r));
          n.child.kill('SIGTERM');
          const t = setTimeout(() => n.child.kill('SIGKILL'), 10_000);
          await exited;
          clearTimeout(t);
        }),
      );
      await etcd.stop();
    },
  };
}

async function spawnNode(n: BenchNode): Promise<void> {
  const { child, url } = await startNodeProcess(n.dir, { MEDLEDGER_PASSPHRASE: n.passphrase }, n.port);
  // Drain the node's output so that its pipes never fill up and block it.
  child.stdout?.resume();
  child.stderr?.resume();
  Object.assign(n, { child, url, down: false });
}
