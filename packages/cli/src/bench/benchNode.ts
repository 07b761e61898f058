/**
 * The one-node consortium of `bench ledger` and `bench appends`: one organization (`bench`, a
 * CDO) with the members asked for, its node directory in a temp dir (the sealed node key,
 * genesis, node.json), the node started as a child process (`medledger start`: SQLite, solo
 * ordering, HTTP API) and every member enrolled by the organization before it is handed over.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { randomBytes, sealKey, toB64u } from '@medledger/crypto';
import { MedledgerClient, Wallet } from '@medledger/client';
import { createConsortium, paths, writeKeyFile, type Consortium, type NodeConfig } from '@medledger/node';
import { startNodeProcess } from './nodeProcess.js';

export interface BenchNode {
  consortium: Consortium;
  child: ChildProcess;
  url: string;
  chainId: string;
  client: MedledgerClient;
  /** Stops the node and removes its directory. */
  stop(): Promise<void>;
}

/**
 * Starts the bench consortium's node with `members` enrolled.
 * @throws Error if the node does not start or an enrollment is not committed OK (nothing is
 *   left running, the directory is removed)
 */
export async function startBenchNode(
  chainName: string,
  members: readonly { label: string; role: string }[],
): Promise<BenchNode> {
  const dir = mkdtempSync(join(tmpdir(), `medledger-${chainName}-`));
  const passphrase = toB64u(randomBytes(18));
  const consortium = await createConsortium({
    chainName,
    genesisTime: Date.now() - 60_000,
    orgs: [{ id: 'bench', name: 'Bench hospital', role: 'cdo' }],
    members: members.map((m) => ({ ...m, org: 'bench' })),
  });
  const org = consortium.orgs.get('bench')!;
  writeKeyFile(dir, sealKey({ label: 'node-bench', keyType: 'p256', ...org.node, passphrase, N: 1024 }));
  writeFileSync(paths(dir).genesis, JSON.stringify(consortium.genesis));
  const config: NodeConfig = { org: 'bench', host: '127.0.0.1', port: 0, nodeKey: 'node-bench' };
  writeFileSync(paths(dir).config, JSON.stringify(config));
  let child: ChildProcess | undefined;
  const stop = async (): Promise<void> => {
    if (child && child.exitCode === null) {
      const c = child;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const started = await startNodeProcess(dir, { MEDLEDGER_PASSPHRASE: passphrase });
    child = started.child;
    const client = new MedledgerClient(started.url);
    const chainId = (await client.status()).chainId;
    const orgWallet = new Wallet({ signerId: 'org:bench', privateKey: org.root.privateKey });
    const enrolled = await client.submitBatch(
      consortium.members.map((m) =>
        orgWallet.tx({
          chainId,
          type: 'registry.enroll',
          payload: { certificate: toB64u(m.certificate) },
          createdAt: Date.now(),
        }),
      ),
      { waitMs: 30_000 },
    );
    const bad = enrolled.find((r) => r.status !== 'committed' || r.receipt.code !== 'OK');
    if (bad) throw new Error(`enrollment failed: ${JSON.stringify(bad)}`);
    return { consortium, child, url: started.url, chainId, client, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
