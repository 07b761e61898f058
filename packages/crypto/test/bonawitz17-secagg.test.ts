import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { utf8, type RandomSource } from '../src/bytes.js';
import { encryptionPublicKeyOf } from '../src/envelope.js';
import {
  SECAGG_MAX_ABS_VALUE,
  SECAGG_MODULUS,
  decodeFixedPoint,
  encodeFixedPoint,
  expandMask,
  maskInput,
  pairwiseSeed,
  selfMaskCommitment,
  subVectors,
  unmaskSum,
  vectorFromBytes,
  vectorToBytes,
  x25519PublicKeyOf,
  x25519SharedSecret,
} from '../src/secagg.js';

/** A deterministic random source (SHA-256 in counter mode), so statistical tests never flake. */
function seeded(seed: string): RandomSource {
  let counter = 0;
  return (n) => {
    const out = new Uint8Array(n);
    for (let o = 0; o < n; o += 32)
      out.set(
        createHash('sha256')
          .update(`${seed}/${counter++}`)
          .digest()
          .subarray(0, n - o),
        o,
      );
    return out;
  };
}

interface Party {
  id: string;
  privateKey: Uint8Array;
  publicKey: Uint8Array;
  selfSeed: Uint8Array;
}

function parties(ids: readonly string[], random: RandomSource): Party[] {
  return ids.map((id) => {
    const privateKey = random(32);
    return { id, privateKey, publicKey: x25519PublicKeyOf(privateKey), selfSeed: random(32) };
  });
}

const context = utf8('medledger/fl/test/study-1/round-1');

/** Every party masks its input over all others (U2 = everyone). */
function maskAll(ps: readonly Party[], inputs: readonly bigint[][], q = SECAGG_MODULUS): bigint[][] {
  return ps.map((p, i) =>
    maskInput({
      input: inputs[i]!,
      selfSeed: p.selfSeed,
      self: p.id,
      privateKey: p.privateKey,
      peers: ps.filter((o) => o !== p).map((o) => ({ id: o.id, publicKey: o.publicKey })),
      context,
      modulus: q,
    }),
  );
}

test('bonawitz17: the unmasked sum is the sum of the survivors inputs, whoever drops after masking starts', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 3, max: 6 }),
      fc.integer({ min: 1, max: 5 }),
      fc.nat(),
      fc.string({ minLength: 1, maxLength: 8 }),
      (n, dim, dropMask, seed) => {
        const random = seeded(seed);
        const ps = parties(
          Array.from({ length: n }, (_, i) => `org-${String.fromCharCode(97 + ((i * 7) % 26))}${i}`),
          random,
        );
        const inputs = ps.map(() => Array.from({ length: dim }, () => BigInt(random(1)[0]!) * 1000n));
        const masked = maskAll(ps, inputs);
        // at least one survivor; the others dropped after sending nothing but their key
        const dropped = ps.filter((_, i) => (dropMask >> i) & 1 && i > 0);
        const survivors = ps.filter((p) => !dropped.includes(p));
        const sum = unmaskSum({
          survivors: survivors.map((p) => ({
            id: p.id,
            masked: masked[ps.indexOf(p)]!,
            selfSeed: p.selfSeed,
            publicKey: p.publicKey,
          })),
          dropped: dropped.map((p) => ({ id: p.id, privateKey: p.privateKey })),
          length: dim,
          context,
        });
        const want = Array.from({ length: dim }, (_, k) =>
          survivors.reduce((a, p) => a + inputs[ps.indexOf(p)]![k]!, 0n),
        );
        assert.deepEqual(sum, want);
      },
    ),
    { numRuns: 60 },
  );
});

test('bonawitz17: each masked input alone is uniform-looking; without the self seed the sum is garbage', () => {
  const random = seeded('garbage');
  const ps = parties(['a', 'b', 'c'], random);
  const inputs = [[5n], [7n], [11n]];
  const masked = maskAll(ps, inputs);
  for (const [i, y] of masked.entries())
    assert.notEqual(y[0], inputs[i]![0], 'an input is not sent in clear');
  const wrongSeed = unmaskSum({
    survivors: ps.map((p, i) => ({
      id: p.id,
      masked: masked[i]!,
      selfSeed: i === 0 ? random(32) : p.selfSeed,
      publicKey: p.publicKey,
    })),
    dropped: [],
    length: 1,
    context,
  });
  assert.notDeepEqual(wrongSeed, [23n]);
});

/**
 * The aggregator's view. In the ledger protocol the aggregator (and every ledger reader) sees:
 * both public keys of every participant, the Shamir shares sealed to other participants'
 * keys (ciphertexts it cannot open), every masked input y_u, and at unmasking the self seeds
 * b_u of the survivors and the mask secret keys of the dropped. Keys, ciphertexts and seeds
 * are drawn before and independently of the inputs, so the only input-dependent part is
 *   r_u = y_u − PRG(b_u) − (masks shared with the dropped, which it can recompute)
 *       = x_u + Σ_{v survivor} ±PRG(s_{u,v}).
 * Bonawitz et al. (Thm. 6.2) show that this is distributed as x_u + uniform masks summing to
 * zero, i.e. depends on the inputs only through their sum. Measured here at a toy modulus
 * q = 7, with real X25519, HKDF and AES: the distribution of (r_a, r_b) over 600 runs for
 * inputs X and for inputs X' with one input changed and the sum unchanged.
 */
function viewResiduals(
  inputs: readonly bigint[],
  runs: number,
  seed: string,
  brokenPairwise = false,
): string[] {
  const q = 7n;
  const out: string[] = [];
  for (let run = 0; run < runs; run++) {
    const random = seeded(`${seed}/${run}`);
    const ps = parties(['a', 'b', 'c', 'd'], random); // d drops after dealing shares
    const survivors = ps.slice(0, 3);
    const d = ps[3]!;
    const residual = survivors.map((p, i) => {
      const peers = ps.filter((o) => o !== p).map((o) => ({ id: o.id, publicKey: o.publicKey }));
      const y = brokenPairwise
        ? // a broken protocol that leaves out the pairwise masks: the seed b_u alone hides x_u
          subVectors(
            [inputs[i]!],
            expandMask(p.selfSeed, 1, context, q).map((m) => (q - m) % q),
            q,
          )
        : maskInput({
            input: [inputs[i]!],
            selfSeed: p.selfSeed,
            self: p.id,
            privateKey: p.privateKey,
            peers,
            context,
            modulus: q,
          });
      // what the aggregator strips: the revealed self mask and the masks shared with d
      let r = subVectors(y, expandMask(p.selfSeed, 1, context, q), q);
      if (!brokenPairwise) {
        const withD = expandMask(pairwiseSeed(d.privateKey, p.publicKey, context), 1, context, q);
        r =
          p.id < d.id
            ? subVectors(r, withD, q)
            : subVectors(
                r,
                withD.map((m) => (q - m) % q),
                q,
              );
      }
      return r[0]!;
    });
    assert.equal(
      (residual[0]! + residual[1]! + residual[2]!) % q,
      (inputs[0]! + inputs[1]! + inputs[2]!) % q,
    );
    out.push(`${residual[0]},${residual[1]}`);
  }
  return out;
}

/** Pearson's chi-squared statistic of homogeneity for two samples over the same cells. */
function chiSquaredHomogeneity(a: readonly string[], b: readonly string[]): number {
  const cells = new Set([...a, ...b]);
  const count = (xs: readonly string[]) => {
    const m = new Map<string, number>();
    for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
    return m;
  };
  const ca = count(a);
  const cb = count(b);
  let chi = 0;
  for (const c of cells) {
    const oa = ca.get(c) ?? 0;
    const ob = cb.get(c) ?? 0;
    const total = oa + ob;
    const ea = (total * a.length) / (a.length + b.length);
    const eb = (total * b.length) / (a.length + b.length);
    chi += (oa - ea) ** 2 / ea + (ob - eb) ** 2 / eb;
  }
  return chi;
}

// 49 cells: 48 degrees of freedom; P(chi² > 84.0) = 0.001 under the null hypothesis.
const CHI2_48_P001 = 84.0;

test('bonawitz17: the aggregator view is identically distributed for two input sets with the same sum', (t) => {
  const x = [1n, 5n, 2n]; // sum 8 = 1 (mod 7)
  const xPrime = [4n, 2n, 2n]; // participant a's and b's inputs changed, same sum
  const viewX = viewResiduals(x, 600, 'view');
  const viewXPrime = viewResiduals(xPrime, 600, 'view-prime');
  const chi = chiSquaredHomogeneity(viewX, viewXPrime);
  t.diagnostic(`chi² = ${chi.toFixed(1)} with 48 degrees of freedom`);
  assert.ok(chi < CHI2_48_P001, `chi² = ${chi.toFixed(1)}: the views differ`);
  assert.equal(new Set(viewX).size, 49, 'every (r_a, r_b) occurs: r_a does not reveal x_a');
});

test('bonawitz17: negative control: without pairwise masks the same test tells the input sets apart', () => {
  const chi = chiSquaredHomogeneity(
    viewResiduals([1n, 5n, 2n], 300, 'broken', true),
    viewResiduals([4n, 2n, 2n], 300, 'broken-prime', true),
  );
  assert.ok(chi > CHI2_48_P001, `chi² = ${chi.toFixed(1)}: the broken protocol went unnoticed`);
});

test('bonawitz17: fixed-point encoding round-trips within 2^-33 and sums of negatives decode', () => {
  fc.assert(
    fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { maxLength: 20 }), (vs) => {
      const back = decodeFixedPoint(encodeFixedPoint(vs));
      vs.forEach((v, i) => assert.ok(Math.abs(back[i]! - v) <= 2 ** -33 + Math.abs(v) * 2 ** -52));
    }),
  );
  const a = encodeFixedPoint([-1.5, 2.25]);
  const b = encodeFixedPoint([-0.25, -3]);
  assert.deepEqual(decodeFixedPoint(a.map((x, i) => (x + b[i]!) % SECAGG_MODULUS)), [-1.75, -0.75]);
  assert.throws(() => encodeFixedPoint([Number.NaN]), RangeError);
  assert.throws(() => encodeFixedPoint([Infinity]), RangeError);
  assert.throws(() => encodeFixedPoint([SECAGG_MAX_ABS_VALUE * 2]), RangeError);
});

test('bonawitz17: vectors encode as 16 bytes per element; bad lengths and out-of-field elements are refused', () => {
  fc.assert(
    fc.property(fc.array(fc.bigInt({ min: 0n, max: SECAGG_MODULUS - 1n }), { maxLength: 40 }), (v) => {
      const b = vectorToBytes(v);
      assert.equal(b.length, 16 * v.length);
      assert.deepEqual(vectorFromBytes(b), v);
    }),
  );
  assert.throws(() => vectorFromBytes(new Uint8Array(15)), /multiple of 16/);
  assert.throws(() => vectorFromBytes(new Uint8Array(16).fill(0xff)), /not in Z_q/);
  assert.throws(() => vectorToBytes([SECAGG_MODULUS]), /not in Z_q/);
  assert.throws(() => vectorFromBytes(new Uint8Array(16 * 4097)), /too long/);
});

test('bonawitz17: masks depend on the seed and the context; pairwise seeds agree; low-order keys fail', () => {
  const random = seeded('keys');
  const [a, b] = parties(['a', 'b'], random);
  assert.deepEqual(
    pairwiseSeed(a!.privateKey, b!.publicKey, context),
    pairwiseSeed(b!.privateKey, a!.publicKey, context),
  );
  assert.notDeepEqual(
    pairwiseSeed(a!.privateKey, b!.publicKey, context),
    pairwiseSeed(a!.privateKey, b!.publicKey, utf8('other round')),
  );
  const m1 = expandMask(a!.selfSeed, 8, context);
  assert.deepEqual(expandMask(a!.selfSeed, 8, context), m1, 'deterministic');
  assert.notDeepEqual(expandMask(a!.selfSeed, 8, utf8('other round')), m1);
  assert.deepEqual(expandMask(a!.selfSeed, 3, context), m1.slice(0, 3), 'a prefix of the longer stream');
  for (const m of m1) assert.ok(m >= 0n && m < SECAGG_MODULUS);
  assert.throws(() => x25519SharedSecret(a!.privateKey, new Uint8Array(32)), /key agreement failed/);
  assert.throws(
    () =>
      maskInput({
        input: [SECAGG_MODULUS],
        selfSeed: a!.selfSeed,
        self: 'a',
        privateKey: a!.privateKey,
        peers: [],
        context,
      }),
    RangeError,
  );
  assert.deepEqual(
    x25519PublicKeyOf(a!.privateKey),
    encryptionPublicKeyOf(a!.privateKey),
    'RFC 7748 public key',
  );
  const c1 = selfMaskCommitment(a!.selfSeed, context);
  assert.equal(c1.length, 32);
  assert.notDeepEqual(selfMaskCommitment(b!.selfSeed, context), c1);
});
