import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  SHAMIR_PRIME,
  SHAMIR_SHARE_BYTES,
  shamirCombine,
  shamirShareFromBytes,
  shamirShareToBytes,
  shamirSplit,
  type ShamirShare,
} from '../src/shamir.js';

const secret32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

/** A holder set: n distinct coordinates in 1..255 and a threshold 1..n. */
const holders = fc
  .uniqueArray(fc.integer({ min: 1, max: 255 }), { minLength: 1, maxLength: 8 })
  .chain((xs) => fc.tuple(fc.constant(xs), fc.integer({ min: 1, max: xs.length })));

test('shamir79: any t of the n shares recover the secret (random secrets, holders, subsets)', () => {
  fc.assert(
    fc.property(secret32, holders, fc.nat(), (secret, [xs, t], pick) => {
      const shares = shamirSplit(secret, t, xs);
      assert.equal(shares.length, xs.length);
      // a rotation of the share list, first t of it: a different subset each run
      const k = pick % shares.length;
      const subset = [...shares.slice(k), ...shares.slice(0, k)].slice(0, t);
      assert.deepEqual(shamirCombine(subset, 32), secret);
    }),
    { numRuns: 200 },
  );
});

test('shamir79: t − 1 shares rule out no secret (every candidate interpolates with them)', () => {
  // Perfect secrecy, constructively: for t − 1 shares and ANY candidate secret c, the t points
  // {(0, c)} ∪ shares lie on one polynomial of degree t − 1, which then also yields the
  // missing holder's share; so the t − 1 shares are equally consistent with every secret.
  fc.assert(
    fc.property(secret32, secret32, (secret, candidate) => {
      const xs = [1, 2, 3, 4];
      const shares = shamirSplit(secret, 3, xs);
      const known = shares.slice(0, 2);
      const c = BigInt(`0x${Buffer.from(candidate).toString('hex')}`);
      // the polynomial through (0, c) and the two known shares, evaluated at x = 3 and 4
      const fake: ShamirShare[] = [3, 4].map((x) => ({ x, y: lagrangeAt(x, [{ x: 0, y: c }, ...known]) }));
      assert.deepEqual(shamirCombine([known[0]!, fake[0]!, fake[1]!], 32), candidate);
      assert.deepEqual(shamirCombine([known[1]!, fake[0]!, fake[1]!], 32), candidate);
    }),
    { numRuns: 100 },
  );
});

test('shamir79: a share with a changed value gives another secret (callers must check it)', () => {
  fc.assert(
    fc.property(secret32, fc.bigInt({ min: 1n, max: SHAMIR_PRIME - 1n }), (secret, delta) => {
      const shares = shamirSplit(secret, 2, [1, 2, 3]);
      const bad = { x: shares[0]!.x, y: (shares[0]!.y + delta) % SHAMIR_PRIME };
      let out: Uint8Array | undefined;
      try {
        out = shamirCombine([bad, shares[1]!], 32);
      } catch (e) {
        assert.ok(e instanceof RangeError); // the wrong value did not even fit in 32 bytes
      }
      if (out) assert.notDeepEqual(out, secret);
    }),
    { numRuns: 100 },
  );
});

test('shamir79: threshold 1 shares are the secret itself; shares encode to 66 bytes and back', () => {
  const secret = Uint8Array.from({ length: 32 }, (_, i) => i);
  const [s1, s2] = shamirSplit(secret, 1, [7, 9]);
  assert.deepEqual(shamirCombine([s1!], 32), secret);
  assert.deepEqual(shamirCombine([s2!], 32), secret);
  const shares = shamirSplit(secret, 3, [1, 2, 3, 4, 5]);
  for (const s of shares) {
    const b = shamirShareToBytes(s);
    assert.equal(b.length, SHAMIR_SHARE_BYTES);
    assert.deepEqual(shamirShareFromBytes(s.x, b), s);
  }
});

test('shamir79: bad arguments are refused with a RangeError or TypeError', () => {
  const s = new Uint8Array(32).fill(1);
  assert.throws(() => shamirSplit(s, 0, [1, 2]), RangeError);
  assert.throws(() => shamirSplit(s, 3, [1, 2]), RangeError);
  assert.throws(() => shamirSplit(s, 2, [1, 1]), /distinct/);
  assert.throws(() => shamirSplit(s, 1, [0]), RangeError);
  assert.throws(() => shamirSplit(s, 1, [256]), RangeError);
  assert.throws(() => shamirSplit(new Uint8Array(0), 1, [1]), RangeError);
  assert.throws(() => shamirSplit(new Uint8Array(65), 1, [1]), RangeError);
  assert.throws(() => shamirSplit('secret' as unknown as Uint8Array, 1, [1]), TypeError);
  const shares = shamirSplit(s, 2, [1, 2]);
  assert.throws(() => shamirCombine([], 32), RangeError);
  assert.throws(() => shamirCombine([shares[0]!, shares[0]!], 32), /distinct/);
  assert.throws(() => shamirCombine([{ x: 1, y: SHAMIR_PRIME }, shares[1]!], 32), /field element/);
  assert.throws(() => shamirShareFromBytes(1, new Uint8Array(65)), RangeError);
  assert.throws(() => shamirShareFromBytes(1, new Uint8Array(66).fill(0xff)), /field element/);
});

/** Lagrange interpolation at `x` through `points` over GF(p), written independently of the module. */
function lagrangeAt(x: number, points: readonly ShamirShare[]): bigint {
  const p = SHAMIR_PRIME;
  const m = (a: bigint): bigint => ((a % p) + p) % p;
  const pow = (b: bigint, e: bigint): bigint => {
    let r = 1n;
    b = m(b);
    while (e > 0n) {
      if (e & 1n) r = (r * b) % p;
      b = (b * b) % p;
      e >>= 1n;
    }
    return r;
  };
  let acc = 0n;
  for (const j of points) {
    let num = 1n;
    let den = 1n;
    for (const k of points) {
      if (k === j) continue;
      num = m(num * BigInt(x - k.x));
      den = m(den * BigInt(j.x - k.x));
    }
    acc = m(acc + j.y * num * pow(den, p - 2n));
  }
  return acc;
}
