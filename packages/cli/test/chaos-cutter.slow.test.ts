/**
 * Chaos on real processes, the block cutter: its node SIGKILLed under load (another node is
 * elected and no height is written twice), and its node paused (SIGSTOP) past the cutter's
 * lease and continued (SIGCONT): the paused cutter is fenced out and the chain keeps one
 * block per height.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkConverged, cutterOf, Load, sleep, storedChain, withChaosCluster } from './chaosHelpers.js';

test(
  'chaos: SIGKILL of the cutter’s node under load: another node becomes the cutter, no height is written twice, the restarted node catches up',
  { timeout: 150_000 },
  () =>
    withChaosCluster({}, async (c) => {
      const load = new Load(c, 'cutter-kill').start();
      await load.waitFor(60);
      const cutter = await cutterOf(c);
      await c.kill(cutter, 'SIGKILL');
      const next = await cutterOf(c, 20_000);
      assert.notEqual(next, cutter, 'a new cutter is elected');
      await load.waitFor(150, 45_000);
      await c.restart(cutter);
      await load.waitFor(60, 30_000);
      await checkConverged(c, load);
      // One chain: blocks cut by the killed node's cutter, then by the new one.
      const proposers = new Set(storedChain(c.nodeDir(next)).proposers);
      assert.ok(proposers.has(cutter) && proposers.has(next), [...proposers].join(','));
    }),
);

test(
  'chaos: the cutter paused (SIGSTOP) past its lease is fenced out; after SIGCONT the chain still has one block per height',
  { timeout: 150_000 },
  () =>
    withChaosCluster({ leaseTtlSec: 2 }, async (c) => {
      const paused = new Set<string>();
      const load = new Load(c, 'cutter-stop').start({ orgs: () => c.orgs.filter((o) => !paused.has(o)) });
      await load.waitFor(60);
      const cutter = await cutterOf(c);
      // The cutter's campaign key: its block writes are conditioned on this key existing.
      const log = c.etcdLog();
      const campaigns = await log.client
        .getAll()
        .prefix(`election/${log.electionName}/`)
        .sort('Create', 'Ascend')
        .exec();
      const campaignKey = campaigns.kvs.find((kv) => kv.value.toString() === cutter)!.key.toString();
      paused.add(cutter);
      await c.kill(cutter, 'SIGSTOP');
      const others = c.orgs.filter((o) => o !== cutter);
      const next = await cutterOf(c, 20_000);
      assert.ok(others.includes(next), `a running node cuts (${next})`);
      await load.waitFor(150, 45_000);
      await sleep(2500); // well past the lease
      await c.kill(cutter, 'SIGCONT');
      paused.delete(cutter);
      await load.waitFor(100, 30_000);
      // The continued node follows the new cutter's blocks; it does not cut.
      assert.equal(await cutterOf(c), next);
      // Fenced out: its campaign key died with its lease, so a block write conditioned on it —
      // the write it would make — fails, whatever the height.
      assert.equal(
        (await log.client.get(campaignKey).exec()).kvs.length,
        0,
        'the paused campaign key is gone',
      );
      const height = (await c.status()).find((r) => r.org === next)!.height!;
      const stale = await log.client
        .if(campaignKey, 'Create', '>', 0)
        .and(log.blockKey(height + 1000), 'Create', '==', 0)
        .then(log.client.put(log.blockKey(height + 1000)).value('{}'))
        .commit();
      assert.equal(stale.succeeded, false, 'a write under the stale campaign key is refused');
      log.close();
      const height2 = await checkConverged(c, load);
      // Blocks were cut by the paused cutter before, and by the new one after.
      const proposers = storedChain(c.nodeDir(next)).proposers;
      assert.equal(proposers.length, height2);
      assert.ok(proposers.includes(cutter) && proposers.includes(next));
    }),
);
