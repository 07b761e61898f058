/**
 * Payload parsers refuse a mistyped field instead of reading it as something else. Each case
 * is one the fuzzer (node/test/fuzz.slow.test.ts) found accepted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isLedgerError } from '../src/index.js';
import { processGrantConsent, processSetCareTeam } from '../src/contracts/index.js';

const refused = (f: () => unknown, what: string): void =>
  assert.throws(f, (e: unknown) => isLedgerError(e) && e.code === 'INVALID_PAYLOAD', what);

const GRANT = {
  grantId: 'g-1',
  grantee: { kind: 'org', org: 'hospitalB' },
  scope: { categories: ['lab'] },
  purposes: ['treatment'],
  notBefore: 0,
  notAfter: 1,
};

test('behavior: consent.grant refuses a linkage or emergency flag that is not a boolean', () => {
  for (const field of ['linkage', 'emergency'])
    for (const v of ['yes', 1, 0, null, [], {}, 'false'])
      refused(() => processGrantConsent.parse({ ...GRANT, [field]: v }), `${field}: ${JSON.stringify(v)}`);
  const p = processGrantConsent.parse({ ...GRANT, linkage: true, emergency: false });
  assert.equal(p.linkage, true);
  assert.equal(p.emergency, false);
});

test('behavior: patient.careteam refuses a null add or remove list (a list left out is empty)', () => {
  for (const field of ['add', 'remove']) {
    refused(() => processSetCareTeam.parse({ [field]: null }), `${field}: null`);
    refused(() => processSetCareTeam.parse({ [field]: 'x' }), `${field}: "x"`);
  }
  assert.deepEqual(processSetCareTeam.parse({}), { add: [], remove: [] });
});
