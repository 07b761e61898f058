/**
 * Payload parsers refuse a mistyped field instead of reading it as something else. Each case
 * is one the fuzzer (node/test/fuzz.slow.test.ts) found accepted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isLedgerError } from '../src/index.js';
import { B64U } from '../src/validate.js';
import { processEnrollMember, processGrantConsent, processSetCareTeam } from '../src/contracts/index.js';

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

test('behavior: base64url fields take only the canonical spelling of their bytes (RFC 4648 §3.5)', () => {
  for (const n of [1, 2, 3, 16, 32, 33, 64]) {
    const canonical = Buffer.alloc(n, 0xa5).toString('base64url');
    assert.ok(B64U.test(canonical), `${n} bytes`);
    // The same bytes with an unused low bit set in the last character.
    if (n % 3 !== 0) {
      const last = canonical.at(-1)!;
      const twin = canonical.slice(0, -1) + String.fromCharCode(last.charCodeAt(0) + 1);
      assert.equal(Buffer.from(twin, 'base64url').toString('base64url'), canonical);
      assert.equal(B64U.test(twin), false, `${twin}: a second spelling of ${n} bytes`);
    }
  }
  for (const bad of ['A', 'AAAAA', 'AA==', 'AB+/', 'AB CD']) assert.equal(B64U.test(bad), false, bad);
  // Found by the fuzzer: an enrollment whose certificate was spelled non-canonically parsed.
  const cert = Buffer.alloc(100, 7).toString('base64url');
  assert.equal(cert.at(-1), 'w');
  refused(
    () => processEnrollMember.parse({ certificate: `${cert.slice(0, -1)}x` }),
    'non-canonical certificate',
  );
});
