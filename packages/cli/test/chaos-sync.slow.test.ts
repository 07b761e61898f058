/**
 * Chaos on real processes, block sync: a follower node SIGKILLed while the others keep
 * committing until etcd pruned the blocks it missed; restarted, it fetches them from its
 * peers, checks each, and follows etcd again. And a peer that serves a tampered block during
 * that sync: the block is refused, the peer dropped, and the next peer serves the height.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { ProcessCluster } from '../src/cluster/processCluster.js';
import { checkConverged, cutterOf, Load, sleep, storedChain, withChaosCluster } from './chaosHelpers.js';

/** Kills a follower and commits until etcd pruned beyond what it stored; returns it and its height. */
async function followerBehindPrunedLog(
  c: ProcessCluster,
  load: Load,
): Promise<{ org: string; height: number }> {
  await load.waitFor(40);
  const cutter = await cutterOf(c);
  const org = c.orgs.find((o) => o !== cutter)!;
  await c.kill(org, 'SIGKILL');
  const height = storedChain(c.nodeDir(org)).height;
  const log = c.etcdLog();
  try {
    const deadline = Date.now() + 45_000;
    // The stopped node's stored-height key expires with its lease; then the cutter prunes past it.
    while ((await log.prunedBelow()) <= height + 1) {
      if (Date.now() > deadline) throw new Error(`etcd was not pruned past ${height + 1}`);
      await sleep(250);
    }
  } finally {
    log.close();
  }
  await load.waitFor(40);
  return { org, height };
}

test(
  'chaos: a SIGKILLed follower restarted after etcd pruned what it missed catches up through its peers',
  { timeout: 150_000 },
  () =>
    withChaosCluster({}, async (c) => {
      const load = new Load(c, 'follower').start();
      const { org, height } = await followerBehindPrunedLog(c, load);
      await c.restart(org);
      await load.waitFor(60, 30_000);
      const top = await checkConverged(c, load);
      assert.ok(top > height + 1);
      assert.match(c.logOf(org), /no longer in etcd; syncing them from peers/);
    }),
);

/**
 * A peer in front of a real node that flips a transaction's payload in the first block of
 * every sync answer and serves no checkpoints (so the node's own block checks must catch it).
 */
async function tamperingPeer(target: string): Promise<{ url: string; served: () => number; server: Server }> {
  let served = 0;
  const server = createServer((req, res) => {
    void (async () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers))
        if (typeof v === 'string' && k !== 'host') headers[k] = v;
      if (req.url?.startsWith('/v1/checkpoints')) {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"checkpoints":[]}');
        return;
      }
      const r = await fetch(`${target}${req.url}`, { method: req.method ?? 'GET', headers });
      let text = await r.text();
      if (req.url?.startsWith('/v1/sync/blocks') && r.ok) {
        const body = JSON.parse(text) as {
          blocks: { block: { txs: { body: { payload: { hash?: string } } }[] } }[];
        };
        const tx = body.blocks.find((b) => b.block.txs.length > 0)?.block.txs[0];
        if (tx?.body.payload.hash !== undefined) {
          tx.body.payload.hash = tx.body.payload.hash.replace(/^./, (ch) => (ch === '0' ? '1' : '0'));
          served++;
        }
        text = JSON.stringify(body);
      }
      res.writeHead(r.status, { 'content-type': 'application/json' }).end(text);
    })().catch(() => res.writeHead(502).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const a = server.address() as { port: number };
  return { url: `http://127.0.0.1:${a.port}`, served: () => served, server };
}

test(
  'chaos: a peer that serves a tampered block during sync is refused and dropped, and another peer serves the height',
  { timeout: 150_000 },
  () =>
    withChaosCluster({}, async (c) => {
      const load = new Load(c, 'badpeer').start();
      const { org } = await followerBehindPrunedLog(c, load);
      const honest = c.orgs.filter((o) => o !== org);
      const evil = await tamperingPeer(c.url(honest[0]!));
      try {
        // The tampering peer is asked first.
        await c.restart(org, {
          peers: [{ org: 'evil', url: evil.url }, ...honest.map((o) => ({ org: o, url: c.url(o) }))],
        });
        await load.waitFor(60, 30_000);
        await checkConverged(c, load);
        assert.ok(evil.served() >= 1, 'the tampering peer served a tampered block');
        assert.match(c.logOf(org), /sync: peer evil dropped at height \d+: .*(root|hash|signature)/i);
      } finally {
        evil.server.close();
      }
    }),
);
