/**
 * Helpers of the chaos suite (`chaos-*.slow.test.ts`): a process cluster on a fresh dev
 * layout, a load of signed transactions submitted through the nodes' HTTP API, and the checks
 * every case ends with — one head hash and state digest on every node, one block hash per
 * height, `medledger verify` passing on each node directory, every acknowledged transaction
 * present with its receipt on every node.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { HashTag, hashTagged, toHex, utf8 } from '@medledger/crypto';
import { MedledgerClient, type Receipt, type Wallet } from '@medledger/client';
import { LedgerStore, paths } from '@medledger/node';
import { ProcessCluster } from '../src/cluster/processCluster.js';
import { memberWallet, readMembers } from '../src/dirs/wallets.js';
import { passphraseFor } from '../src/passphrase.js';
import { runCli, tempDir } from './helpers.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A 3-node process cluster with short leases, on a fresh dev layout with cheap key files. */
export async function chaosCluster(
  o: { leaseTtlSec?: number; heightTtlSec?: number; pruneEveryMs?: number } = {},
): Promise<ProcessCluster> {
  return ProcessCluster.up({
    dir: join(tempDir('medledger-chaos-'), 'layout'),
    nodes: 3,
    scryptN: 1024,
    leaseTtlSec: o.leaseTtlSec ?? 2,
    heightTtlSec: o.heightTtlSec ?? 3,
    pruneEveryMs: o.pruneEveryMs ?? 1000,
  });
}

/**
 * Runs a chaos case on a fresh {@link chaosCluster}: prints the nodes' log tails if it fails
 * (for the CI log) and stops every process whatever happens.
 */
export async function withChaosCluster(
  o: Parameters<typeof chaosCluster>[0],
  run: (c: ProcessCluster) => Promise<void>,
): Promise<void> {
  const c = await chaosCluster(o);
  try {
    await run(c);
  } catch (e) {
    dumpLogs(c);
    throw e;
  } finally {
    await c.stop();
  }
}

/** The doctors' wallets of the layout (their own keys, from the wallets directory). */
export function doctorWallets(c: ProcessCluster): Wallet[] {
  const dir = c.layout.wallets;
  return readMembers(dir)
    .filter((m) => m.role === 'doctor')
    .map((m) => memberWallet(dir, m.label, passphraseFor(dir)));
}

/**
 * Submits batches of signed `record.anchor` transactions to the nodes in turn, continuously,
 * and keeps every receipt a node returned. A node that fails (killed, halted) is skipped
 * until the next round; nothing it did not acknowledge is counted.
 */
export class Load {
  readonly acknowledged = new Map<string, Receipt>();
  failures = 0;
  #seq = 0;
  #stop = false;
  #loops: Promise<void>[] = [];
  readonly #c: ProcessCluster;
  readonly #wallets: Wallet[];
  readonly #tag: string;

  constructor(c: ProcessCluster, tag: string) {
    this.#c = c;
    this.#wallets = doctorWallets(c);
    this.#tag = tag;
  }

  /** Starts `loops` submitters (batches of `batch` transactions, each waiting for its receipts). */
  start(o: { loops?: number; batch?: number; orgs?: () => string[] } = {}): this {
    this.#stop = false;
    for (let i = 0; i < (o.loops ?? 2); i++) this.#loops.push(this.#loop(i, o.batch ?? 10, o.orgs));
    return this;
  }

  async #loop(i: number, batch: number, orgs?: () => string[]): Promise<void> {
    let turn = i;
    // A case that failed stops its cluster, not always its load: the load ends with the cluster.
    while (!this.#stop && !this.#c.stopping) {
      const targets = orgs?.() ?? this.#c.orgs.filter((org) => this.#c.pid(org) !== undefined);
      const org = targets[turn++ % Math.max(1, targets.length)];
      if (org === undefined) {
        await sleep(100);
        continue;
      }
      const client = new MedledgerClient(this.#c.url(org));
      const txs = Array.from({ length: batch }, () => {
        const n = this.#seq++;
        return this.#wallets[n % this.#wallets.length]!.tx({
          chainId: this.#c.chainId,
          type: 'record.anchor',
          payload: {
            recordId: `${this.#tag}-${n}`,
            hash: toHex(hashTagged(HashTag.record, utf8(`${this.#tag}/${n}`))),
          },
          createdAt: Date.now(),
        });
      });
      try {
        const res = await client.submitBatch(txs, { waitMs: 4000 });
        for (const r of res) if (r.status === 'committed') this.acknowledged.set(r.txId, r.receipt);
      } catch {
        this.failures++;
        await sleep(200);
      }
    }
  }

  /** Acknowledged transactions so far. */
  get count(): number {
    return this.acknowledged.size;
  }

  /** Resolves once `n` more transactions were acknowledged. */
  async waitFor(n: number, timeoutMs = 30_000): Promise<void> {
    const target = this.count + n;
    const deadline = Date.now() + timeoutMs;
    while (this.count < target) {
      if (Date.now() > deadline)
        throw new Error(`load: ${this.count} of ${target} acknowledged after ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  async stop(): Promise<void> {
    this.#stop = true;
    await Promise.all(this.#loops);
    this.#loops = [];
  }
}

/** Every stored block hash of a node directory, by height, and its head (the node is stopped). */
export function storedChain(dir: string): {
  hashes: string[];
  proposers: string[];
  height: number;
  hash: string;
  stateDigest: string;
} {
  const s = new LedgerStore(paths(dir).ledger, { readonly: true });
  try {
    const head = s.head()!;
    const hashes: string[] = [];
    const proposers: string[] = [];
    for (let h = 1; h <= head.height; h++) {
      const b = s.getBlock(h)!;
      hashes.push(b.hash);
      proposers.push(b.block.header.proposer);
    }
    return { hashes, proposers, height: head.height, hash: head.hash, stateDigest: head.stateDigest };
  } finally {
    s.close();
  }
}

/** The receipts the directory's ledger holds for transactions (undefined: not there). */
export function storedReceipts(dir: string, ids: Iterable<string>): Map<string, Receipt | undefined> {
  const s = new LedgerStore(paths(dir).ledger, { readonly: true });
  try {
    const out = new Map<string, Receipt | undefined>();
    for (const id of ids) {
      const l = s.getTxLocation(id);
      out.set(
        id,
        l && {
          txId: id,
          height: l.height,
          index: l.index,
          code: l.code,
          blockHash: l.blockHash,
          ...(l.message === undefined ? {} : { message: l.message }),
        },
      );
    }
    return out;
  } finally {
    s.close();
  }
}

/**
 * What every case ends with, on the nodes in `orgs` (default all): the load stopped, one head
 * on every node, then the nodes stopped and, from their directories, one block hash per
 * height and one head and state digest everywhere, every acknowledged transaction present
 * with the receipt the client got, and `medledger verify` passing on each.
 * @returns the common head height
 */
export async function checkConverged(
  c: ProcessCluster,
  loads: Load | Load[],
  o: { orgs?: string[]; minHeight?: number; absent?: string[] } = {},
): Promise<number> {
  const all = Array.isArray(loads) ? loads : [loads];
  for (const l of all) await l.stop();
  const orgs = o.orgs ?? c.orgs;
  const head = await c.waitForSameHead({ orgs, minHeight: o.minHeight ?? 0, timeoutMs: 45_000 });
  await c.stop();
  const chains = orgs.map((org) => storedChain(c.nodeDir(org)));
  for (const [i, ch] of chains.entries()) {
    assert.equal(ch.height, head.height, `${orgs[i]} stored height`);
    assert.equal(ch.hash, head.headHash, `${orgs[i]} stored head hash`);
    assert.equal(ch.stateDigest, head.stateDigest, `${orgs[i]} stored state digest`);
    assert.deepEqual(ch.hashes, chains[0]!.hashes, `${orgs[i]}: one block hash per height`);
  }
  for (const load of all) {
    assert.ok(load.count > 0, 'the load got receipts');
    for (const org of orgs) {
      const stored = storedReceipts(c.nodeDir(org), load.acknowledged.keys());
      for (const [id, r] of load.acknowledged)
        assert.deepEqual(
          stored.get(id),
          r,
          `${org}: acknowledged transaction ${id} is stored as acknowledged`,
        );
    }
  }
  for (const org of orgs)
    for (const [id, r] of storedReceipts(c.nodeDir(org), o.absent ?? []))
      assert.equal(r, undefined, `${org}: transaction ${id} must not be on the ledger`);
  const verified = await Promise.all(orgs.map((org) => runCliVerify(c, org)));
  for (const [i, v] of verified.entries()) {
    assert.equal(v.code, 0, `verify ${orgs[i]}: ${v.stdout}${v.stderr}`);
    assert.match(v.stdout, new RegExp(`^ok: ${head.height} blocks`), `verify ${orgs[i]}`);
  }
  return head.height;
}

/** `medledger verify` of one node directory of the cluster's layout (the node is stopped). */
export function runCliVerify(
  c: ProcessCluster,
  org: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCli(['verify', c.dir, '--org', org]);
}

/** The organization whose node is the block cutter now (asked over HTTP). */
export async function cutterOf(c: ProcessCluster, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = (await c.status()).filter((r) => r.cutter === true);
    if (rows.length === 1) return rows[0]!.org;
    if (Date.now() > deadline)
      throw new Error(`no single cutter: ${rows.map((r) => r.org).join(',') || 'none'}`);
    await sleep(100);
  }
}

/** Prints the tail of every node's log when a case fails (for the CI log). */
export function dumpLogs(c: ProcessCluster | undefined): void {
  if (!c) return;
  for (const org of c.orgs)
    process.stderr.write(`--- ${org}\n${c.logOf(org).split('\n').slice(-25).join('\n')}\n`);
}
