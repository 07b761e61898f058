import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './helpers.js';

test(
  'demo: `medledger demo pharmacy` plays prescriptions, doctor shopping and track and trace; every check passes',
  { timeout: 120_000 },
  async () => {
    const r = await runCli(['demo', 'pharmacy']);
    assert.equal(r.code, 0, r.stderr + r.stdout.slice(-2000));
    assert.match(r.stdout, /demo complete: every check passed/);
    for (const code of [
      'APPROVAL_INVALID',
      'DUPLICATE_SERIAL',
      'NOT_HOLDER',
      'RESOURCE_MISMATCH',
      'RX_WRONG_PHARMACY',
      'RX_ALTERED',
      'RX_QUANTITY_EXCEEDED',
      'PACK_DISPENSED',
      'NOT_THIS_PHARMACY',
      'RX_CANCELLED',
      'RX_EXPIRED',
      'PACK_RECALLED',
    ])
      assert.match(r.stdout, new RegExp(`\\(${code}\\)`), code);
    assert.match(r.stdout, /records alert [0-9a-f]{12}… on the ledger/);
    assert.doesNotMatch(r.stdout, /check failed|PRIVATE KEY/);
  },
);

test(
  'demo: `medledger demo payments` plays claims, adjudication, payments, a dispute and one statement; every check passes',
  { timeout: 120_000 },
  async () => {
    const r = await runCli(['demo', 'payments']);
    assert.equal(r.code, 0, r.stderr + r.stdout.slice(-2000));
    assert.match(r.stdout, /demo complete: every check passed/);
    for (const code of [
      'UNRECORDED_SERVICE',
      'SERVICE_ALREADY_CLAIMED',
      'NO_COVERAGE',
      'TOTAL_MISMATCH',
      'CLAIM_ALREADY_PAID',
      'OVERPAYMENT',
      'FORBIDDEN',
    ])
      assert.match(r.stdout, new RegExp(`\\(${code}\\)`), code);
    assert.match(r.stdout, /read the same bytes \(SHA-256 [0-9a-f]{16}…\)/);
  },
);

test('demo: an unknown demo is a usage error (exit 2)', async () => {
  const r = await runCli(['demo', 'bakery']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /demo \[pharmacy\|payments\]/);
});
