import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import {
  fromHex,
  merkleProof,
  merkleProofOfHexLeaves,
  merkleProofOfRunHexLeaves,
  merkleProofOfRunTextLeaves,
  merkleProofOfTextLeaves,
  merkleRoot,
  merkleRootOfHexLeaves,
  merkleRootOfRunHeads,
  merkleRootOfTextLeaves,
  merkleRunHeadsOfHexLeaves,
  merkleRunHeadsOfTextLeaves,
  toHex,
  utf8,
  verifyMerkleProof,
} from '../src/index.js';

// The leaves and tree heads used by Certificate Transparency's reference tests of RFC 6962.
const leaves = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map(fromHex);
const roots = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

test('rfc6962 §2.1: tree heads of the reference leaves', () => {
  assert.equal(toHex(merkleRoot([])), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  for (let n = 1; n <= 8; n++) assert.equal(toHex(merkleRoot(leaves.slice(0, n))), roots[n - 1], `size ${n}`);
});

test('rfc6962 §2.1.1: every audit path of every reference tree verifies', () => {
  for (let n = 1; n <= 8; n++) {
    const root = fromHex(roots[n - 1]!);
    for (let i = 0; i < n; i++) {
      const p = merkleProof(leaves.slice(0, n), i);
      assert.ok(verifyMerkleProof(root, leaves[i]!, p), `size ${n} index ${i}`);
    }
  }
});

test('security: a modified proof, leaf, index or root fails', () => {
  const root = fromHex(roots[6]!);
  const p = merkleProof(leaves.slice(0, 7), 3);
  assert.ok(verifyMerkleProof(root, leaves[3]!, p));
  assert.equal(verifyMerkleProof(root, leaves[4]!, p), false, 'other leaf');
  assert.equal(verifyMerkleProof(root, leaves[3]!, { ...p, index: 2 }), false, 'other index');
  // Index 3 has the same audit path in trees of 7 and 8 leaves; the last leaf does not.
  const last = merkleProof(leaves.slice(0, 7), 6);
  assert.ok(verifyMerkleProof(root, leaves[6]!, last));
  assert.equal(verifyMerkleProof(root, leaves[6]!, { ...last, treeSize: 8 }), false, 'other size');
  assert.equal(verifyMerkleProof(root, leaves[3]!, { ...p, path: p.path.slice(1) }), false, 'short path');
  assert.equal(
    verifyMerkleProof(root, leaves[3]!, { ...p, path: [...p.path, p.path[0]!] }),
    false,
    'long path',
  );
  const flipped = p.path.map((x) => x.slice());
  flipped[1]![5]! ^= 1;
  assert.equal(verifyMerkleProof(root, leaves[3]!, { ...p, path: flipped }), false, 'flipped path byte');
  const badRoot = root.slice();
  badRoot[0]! ^= 0x80;
  assert.equal(verifyMerkleProof(badRoot, leaves[3]!, p), false, 'flipped root byte');
  assert.equal(verifyMerkleProof(root, leaves[3]!, { ...p, index: -1 }), false);
  assert.equal(verifyMerkleProof(root, leaves[3]!, { ...p, index: 7 }), false);
});

test('property: proofs verify for random trees and fail for any other index', () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: 1, maxLength: 70 }),
      fc.nat(),
      fc.nat(),
      (ls, a, b) => {
        const root = merkleRoot(ls);
        const i = a % ls.length;
        const p = merkleProof(ls, i);
        assert.ok(verifyMerkleProof(root, ls[i]!, p));
        const j = b % ls.length;
        if (toHex(ls[j]!) !== toHex(ls[i]!)) assert.equal(verifyMerkleProof(root, ls[j]!, p), false);
      },
    ),
    { numRuns: 200 },
  );
});

test('rfc6962 §2.1: leaf and node hashes for leaves of any length (short ones share a buffer)', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { minLength: 1, maxLength: 9 }), (ls) => {
      const h = (...parts: Uint8Array[]): Uint8Array =>
        new Uint8Array(createHash('sha256').update(Buffer.concat(parts)).digest());
      const mth = (d: Uint8Array[]): Uint8Array => {
        if (d.length === 1) return h(Uint8Array.of(0), d[0]!);
        let k = 1;
        while (k << 1 < d.length) k <<= 1;
        return h(Uint8Array.of(1), mth(d.slice(0, k)), mth(d.slice(k)));
      };
      assert.equal(toHex(merkleRoot(ls)), toHex(mth(ls)));
    }),
  );
});

test('rfc6962 §2.1: the tree head of hex leaves equals that of their bytes, for trees of 0 to 70 leaves', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 70 }), (ls) => {
      assert.equal(merkleRootOfHexLeaves(ls.map(toHex)), toHex(merkleRoot(ls)));
    }),
    { numRuns: 100 },
  );
  assert.equal(merkleRootOfHexLeaves([]), toHex(merkleRoot([])));
});

test('security: a hex leaf that is not 32 bytes of lowercase hex is refused, not hashed', () => {
  const ok = 'ab'.repeat(32);
  for (const bad of ['ab'.repeat(31), 'ab'.repeat(33), 'AB'.repeat(32), `${'ab'.repeat(31)}zz`, ''])
    assert.throws(() => merkleRootOfHexLeaves([ok, bad]), /leaf 1: must be 32 bytes of lowercase hex/);
});

test('rfc6962 §2.1: the tree head of text leaves equals that of their UTF-8 bytes (non-ASCII and NUL included)', () => {
  fc.assert(
    fc.property(fc.array(fc.string({ unit: 'grapheme', maxLength: 40 }), { maxLength: 20 }), (ls) => {
      assert.equal(merkleRootOfTextLeaves(ls), toHex(merkleRoot(ls.map((s) => utf8(s)))));
    }),
    { numRuns: 200 },
  );
  const ls = ['{"code":"OK","txId":"00"}', 'é\u0000中', '', '\u{1F600}'];
  assert.equal(merkleRootOfTextLeaves(ls), toHex(merkleRoot(ls.map((s) => utf8(s)))));
});

test('rfc6962 §2.1.1: the hex and text proofs are the byte proofs, in hex, and verify under the tree head', () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { minLength: 1, maxLength: 70 }),
      fc.nat(),
      (ids, k) => {
        const i = k % ids.length;
        const hex = ids.map(toHex);
        const want = merkleProof(ids, i);
        const got = merkleProofOfHexLeaves(hex, i);
        assert.deepEqual(got, { index: i, treeSize: ids.length, path: want.path.map(toHex) });
        assert.ok(verifyMerkleProof(merkleRoot(ids), ids[i]!, { ...got, path: got.path.map(fromHex) }));
        const text = hex.map((h, j) => `{"code":"OK","txId":"${h}","n":${j}}`);
        const t = merkleProofOfTextLeaves(text, i);
        assert.deepEqual(t.path, merkleProof(text.map(utf8), i).path.map(toHex));
        assert.equal(merkleRootOfTextLeaves(text), toHex(merkleRoot(text.map(utf8))));
      },
    ),
    { numRuns: 200 },
  );
  // A tampered leaf does not verify under the tree head.
  const ids = Array.from({ length: 5 }, (_, j) => new Uint8Array(32).fill(j));
  const p = merkleProofOfHexLeaves(ids.map(toHex), 3);
  assert.equal(
    verifyMerkleProof(merkleRoot(ids), new Uint8Array(32).fill(9), { ...p, path: p.path.map(fromHex) }),
    false,
  );
  assert.throws(() => merkleProofOfHexLeaves(['AB'.repeat(32)], 0), /lowercase hex/);
  assert.throws(() => merkleProofOfHexLeaves([], 0), RangeError);
  assert.throws(() => merkleProofOfHexLeaves(ids.map(toHex), 5), RangeError);
});

test('run heads: for every tree of 1 to 70 leaves, runs of 1, 4, 16 and 64, and every leaf, the proof from its run and the heads is the proof from all leaves, and the heads give the same root', () => {
  const all = Array.from({ length: 70 }, (_, j) => toHex(new Uint8Array(32).fill(j)));
  for (let n = 1; n <= all.length; n++) {
    const ids = all.slice(0, n);
    const text = ids.map((h, j) => `{"code":"É${j}","txId":"${h}"}`);
    for (const run of [1, 4, 16, 64]) {
      const heads = merkleRunHeadsOfHexLeaves(ids, run);
      const textHeads = merkleRunHeadsOfTextLeaves(text, run);
      assert.equal(heads.length, Math.ceil(n / run));
      assert.equal(merkleRootOfRunHeads(heads), merkleRootOfHexLeaves(ids), `root n=${n} run=${run}`);
      assert.equal(merkleRootOfRunHeads(textHeads), merkleRootOfTextLeaves(text));
      for (let i = 0; i < n; i++) {
        const lo = i - (i % run);
        const o = { treeSize: n, index: i, run, heads, runLeaves: ids.slice(lo, lo + run) };
        assert.deepEqual(
          merkleProofOfRunHexLeaves(o),
          merkleProofOfHexLeaves(ids, i),
          `n=${n} run=${run} i=${i}`,
        );
        assert.deepEqual(
          merkleProofOfRunTextLeaves({ ...o, heads: textHeads, runLeaves: text.slice(lo, lo + run) }),
          merkleProofOfTextLeaves(text, i),
        );
      }
    }
  }
  assert.equal(merkleRootOfRunHeads([]), merkleRootOfHexLeaves([]));
});

test('security: a run proof refuses leaves that are not the run of its head, a wrong head count and a run that is not a power of two', () => {
  const ids = Array.from({ length: 37 }, (_, j) => toHex(new Uint8Array(32).fill(j)));
  const heads = merkleRunHeadsOfHexLeaves(ids, 16);
  const o = { treeSize: 37, index: 20, run: 16, heads, runLeaves: ids.slice(16, 32) };
  assert.ok(merkleProofOfRunHexLeaves(o));
  // One leaf of the run swapped for another: it does not hash to the stored head.
  const swapped = [...o.runLeaves];
  swapped[3] = toHex(new Uint8Array(32).fill(99));
  assert.throws(() => merkleProofOfRunHexLeaves({ ...o, runLeaves: swapped }), /do not match its head/);
  // The leaves of another run, or a run cut short.
  assert.throws(
    () => merkleProofOfRunHexLeaves({ ...o, runLeaves: ids.slice(0, 16) }),
    /do not match its head/,
  );
  assert.throws(
    () => merkleProofOfRunHexLeaves({ ...o, runLeaves: ids.slice(16, 31) }),
    /run 1 has 16 leaves/,
  );
  // A tampered head.
  const bad = [...heads];
  bad[1] = bad[0]!;
  assert.throws(() => merkleProofOfRunHexLeaves({ ...o, heads: bad }), /do not match its head/);
  assert.throws(() => merkleProofOfRunHexLeaves({ ...o, heads: heads.slice(1) }), /has 3 runs/);
  assert.throws(() => merkleProofOfRunHexLeaves({ ...o, run: 12 }), /power of two/);
  assert.throws(() => merkleProofOfRunHexLeaves({ ...o, index: 37 }), RangeError);
  assert.throws(() => merkleRunHeadsOfHexLeaves(ids, 0), /power of two/);
});
