/**
 * The cutter's block write is fenced three ways in one etcd transaction (EtcdLog.createBlock):
 * its campaign key, an absent block key, and the pruned mark. The last one closes a fork: a
 * node that started late and is still syncing pruned blocks from peers could win the election
 * and, since pruning deleted `blocks/<h>`, find a committed height "absent" and write a second,
 * different block there (seen under load in consortium-flows: "etcd holds a different block at
 * height 1 than this node applied", the other nodes halted). Real etcd (Debian etcd 3.4).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdCluster, EtcdLog } from '../src/index.js';

let root: string;
let etcd: EtcdCluster;
const logs: EtcdLog[] = [];
const newLog = (): EtcdLog => {
  const l = new EtcdLog({ endpoints: etcd.endpoints, chainId: 'fence-test' });
  logs.push(l);
  return l;
};

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'medledger-fence-'));
  etcd = await EtcdCluster.start({ dir: root, members: 1 });
});
after(async () => {
  for (const l of logs) l.client.close();
  await etcd.stop();
  rmSync(root, { recursive: true, force: true });
});

test('security: a cutter cannot write a block at a height pruned from etcd, even from a node that never saw the mark; a stale mark is read again', async () => {
  const a = newLog();
  const campaign = `${a.prefix}cutter/test-campaign`;
  await a.client.put(campaign).value('a');
  for (const h of [1, 2, 3])
    assert.deepEqual(await a.createBlock(campaign, h, `block ${h}`), { outcome: 'created' });
  assert.deepEqual(await a.createBlock(campaign, 3, 'other block 3'), { outcome: 'exists' });
  assert.notEqual(await a.pruneBelow(3), undefined);

  // The same writer, and a second node's log that never read the mark.
  assert.deepEqual(await a.createBlock(campaign, 1, 'forked block 1'), { outcome: 'pruned', below: 3 });
  const b = newLog();
  assert.deepEqual(await b.createBlock(campaign, 2, 'forked block 2'), { outcome: 'pruned', below: 3 });
  assert.equal(
    (await a.client.get(a.blockKey(1)).exec()).kvs.length,
    0,
    'no block written at a pruned height',
  );
  assert.equal((await a.client.get(a.blockKey(2)).exec()).kvs.length, 0);

  // b prunes further; a's remembered mark is stale, and its write is decided again.
  assert.deepEqual(await b.createBlock(campaign, 4, 'block 4'), { outcome: 'created' });
  assert.deepEqual(await b.createBlock(campaign, 5, 'block 5'), { outcome: 'created' });
  assert.notEqual(await b.pruneBelow(5), undefined);
  assert.deepEqual(await a.createBlock(campaign, 4, 'forked block 4'), { outcome: 'pruned', below: 5 });
  assert.equal((await a.client.get(a.blockKey(4)).exec()).kvs.length, 0);
  assert.deepEqual(await a.createBlock(campaign, 6, 'block 6'), { outcome: 'created' });
});

test('security: a cutter whose campaign key is gone (lease lost) writes nothing', async () => {
  const a = newLog();
  const campaign = `${a.prefix}cutter/lost-campaign`;
  assert.deepEqual(await a.createBlock(campaign, 7, 'block 7'), { outcome: 'not-leader' });
  assert.equal((await a.client.get(a.blockKey(7)).exec()).kvs.length, 0);
});
