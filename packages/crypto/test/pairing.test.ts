import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { bls12_381 as noble } from '@noble/curves/bls12-381.js';
import { utf8 } from '../src/bytes.js';
import {
  CURVE_ORDER,
  ctMulG1,
  ctMulG2,
  g1FromBytes,
  g1Generator,
  g1ToBytes,
  g2FromBytes,
  g2Generator,
  g2ToBytes,
  gtFromBytes,
  gtPow,
  gtToBytes,
  hashToG1,
  initPairing,
  invR,
  modR,
  mulG1,
  mulG2,
  mulGT,
  multiPairing,
  pairing,
  referencePairingBytes,
  scalarFromBytes,
  scalarToBytes,
} from '../src/pairing.js';

before(() => initPairing());

const scalar = fc.bigInt({ min: 1n, max: CURVE_ORDER - 1n });

test('pairing: bilinearity e(aP, bQ) = e(P, Q)^(ab) for random a, b', () => {
  const e = pairing(g1Generator(), g2Generator());
  fc.assert(
    fc.property(scalar, scalar, (a, b) => {
      const lhs = pairing(mulG1(g1Generator(), a), mulG2(g2Generator(), b));
      assert.ok(lhs.isEqual(gtPow(e, modR(a * b))));
      assert.ok(!lhs.isEqual(gtPow(e, modR(a * b + 1n))), 'off-by-one exponent must differ');
    }),
    { numRuns: 4 },
  );
});

test('pairing: non-degenerate and of order r', () => {
  const e = pairing(g1Generator(), g2Generator());
  assert.ok(!e.isOne());
  assert.ok(gtPow(e, CURVE_ORDER - 1n).isEqual(gtPow(e, modR(-1n))));
  assert.ok(mulGT(e, gtPow(e, CURVE_ORDER - 1n)).isOne());
});

test('pairing: multiPairing equals the product of single pairings', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(scalar, scalar), { minLength: 1, maxLength: 4 }), (ks) => {
      const pairs = ks.map(([a, b]) => [mulG1(g1Generator(), a), mulG2(g2Generator(), b)] as const);
      let prod = pairing(pairs[0]![0], pairs[0]![1]);
      for (const [p, q] of pairs.slice(1)) prod = mulGT(prod, pairing(p, q));
      assert.ok(multiPairing(pairs).isEqual(prod));
    }),
    { numRuns: 3 },
  );
  assert.ok(multiPairing([]).isOne());
});

test('pairing: mcl-wasm and @noble/curves agree (hash to G1, scalar mult, pairing)', () => {
  const dst = 'BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_POP_';
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), scalar, (msg, k) => {
      const ours = hashToG1('test/agree', msg);
      const prefix = utf8('medledger/test/agree');
      const theirs = noble.G1.hashToCurve(new Uint8Array([prefix.length, ...prefix, ...msg]), { DST: dst });
      assert.deepEqual(g1ToBytes(ours), theirs.toBytes(true));
      assert.deepEqual(g1ToBytes(ctMulG1(ours, k)), g1ToBytes(mulG1(ours, k)));
      assert.deepEqual(g2ToBytes(ctMulG2(g2Generator(), k)), g2ToBytes(mulG2(g2Generator(), k)));
    }),
    { numRuns: 3 },
  );
  const p = mulG1(g1Generator(), 0x1234_5678_9abc_def0_1122_3344n);
  const q = mulG2(g2Generator(), 0x5555_aaaa_0101n);
  assert.deepEqual(referencePairingBytes(p, q), gtToBytes(pairing(p, q)));
  assert.notDeepEqual(referencePairingBytes(p, g2Generator()), gtToBytes(pairing(p, q)));
});

test('pairing: encodings round-trip and fromBytes rejects malformed input with TypeError', () => {
  const p = mulG1(g1Generator(), 7n);
  const q = mulG2(g2Generator(), 7n);
  const e = pairing(p, q);
  assert.ok(g1FromBytes(g1ToBytes(p)).isEqual(p));
  assert.ok(g2FromBytes(g2ToBytes(q)).isEqual(q));
  assert.ok(gtFromBytes(gtToBytes(e)).isEqual(e));
  assert.throws(() => g1FromBytes(g1ToBytes(p).subarray(1)), TypeError);
  assert.throws(() => g2FromBytes(new Uint8Array(96).fill(0xff)), TypeError);
  assert.throws(() => g1FromBytes('x' as unknown as Uint8Array), TypeError);
  const inf = new Uint8Array(48);
  inf[0] = 0xc0;
  assert.throws(() => g1FromBytes(inf), /identity/);
  // a flipped bit gives an x off the curve or a point outside the prime-order subgroup
  const bad = g1ToBytes(p);
  bad[47]! ^= 1;
  assert.throws(() => g1FromBytes(bad), TypeError);
  assert.throws(() => gtFromBytes(new Uint8Array(10)), TypeError);
});

test('pairing: scalars encode to 32 bytes; zero and >= r are rejected', () => {
  fc.assert(
    fc.property(scalar, (k) => {
      assert.equal(scalarFromBytes(scalarToBytes(k)), k);
      assert.equal(modR(k * invR(k)), 1n);
    }),
  );
  assert.throws(() => scalarFromBytes(new Uint8Array(32)), TypeError);
  assert.throws(() => scalarFromBytes(new Uint8Array(32).fill(0xff)), TypeError);
  assert.throws(() => scalarFromBytes(new Uint8Array(31)), TypeError);
});
