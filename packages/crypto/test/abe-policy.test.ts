import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  parsePolicy,
  planPolicy,
  policyLeaves,
  policyToString,
  shareSecret,
  type PolicyNode,
} from '../src/abe-policy.js';
import { CURVE_ORDER, modR } from '../src/pairing.js';

test('abe-policy: parses AND/OR precedence, thresholds and flattens nested gates', () => {
  const t = parsePolicy('(doctor@hospitalB and oncology@hospitalB) OR researcher@institute');
  assert.deepEqual(t, {
    kind: 'gate',
    k: 1,
    children: [
      {
        kind: 'gate',
        k: 2,
        children: [
          { kind: 'attr', attr: 'doctor@hospitalB' },
          { kind: 'attr', attr: 'oncology@hospitalB' },
        ],
      },
      { kind: 'attr', attr: 'researcher@institute' },
    ],
  });
  assert.deepEqual(parsePolicy('a@x AND b@x OR c@y'), parsePolicy('(a@x AND b@x) OR c@y'));
  assert.equal(policyToString(parsePolicy('a@x AND (b@x AND c@x)')), 'a@x AND b@x AND c@x');
  assert.equal(policyToString(parsePolicy('2 OF (a@x, b@x OR c@y, d@z)')), '2 of (a@x, b@x OR c@y, d@z)');
  assert.equal(policyToString(parsePolicy('((a@x))')), 'a@x');
});

test('abe-policy: malformed policies throw TypeError naming the position', () => {
  const cases: Array<[string, RegExp]> = [
    ['a@x AND', /end of policy/],
    ['a@x AND OR b@x', /position 8/],
    ['(a@x OR b@x', /expected '\)'/],
    ['a@x b@x', /unexpected 'b@x' at position 4/],
    ['doctor', /not an attribute/],
    ['a@x & b@x', /unexpected character at position 4/],
    ['3 of (a@x, b@x)', /threshold 3 .* \[1, 2\]/],
    ['0 of (a@x)', /threshold 0/],
    ['2 of a@x', /expected '\(' after 'of'/],
    ['a@@x', /position 0|unexpected/],
  ];
  for (const [p, re] of cases)
    assert.throws(
      () => parsePolicy(p),
      (e: unknown) => e instanceof TypeError && re.test(e.message),
      p,
    );
  assert.throws(() => parsePolicy(''), RangeError);
  assert.throws(() => parsePolicy('('.repeat(40) + 'a@x' + ')'.repeat(40)), RangeError);
});

const attrArb = fc.constantFrom('a@x', 'b@x', 'c@y', 'd@y', 'e@z');
const treeArb: fc.Arbitrary<PolicyNode> = fc.letrec<{ node: PolicyNode }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    attrArb.map((attr): PolicyNode => ({ kind: 'attr', attr })),
    fc
      .array(tie('node'), { minLength: 2, maxLength: 4 })
      .chain((children) =>
        fc.integer({ min: 1, max: children.length }).map((k): PolicyNode => ({ kind: 'gate', k, children })),
      ),
  ),
})).node;

function satisfied(n: PolicyNode, s: Set<string>): boolean {
  if (n.kind === 'attr') return s.has(n.attr);
  return n.children.filter((c) => satisfied(c, s)).length >= n.k;
}

test('abe-policy: the canonical string is a fixed point; satisfied sets reconstruct the secret', () => {
  fc.assert(
    fc.property(
      treeArb,
      fc.subarray(['a@x', 'b@x', 'c@y', 'd@y', 'e@z']),
      fc.bigInt({ min: 0n, max: CURVE_ORDER - 1n }),
      (tree, sub, secret) => {
        // parsing flattens nested same-kind gates; after that the printed form is a fixed point
        const parsed = parsePolicy(policyToString(tree));
        const text = policyToString(parsed);
        assert.deepEqual(parsePolicy(text), parsed);
        const s = new Set(sub);
        const plan = planPolicy(parsed, s);
        assert.equal(plan !== null, satisfied(tree, s));
        if (!plan) return;
        const leaves = policyLeaves(parsed);
        const shares = shareSecret(parsed, secret);
        assert.equal(shares.length, leaves.length);
        for (const { leaf } of plan) assert.ok(s.has(leaves[leaf]!));
        const sum = plan.reduce((acc, { leaf, coeff }) => modR(acc + coeff * shares[leaf]!), 0n);
        assert.equal(sum, secret);
      },
    ),
    { numRuns: 200 },
  );
});
