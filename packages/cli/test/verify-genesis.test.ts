/**
 * `medledger verify DIR` checks that the ledger's genesis is the node directory's genesis: a
 * valid ledger of another consortium is refused, as the node itself refuses it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toB64u } from '@medledger/crypto';
import { MedledgerNode, createConsortium, type Consortium } from '@medledger/node';
import { Wallet } from '@medledger/client';
import { verify } from '../src/commands/verify.js';
import { tempDir } from './helpers.js';
import type { TxType } from '@medledger/core';

const consortium = (name: string): Promise<Consortium> =>
  createConsortium({
    chainName: name,
    genesisTime: Date.now() - 60_000,
    orgs: [{ id: 'hospitalA', name: 'Hospital A', role: 'cdo' }],
    members: [{ label: 'carol', org: 'hospitalA', role: 'nurse' }],
    ordering: { maxTxs: 100, maxBytes: 1 << 20, timeoutMs: 10 },
  });

/** A node directory with a small ledger. */
async function makeNodeDir(
  c: Consortium,
): Promise<{ dir: string; ledger: string; refused: string; enrolled: string }> {
  const dir = tempDir('medledger-verify-');
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

test("verify: a valid ledger of another consortium is refused against the directory's genesis", async () => {
  const mine = await makeNodeDir(await consortium('verify-mine'));
  const theirs = await makeNodeDir(await consortium('verify-theirs'));
  assert.equal((await verify(mine.dir)).ok, true);
  copyFileSync(theirs.ledger, mine.ledger);
  const r = await verify(mine.dir);
  assert.equal(r.ok, false, 'another consortium’s ledger accepted');
  assert.match((r as { reason: string }).reason, /another genesis/);
});
