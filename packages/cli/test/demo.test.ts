import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './helpers.js';

test(
  'demo: `medledger demo` runs the survey §4.1 scenario and every check passes',
  { timeout: 120_000 },
  async () => {
    const r = await runCli(['demo'], { MEDLEDGER_PASSPHRASE: '' });
    assert.equal(r.code, 0, r.stderr + r.stdout.slice(-2000));
    assert.match(r.stdout, /demo complete: every check passed/);
    for (const want of [
      'QUORUM_NOT_MET',
      'GRANT_EXPIRED',
      'OUT_OF_SCOPE',
      'GRANT_REVOKED',
      'RECORD_ERASED',
      'NO_GRANT',
      'INSURER_SCOPE',
    ]) {
      assert.match(r.stdout, new RegExp(want));
    }
    assert.doesNotMatch(r.stdout, /check failed/);
    // The patient's identity never appears: only member ids and pseudonyms.
    assert.doesNotMatch(r.stdout, /-----BEGIN|PRIVATE KEY/);
  },
);
