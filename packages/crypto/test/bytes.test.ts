/** Hex and base64url codecs: exact round trips, and every malformed input rejected. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromB64u, fromHex, toB64u, toHex } from '../src/index.js';

test('hex: round trip of any bytes, upper or lower case', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), (b) => {
      const h = toHex(b);
      assert.match(h, /^[0-9a-f]*$/);
      assert.deepEqual(fromHex(h), b);
      assert.deepEqual(fromHex(h.toUpperCase()), b);
    }),
  );
});

test('hex: a non-hex character anywhere, or an odd length, is rejected', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 1, maxLength: 40 }),
      fc.nat(),
      fc.constantFrom('g', 'x', 'G', ' ', '-', 'é', '\u0000', 'Z'),
      (b, at, bad) => {
        const h = toHex(b);
        const i = at % h.length;
        assert.throws(() => fromHex(h.slice(0, i) + bad + h.slice(i + 1)), /invalid hex/);
        assert.throws(() => fromHex(h.slice(1)), /invalid hex/);
      },
    ),
  );
  assert.deepEqual(fromHex(''), new Uint8Array(0));
  assert.throws(() => fromHex('0x00'), /invalid hex/);
});

test('base64url: round trip, and non-canonical or foreign characters rejected', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), (b) => {
      assert.deepEqual(fromB64u(toB64u(b)), b);
    }),
  );
  const s = toB64u(new Uint8Array(64).fill(7));
  assert.throws(() => fromB64u(`${s.slice(0, 85)}B`), /non-canonical/);
  assert.throws(() => fromB64u(`${s.slice(0, 10)}+${s.slice(11)}`), /invalid base64url/);
  assert.throws(() => fromB64u(`${s}=`), /invalid base64url/);
});
