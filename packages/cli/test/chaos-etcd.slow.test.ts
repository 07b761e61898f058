/**
 * Chaos on real processes: the etcd Raft leader is SIGKILLed while clients submit signed
 * transactions through the nodes' HTTP API. etcd elects another leader, the nodes go on
 * committing, and after the member is back every node holds one chain with every
 * acknowledged transaction.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkConverged, Load, withChaosCluster } from './chaosHelpers.js';

test(
  'chaos: SIGKILL of the etcd leader under load loses no acknowledged transaction, and every node ends on one verified chain',
  { timeout: 150_000 },
  () =>
    withChaosCluster({}, async (c) => {
      const load = new Load(c, 'etcd-leader').start();
      await load.waitFor(60);
      const leader = await c.etcdLeader();
      c.killEtcd(leader, 'SIGKILL');
      const atKill = load.count;
      // Two members of three are a quorum: commits go on.
      await load.waitFor(150, 45_000);
      const next = await c.etcdLeader();
      assert.notEqual(next.name, leader.name, 'another member leads');
      await c.restartEtcd(leader);
      await load.waitFor(60, 30_000);
      assert.ok(load.count > atKill + 150);
      await checkConverged(c, load);
    }),
);
