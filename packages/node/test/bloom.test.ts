/**
 * The Bloom filters in front of SQLite (store/txBloom.ts, store/keyBloom.ts): never a false
 * "absent" (that would let a committed transaction commit again, or hide a state value), and
 * about the false-positive rate they are sized for.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { TxIdBloom } from '../src/store/txBloom.js';
import { KeyBloom } from '../src/store/keyBloom.js';

const id = (): string => randomBytes(32).toString('hex');

test('bloom: every added transaction id is found; false positives near 1% at capacity', () => {
  const capacity = 20_000;
  const f = new TxIdBloom(capacity);
  const added = Array.from({ length: capacity }, id);
  for (const x of added) f.add(x);
  assert.ok(
    added.every((x) => f.mightContain(x)),
    'no false negatives',
  );
  assert.equal(f.count, capacity);
  assert.equal(f.full, false);
  const fp = Array.from({ length: 20_000 }, id).filter((x) => f.mightContain(x)).length / 20_000;
  assert.ok(fp < 0.03, `false-positive rate ${fp}`);
  f.add(id());
  assert.equal(f.full, true, 'past capacity it asks to be rebuilt');
});

test('bloom: every added state key is found', () => {
  const f = new KeyBloom(10_000);
  const keys = Array.from({ length: 10_000 }, (_, i) => `anchor:record-${i}-${id().slice(0, 8)}`);
  for (const k of keys) f.add(k);
  assert.ok(keys.every((k) => f.mightContain(k)));
  const fp = Array.from({ length: 10_000 }, (_, i) => `member:${i}`).filter((k) => f.mightContain(k)).length;
  assert.ok(fp < 300, `${fp} false positives in 10,000`);
});
