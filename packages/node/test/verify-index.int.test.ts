/**
 * `verifyLedger` checks what the node trusts beyond the blocks: the transaction index (every
 * row belongs to a block and carries the code the replay gives; every transaction of a block
 * has its row), the block index (run heads and offsets, store/commitSql.ts) and, given the genesis the node runs, that the ledger is of that genesis.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { toB64u } from '@medledger/crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Wallet } from '@medledger/client';
import { MedledgerNode, createConsortium, verifyLedger, type Consortium } from '../src/index.js';
import type { TxType } from '@medledger/core';

const consortium = (name: string): Promise<Consortium> =>
  createConsortium({
    chainName: name,
    genesisTime: Date.now() - 60_000,
    orgs: [{ id: 'hospitalA', name: 'Hospital A', role: 'cdo' }],
    members: [{ label: 'carol', org: 'hospitalA', role: 'nurse' }],
    ordering: { maxTxs: 100, maxBytes: 1 << 20, timeoutMs: 10 },
  });

/** A node directory with a small ledger: carol enrolled, and a refused revocation. */
async function makeNodeDir(
  c: Consortium,
): Promise<{ dir: string; ledger: string; refused: string; enrolled: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'medledger-verify-'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'genesis.json'), JSON.stringify(c.genesis));
  const ledger = join(dir, 'ledger.sqlite');
  const node = await MedledgerNode.open({
    ledgerPath: ledger,
    genesis: c.genesis,
    org: 'hospitalA',
    nodeKey: c.orgs.get('hospitalA')!.node.privateKey,
    sigWorkers: 1,
  });
  try {
    const org = new Wallet({
      signerId: 'org:hospitalA',
      privateKey: c.orgs.get('hospitalA')!.root.privateKey,
    });
    const carol = c.members[0]!;
    const tx = (type: TxType, payload: Record<string, string>) =>
      org.txFromJson({ chainId: node.chainId, type, payload, createdAt: Date.now() });
    const refused = await node.submit(tx('registry.revoke', { memberId: carol.memberId, reason: 'x' }));
    assert.equal((await node.waitForReceipt(refused.txId, 5000))?.code, 'UNKNOWN_MEMBER');
    const enrolled = await node.submit(tx('registry.enroll', { certificate: toB64u(carol.certificate) }));
    assert.equal((await node.waitForReceipt(enrolled.txId, 5000))?.code, 'OK');
    return { dir, ledger, refused: refused.txId, enrolled: enrolled.txId };
  } finally {
    await node.close();
  }
}

function tampered(ledger: string, name: string, sql: string, ...args: unknown[]): string {
  const copy = `${ledger}.${name}`;
  copyFileSync(ledger, copy);
  const db = new Database(copy);
  db.prepare(sql).run(...args);
  db.close();
  return copy;
}

test('verify: a transaction index row that disagrees with the replay is caught', async () => {
  const { ledger, refused, enrolled } = await makeNodeDir(await consortium('verify-index'));
  assert.equal((await verifyLedger(ledger, { sigWorkers: 1 })).ok, true, 'the untouched ledger verifies');
  const cases: [string, string, ...unknown[]][] = [
    ['recoded', "UPDATE txs SET code = 'OK', msg = NULL WHERE id = ?", refused],
    ['dropped', 'DELETE FROM txs WHERE id = ?', refused],
    ['moved', 'UPDATE txs SET idx = 7 WHERE id = ?', enrolled],
    [
      'invented',
      "INSERT INTO txs (id, height, idx, code, msg) VALUES (?, 1, 0, 'OK', NULL)",
      'ab'.repeat(32),
    ],
  ];
  for (const [name, sql, ...args] of cases) {
    const r = await verifyLedger(tampered(ledger, name, sql, ...args), { sigWorkers: 1 });
    assert.equal(r.ok, false, `${name} row accepted`);
    assert.match((r as { reason: string }).reason, /transaction index/, name);
  }
});

test("verify: a ledger checked against another consortium's genesis is refused", async () => {
  const mine = await makeNodeDir(await consortium('verify-mine'));
  const other = await consortium('verify-theirs');
  const r = await verifyLedger(mine.ledger, { sigWorkers: 1, genesis: other.genesis });
  assert.equal(r.ok, false);
  assert.match((r as { reason: string }).reason, /another genesis/);
});

test('verify: a block index row (run heads, transaction offsets) that differs from its block is caught', async () => {
  const { ledger } = await makeNodeDir(await consortium('verify-block-index'));
  const cases: [string, string][] = [
    ['tx-heads', 'UPDATE block_index SET tx_heads = zeroblob(length(tx_heads)) WHERE height = 1'],
    ['code-heads', 'UPDATE block_index SET code_heads = randomblob(length(code_heads)) WHERE height = 2'],
    ['offsets', 'UPDATE block_index SET tx_offsets = zeroblob(length(tx_offsets)) WHERE height = 1'],
    ['run', 'UPDATE block_index SET run = 8 WHERE height = 2'],
  ];
  for (const [name, sql] of cases) {
    const r = await verifyLedger(tampered(ledger, name, sql), { sigWorkers: 1 });
    assert.equal(r.ok, false, `${name} accepted`);
    assert.match((r as { reason: string }).reason, /block index/, name);
  }
  // A block stored before the index existed has no row: still a valid ledger.
  const r = await verifyLedger(tampered(ledger, 'no-index', 'DELETE FROM block_index'), { sigWorkers: 1 });
  assert.equal(r.ok, true);
});
