/**
 * The consortium the `bench consortium` command measures, started by the process-cluster
 * library (`cluster/processCluster.ts`, the same as `medledger cluster up`): a dev layout
 * made with `init --dev --nodes N` (each organization in its own directory with its own
 * passphrase), a 3-member etcd cluster, and one `medledger start` child process per node
 * directory, ordered by etcd with the default lease and listing the other nodes as peers.
 * The demo data is seeded through the first node, which enrolls the demo doctors whose
 * wallets sign the load. This module adds what the benchmark needs on top: the nodes as load
 * targets, each node's peak RSS sampled from /proc over all of its processes, and a `down`
 * flag set before a node is killed, so that the load knows its errors are expected.
 */
import { join } from 'node:path';
import { signRequest, type Wallet } from '@medledger/client';
import { importP256PrivateKey } from '@medledger/crypto';
import type { EtcdCluster } from '@medledger/node';
import { ProcessCluster } from '../cluster/processCluster.js';
import { memberWallet, openWalletFile, readMembers } from '../dirs/wallets.js';
import { passphraseFor } from '../passphrase.js';
import { peakRssMb } from './nodeProcess.js';

/** One organization's node. */
export interface BenchNode {
  org: string;
  url: string;
  /** Killed on purpose and not restarted yet. */
  down: boolean;
  /** Highest VmHWM seen over every process this node ran as (MB). */
  peakRssMb: number;
}

export interface BenchConsortium {
  cluster: ProcessCluster;
  etcd: EtcdCluster;
  chainId: string;
  nodes: BenchNode[];
  /** The enrolled demo doctors' wallets, which sign the load. */
  signers: Wallet[];
  /** Signs a request to a node as the first demo doctor (signed requests may wait a minute). */
  signRequest(org: string, method: string, path: string, body?: Uint8Array): string;
  /** The node's process id while it runs. */
  pid(node: BenchNode): number | undefined;
  /** Reads every running node's peak RSS into `peakRssMb`. */
  sampleRss(): void;
  /** SIGKILLs a node's process and waits for it to exit. */
  kill(node: BenchNode): Promise<void>;
  /** Starts a killed node again on its directory and port. */
  restart(node: BenchNode): Promise<void>;
  /** Stops every node and etcd. */
  stop(): Promise<void>;
}

/** Makes a dev layout with `nodes` nodes under `root` and starts it. */
export async function launchBenchConsortium(o: {
  root: string;
  nodes: number;
  log: (s: string) => void;
}): Promise<BenchConsortium> {
  o.log(`starting a 3-member etcd cluster and ${o.nodes} node processes in ${o.root} (cluster up)...`);
  const cluster = await ProcessCluster.up({ dir: join(o.root, 'layout'), nodes: o.nodes, log: o.log });
  try {
    // The seed went through the first node; every node has it before the load starts.
    await cluster.waitForSameHead({ timeoutMs: 60_000 });
    const wallets = cluster.layout.wallets;
    const pass = passphraseFor(wallets);
    const signers = readMembers(wallets)
      .filter((m) => m.role === 'doctor')
      .map((m) => memberWallet(wallets, m.label, pass));
    if (signers.length === 0) throw new Error('the dev layout has no doctors to sign the load');
    const doctor = openWalletFile(
      wallets,
      readMembers(wallets).find((m) => m.role === 'doctor')!.label,
      pass,
    );
    const requestKey = importP256PrivateKey(doctor.keys.signing.privateKey);
    const nodes: BenchNode[] = cluster.orgs.map((org) => ({
      org,
      url: cluster.url(org),
      down: false,
      peakRssMb: 0,
    }));
    const pid = (n: BenchNode): number | undefined => cluster.pid(n.org);
    const sampleRss = (): void => {
      for (const n of nodes) {
        const p = n.down ? undefined : pid(n);
        if (p === undefined) continue;
        try {
          n.peakRssMb = Math.max(n.peakRssMb, peakRssMb(p));
        } catch {
          /* exited between the check and the read */
        }
      }
    };
    return {
      cluster,
      etcd: cluster.etcd,
      chainId: cluster.chainId,
      nodes,
      signers,
      signRequest: (org, method, path, body) =>
        signRequest({
          audience: { chainId: cluster.chainId, node: org },
          signerId: doctor.memberId,
          privateKey: requestKey,
          method,
          path,
          ts: Date.now(),
          ...(body === undefined ? {} : { body }),
        }),
      pid,
      sampleRss,
      async kill(n) {
        sampleRss();
        n.down = true;
        await cluster.kill(n.org, 'SIGKILL');
      },
      async restart(n) {
        await cluster.restart(n.org);
        n.down = false;
      },
      stop: () => cluster.stop(),
    };
  } catch (e) {
    await cluster.stop();
    throw e;
  }
}
