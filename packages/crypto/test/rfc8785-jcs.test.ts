import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { canonicalize, canonicalBytes, toHex } from '../src/index.js';

// RFC 8785 §3.2.2: the sample input and its canonical form.
test('rfc8785 §3.2.2: sample object canonicalizes to the published text and bytes', () => {
  const input = JSON.parse(
    '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
      ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",' +
      ' "literals": [null, true, false]}',
  );
  const expected =
    '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
    '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}';
  assert.equal(canonicalize(input), expected);
  // §3.2.4: the UTF-8 bytes of the output begin 7b 22 6c 69 74 65 72 61 6c 73 22 3a 5b 6e 75 6c 6c
  assert.equal(toHex(canonicalBytes(input)).slice(0, 34), '7b226c69746572616c73223a5b6e756c6c');
});

// RFC 8785 §3.2.3: property names sorted by UTF-16 code units.
test('rfc8785 §3.2.3: property sorting by UTF-16 code units', () => {
  const input = JSON.parse(
    '{"\\u20ac":"Euro Sign","\\r":"Carriage Return","\\ufb33":"Hebrew Letter Dalet With Dagesh",' +
      '"1":"One","\\ud83d\\ude00":"Emoji: Grinning Face","\\u0080":"Control",' +
      '"\\u00f6":"Latin Small Letter O With Diaeresis"}',
  );
  const order = Object.values(JSON.parse(canonicalize(input)) as Record<string, string>);
  // Integer-like keys are reordered by JSON.parse itself, so compare the serialized order.
  const text = canonicalize(input);
  const values = [...text.matchAll(/:"([^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(values, [
    'Carriage Return',
    'One',
    'Control',
    'Latin Small Letter O With Diaeresis',
    'Euro Sign',
    'Emoji: Grinning Face',
    'Hebrew Letter Dalet With Dagesh',
  ]);
  assert.equal(order.length, 7);
});

// RFC 8785 Appendix B: IEEE 754 values and their canonical text.
test('rfc8785 appendix B: number serialization vectors', () => {
  const vectors: [string, string][] = [
    ['0000000000000000', '0'],
    ['8000000000000000', '0'],
    ['0000000000000001', '5e-324'],
    ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'],
    ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'],
    ['c340000000000000', '-9007199254740992'],
    ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'],
    ['44b52d02c7e14af6', '1e+23'],
    ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'],
    ['444b1ae4d6e2ef4f', '999999999999999900000'],
    ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
    ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'],
    ['41b3de4355555554', '333333333.33333325'],
    ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'],
    ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'],
    ['43143ff3c1cb0959', '1424953923781206.2'],
  ];
  for (const [hex, text] of vectors) {
    const v = Buffer.from(hex, 'hex').readDoubleBE(0);
    assert.equal(canonicalize(v), text, hex);
  }
  for (const hex of ['7fffffffffffffff', '7ff0000000000000', 'fff0000000000000']) {
    assert.throws(() => canonicalize(Buffer.from(hex, 'hex').readDoubleBE(0)), TypeError);
  }
});

test('behavior: values JSON cannot represent canonically are rejected', () => {
  assert.throws(() => canonicalize({ a: undefined }), /undefined value at \$\.a/);
  assert.throws(() => canonicalize('\ud800x'), /lone surrogate/);
  assert.throws(() => canonicalize(new Uint8Array(2)), /unsupported object type/);
  assert.throws(() => canonicalize(10n), /unsupported bigint/);
  assert.throws(() => canonicalize(new Date(0)), /unsupported object type/);
});

test('behavior: the error names the path of the first offending value', () => {
  assert.throws(() => canonicalize({ a: [1, { c: 2, b: NaN }] }), /non-finite number at \$\.a\[1\]\.b$/);
  assert.throws(
    () => canonicalize([[{ 'k.x': ['\udc00'] }]]),
    /lone surrogate in string at \$\[0\]\[0\]\.k\.x\[0\]$/,
  );
  let deep: unknown = 1;
  for (let i = 0; i < 70; i++) deep = [deep];
  assert.throws(() => canonicalize(deep), /nesting deeper than 64 at \$(\[0\]){65}$/);
});

test('property: canonical text is stable under key reordering and round-trips through JSON.parse', () => {
  fc.assert(
    fc.property(fc.jsonValue(), (v) => {
      const text = canonicalize(v);
      assert.equal(canonicalize(JSON.parse(text)), text);
      const shuffled = JSON.parse(JSON.stringify(v), function (_k, x) {
        if (x && typeof x === 'object' && !Array.isArray(x)) {
          return Object.fromEntries(Object.entries(x).reverse());
        }
        return x;
      });
      assert.equal(canonicalize(shuffled), text);
    }),
  );
});

test('property: members come out in code-unit order for any names, few or many (both sort paths)', () => {
  // Names from the whole UTF-16 range, including surrogate pairs and integer-like names.
  const name = fc.oneof(fc.string({ unit: 'binary' }), fc.nat().map(String), fc.string({ unit: 'grapheme' }));
  fc.assert(
    fc.property(fc.uniqueArray(name, { maxLength: 40 }), (names) => {
      const o = Object.fromEntries(names.map((n, i) => [n, i]));
      const text = canonicalize(o);
      const expected = Object.keys(o).sort(); // ECMAScript's default sort: by UTF-16 code units
      assert.equal(text, `{${expected.map((k) => `${JSON.stringify(k)}:${o[k]}`).join(',')}}`);
    }),
    { numRuns: 300 },
  );
});
