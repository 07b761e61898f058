/**
 * `medledger bench sync --dir D [--json]`: how fast a new node catches up on a ledger
 * `medledger generate` built in D.
 *
 * Starts D's node as a child process (the source, serving `GET /v1/sync/blocks`), then opens a
 * new, empty ledger in a temp directory for the same organization's node, as on a machine
 * that replaces it: only genesis and the node key. That node runs the node's block sync
 * (`PeerSync`, what an etcd node runs for the blocks etcd no longer holds): blocks fetched 64
 * at a time with the request signed by the node key, each block fully verified (links, Merkle
 * root, proposer, every signature) and applied through the node's commit path. PeerSync logs
 * its rate every 5 s. Reports blocks/s and tx/s, the new node's peak RSS (this process) and
 * store size, and checks that the new node's head is the source's, block hash and state
 * digest both.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { importP256PrivateKey } from '@medledger/crypto';
import {
  MedledgerNode,
  PeerSync,
  loadPrivateKey,
  paths,
  readConfig,
  readGenesis,
  type BlockHandler,
  type Orderer,
} from '@medledger/node';
import { MedledgerClient } from '@medledger/client';
import { peakRssMb, startNodeProcess } from './nodeProcess.js';
import { nodeDirOf, readFixture } from './scaleSetup.js';
import { round } from './stats.js';

/** Options of {@link benchSync}. */
export interface SyncBenchOptions {
  dir: string;
  log: (s: string) => void;
}

/** An orderer that cuts nothing: the node only applies the blocks its sync hands it. */
class SyncOnlyOrderer implements Orderer {
  readonly name = 'sync-only';
  onBlock: BlockHandler | undefined;
  order(): Promise<void> {
    return Promise.reject(new Error('this node only syncs'));
  }
  start(_view: unknown, onBlock: BlockHandler): Promise<void> {
    this.onBlock = onBlock;
    return Promise.resolve();
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
}

const fileBytes = (p: string): number => {
  try {
    return statSync(p).size;
  } catch {
    return 0;
  }
};

/**
 * Runs the benchmark (see the module comment); returns one JSON-able object:
 * `{ bench: 'sync', txs, blocks, seconds, blocksPerSec, txPerSec, sameHead, peakRssMb, ... }`.
 * @throws Error if D holds no generated ledger, or the sync fails or ends at another head
 */
export async function benchSync(o: SyncBenchOptions): Promise<Record<string, unknown>> {
  const f = readFixture(o.dir);
  if (!f.chainId) throw new Error(`${o.dir}: the generator did not finish (no chain id in scale.json)`);
  const source = nodeDirOf(o.dir);
  const config = readConfig(source);
  const genesis = readGenesis(source);
  const nodeKey = loadPrivateKey(source, config.nodeKey, f.passphrase);
  const { child, url } = await startNodeProcess(source, { MEDLEDGER_PASSPHRASE: f.passphrase });
  const work = mkdtempSync(join(tmpdir(), 'medledger-bench-sync-'));
  let node: MedledgerNode | undefined;
  try {
    const head = (await new MedledgerClient(url).status()) as unknown as {
      height: number;
      headHash: string;
      stateDigest: string;
    };
    const orderer = new SyncOnlyOrderer();
    const ledgerPath = paths(work).ledger;
    node = await MedledgerNode.open({ ledgerPath, genesis, org: config.org, nodeKey, orderer });
    const n = node;
    const sync = new PeerSync({
      // The source is this organization's own node; PeerSync skips a peer of its own org name.
      peers: [{ org: `${config.org}-source`, url }],
      org: config.org,
      nodeKey: importP256PrivateKey(nodeKey),
      state: n.store,
      log: o.log,
    });
    o.log(`syncing ${head.height} blocks from ${url} into a new ledger...`);
    await sync.catchUp(1, head.height, (b) => orderer.onBlock!(b, 'sync'));
    const rate = sync.lastRate;
    if (!rate) throw new Error('the sync applied no block');
    // A block is applied before it is durable; the head moves when the writer has it on disk.
    for (let i = 0; i < 600 && n.head().height < head.height; i++)
      await new Promise((r) => setTimeout(r, 50));
    const mine = n.head();
    const sameHead =
      mine.height === head.height && mine.hash === head.headHash && mine.stateDigest === head.stateDigest;
    if (!sameHead)
      throw new Error(
        `the synced node is at ${mine.height} ${mine.hash}, the source at ${head.height} ${head.headHash}`,
      );
    return {
      bench: 'sync',
      txs: rate.txs,
      blocks: rate.blocks,
      height: mine.height,
      seconds: rate.seconds,
      blocksPerSec: rate.blocksPerSec,
      txPerSec: rate.txPerSec,
      sameHead,
      syncedLedgerBytes: fileBytes(ledgerPath) + fileBytes(`${ledgerPath}-wal`),
      peakRssMb: round(peakRssMb(process.pid), 1),
      sourcePeakRssMb: round(peakRssMb(child.pid!), 1),
      loadAverage: loadavg().map((x) => round(x, 2)),
    };
  } finally {
    await node?.close();
    rmSync(work, { recursive: true, force: true });
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  }
}
