/**
 * A served read is on the ledger even if the node dies the moment it answered: a doctor reads
 * a DSS record through a real node process (`GET /v1/dss/records/:id`), and the node is killed
 * with SIGKILL as soon as the answer arrives — before the access-log batcher's timer (50 ms)
 * could submit anything. After a restart, the read is in a committed `access.log` transaction,
 * exactly once per read (the node wrote the entry to its fsync'd outbox before answering and
 * submitted it again after the restart).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { RecordsClient } from '@medledger/client';
import { LedgerStore } from '@medledger/node';
import { startNodeProcess } from '../src/bench/nodeProcess.js';
import { openWalletFile } from '../src/dirs/wallets.js';
import { start } from '../src/commands/start.js';
import { makeDevDir } from './helpers.js';

const READS = 5;

interface Entry {
  recordId: string;
  requester: string;
  channel: string;
}

/** Every entry of the committed, valid `access.log` transactions in a node's ledger file. */
function loggedReads(ledgerPath: string): Entry[] {
  const store = new LedgerStore(ledgerPath, { readonly: true });
  try {
    const out: Entry[] = [];
    for (let h = 1; h <= (store.head()?.height ?? 0); h++) {
      const b = store.getBlock(h)!;
      b.block.txs.forEach((t, i) => {
        if (t.body.type === 'access.log' && b.result.codes[i] === 'OK')
          out.push(...(t.body.payload as unknown as { entries: Entry[] }).entries);
      });
    }
    return out;
  } finally {
    store.close();
  }
}

test(
  'crash: SIGKILL right after a DSS read is answered — after a restart every answered read is on the ledger, once',
  { timeout: 180_000 },
  async () => {
    const { dir, nodeDir, passphrase, wallets, walletPassphrase } = await makeDevDir();
    const env = { MEDLEDGER_PASSPHRASE: passphrase };
    const client = (label: string, url: string): RecordsClient => {
      const w = openWalletFile(wallets, label, walletPassphrase);
      return new RecordsClient({ baseUrl: url, signerId: w.memberId, privateKey: w.keys.signing.privateKey });
    };
    const resource = {
      resourceType: 'Condition',
      code: { text: 'gastritis' },
      subject: { reference: 'Patient/ep-crash-read' },
      recorder: { reference: 'Practitioner/dr-alice' },
    };
    const seeded = await start({ dir, dev: true, port: 0, log: () => {} });
    let chen: string;
    try {
      const bob = client('bob', seeded.url);
      const alice = client('dr-alice', seeded.url);
      chen = client('dr-chen', seeded.url).memberId;
      await bob.setCareTeam([alice.memberId]);
      await alice.writeDss({
        recordId: 'crash-read-1',
        patient: bob.memberId,
        category: 'clinical',
        resource,
      });
    } finally {
      await seeded.close();
    }
    const ledgerPath = join(nodeDir, 'ledger.sqlite');
    const before = loggedReads(ledgerPath).filter((e) => e.requester === chen).length;
    assert.equal(before, 0);

    for (let i = 0; i < READS; i++) {
      const node = await startNodeProcess(nodeDir, env);
      const got = await client('dr-chen', node.url).readDss('crash-read-1');
      node.child.kill('SIGKILL'); // the moment the answer is in
      await new Promise((r) => node.child.once('exit', r));
      assert.deepEqual(got.resource, resource);
    }

    // Restart: the node submits what its outbox holds; wait until it has committed.
    const node = await startNodeProcess(nodeDir, env);
    try {
      const deadline = Date.now() + 30_000;
      let reads = 0;
      while (Date.now() < deadline) {
        reads = loggedReads(ledgerPath).filter(
          (e) => e.requester === chen && e.recordId === 'crash-read-1',
        ).length;
        if (reads >= READS) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(reads, READS, `every answered read is on the ledger once (${reads} of ${READS})`);
    } finally {
      node.child.kill('SIGTERM');
      await new Promise((r) => node.child.once('exit', r));
      rmSync(join(dir, '..'), { recursive: true, force: true });
    }
  },
);
