/**
 * The layered layout of an STT record's transmission path that the patient's page draws
 * (packages/web/src/views/patient/pathLayout.ts), checked over random paths with fast-check.
 * The module is bundled for Node by esbuild (webModule.ts).
 * Properties: every member of the path is drawn once; every transmission is one edge per
 * receiver, numbered in ledger order; the first sender is in layer 0; an edge that reaches a
 * member for the first time goes exactly one layer right (a back edge only to a member already
 * drawn); no two members share a position; everything lies inside the drawing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { loadWebModule } from './webModule.js';

interface Step {
  txId: string;
  from: string;
  to: string[];
  height: number;
  time: number;
}
type Layout = (steps: readonly Step[]) => {
  nodes: { id: string; layer: number; x: number; y: number }[];
  edges: { from: string; to: string; step: number; height: number; back: boolean }[];
  width: number;
  height: number;
};

async function loadLayout(): Promise<Layout> {
  return (await loadWebModule<{ layoutPath: Layout }>('views/patient/pathLayout.ts')).layoutPath;
}

/** A path as the ledger makes it: each sender already holds the record (the first, or a receiver before). */
const pathArb = fc
  .array(
    fc.tuple(
      fc.nat(20),
      fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g'), { minLength: 1, maxLength: 4 }),
    ),
    {
      minLength: 1,
      maxLength: 8,
    },
  )
  .map((hops) => {
    const holders = ['a'];
    return hops.map(([pick, to], i): Step => {
      const from = holders[pick % holders.length]!;
      const receivers = to.filter((r) => r !== from);
      for (const r of receivers) if (!holders.includes(r)) holders.push(r);
      return {
        txId: `t${i}`,
        from,
        to: receivers.length ? receivers : ['z'],
        height: 10 + i,
        time: 1000 * i,
      };
    });
  });

test('behavior: path layout draws each member once, one edge per receiver in ledger order, forward edges one layer right, no overlap', async () => {
  const layoutPath = await loadLayout();
  fc.assert(
    fc.property(pathArb, fc.boolean(), (steps, shuffled) => {
      const input = shuffled ? [...steps].reverse() : steps;
      const g = layoutPath(input);
      const members = new Set(steps.flatMap((s) => [s.from, ...s.to]));
      assert.deepEqual(new Set(g.nodes.map((n) => n.id)), members);
      assert.equal(g.nodes.length, members.size, 'each member once');
      const layer = new Map(g.nodes.map((n) => [n.id, n.layer]));
      assert.equal(layer.get(steps[0]!.from), 0, 'the first sender is in layer 0');
      const expected = steps.flatMap((s, i) => s.to.map((to) => `${i + 1}:${s.from}>${to}@${s.height}`));
      assert.deepEqual(
        g.edges.map((e) => `${e.step}:${e.from}>${e.to}@${e.height}`),
        expected,
        'edges in ledger order, whatever order the steps come in',
      );
      const seen = new Set([steps[0]!.from]);
      for (const e of g.edges) {
        if (!seen.has(e.to)) {
          assert.equal(layer.get(e.to), layer.get(e.from)! + 1, `${e.to} first reached from ${e.from}`);
          assert.equal(e.back, false);
        }
        seen.add(e.to);
        assert.equal(e.back, layer.get(e.to)! <= layer.get(e.from)!);
      }
      const spots = new Set(g.nodes.map((n) => `${n.x},${n.y}`));
      assert.equal(spots.size, g.nodes.length, 'no two members share a position');
      for (const n of g.nodes)
        assert.ok(n.x > 0 && n.x < g.width && n.y > 0 && n.y < g.height, `${n.id} inside`);
    }),
    { numRuns: 300 },
  );
});

test('behavior: path layout of alice → baker → chen is three layers in a row', async () => {
  const layoutPath = await loadLayout();
  const g = layoutPath([
    { txId: 't2', from: 'baker', to: ['chen'], height: 11, time: 2 },
    { txId: 't1', from: 'alice', to: ['baker'], height: 9, time: 1 },
  ]);
  assert.deepEqual(
    g.nodes.map((n) => [n.id, n.layer]),
    [
      ['alice', 0],
      ['baker', 1],
      ['chen', 2],
    ],
  );
  assert.deepEqual(
    g.edges.map((e) => [e.step, e.from, e.to, e.back]),
    [
      [1, 'alice', 'baker', false],
      [2, 'baker', 'chen', false],
    ],
  );
});
