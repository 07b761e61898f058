import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  HashTag,
  hashTagged,
  hashTaggedText,
  hashTaggedTextHex,
  sha256,
  toHex,
  utf8,
  utf8Length,
} from '../src/index.js';

test('hash: hashTaggedText(tag, s) equals hashTagged(tag, utf8(s)) for any string, and tags separate domains', () => {
  fc.assert(
    fc.property(
      fc.string({ unit: 'grapheme', maxLength: 200 }),
      fc.constantFrom(...Object.values(HashTag)),
      (s, tag) => {
        assert.equal(toHex(hashTaggedText(tag, s)), toHex(hashTagged(tag, utf8(s))));
        assert.equal(hashTaggedTextHex(tag, s), toHex(hashTagged(tag, utf8(s))));
        assert.equal(utf8Length(s), utf8(s).length);
      },
    ),
    { numRuns: 500 },
  );
  assert.notEqual(toHex(hashTaggedText(HashTag.tx, 'x')), toHex(hashTaggedText(HashTag.blockHeader, 'x')));
  assert.notEqual(toHex(hashTaggedText(HashTag.tx, 'x')), toHex(sha256(utf8('x'))));
  assert.throws(() => hashTaggedText('médical', 'x'), /ASCII/);
  assert.throws(() => hashTaggedTextHex('médical', 'x'), /ASCII/);
});
