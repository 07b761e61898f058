import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateGrant, type Grant, type GrantValidationCode } from '../src/access/index.js';
import { T0, grant } from './access-fixtures.js';

const bad = (g: unknown) => g as Grant;

const invalid: [string, Grant, GrantValidationCode, string?][] = [
  ['empty grantId', grant({ grantId: '' }), 'INVALID_ID'],
  ['non-string patientId', bad({ ...grant(), patientId: 7 }), 'INVALID_ID'],
  ['empty member grantee', grant({ grantee: { kind: 'member', memberId: '' } }), 'INVALID_GRANTEE'],
  ['role grantee without role', grant({ grantee: { kind: 'role', org: 'o', role: '' } }), 'INVALID_GRANTEE'],
  [
    'role grant to every patient',
    grant({ grantee: { kind: 'role', org: 'o', role: 'patient' } }),
    'INVALID_GRANTEE',
  ],
  ['org grantee without org', grant({ grantee: { kind: 'org', org: '' } }), 'INVALID_GRANTEE'],
  ['unknown grantee kind', bad({ ...grant(), grantee: { kind: 'everyone' } }), 'INVALID_GRANTEE'],
  ['no purposes', grant({ purposes: [] }), 'EMPTY_PURPOSES'],
  ['unknown purpose', bad({ ...grant(), purposes: ['marketing'] }), 'INVALID_PURPOSE'],
  ['duplicate purpose', grant({ purposes: ['treatment', 'treatment'] }), 'INVALID_PURPOSE'],
  ['empty scope', grant({ scope: {} }), 'EMPTY_SCOPE'],
  ['scope not an object', bad({ ...grant(), scope: ['lab'] }), 'EMPTY_SCOPE'],
  ['present but empty dimension', grant({ scope: { categories: ['lab'], recordIds: [] } }), 'INVALID_SCOPE'],
  ['empty string in scope', grant({ scope: { categories: [''] } }), 'INVALID_SCOPE'],
  [
    'unknown scope dimension',
    bad({ ...grant(), scope: { categories: ['lab'], orgs: ['x'] } }),
    'INVALID_SCOPE',
  ],
  ['notBefore == notAfter', grant({ notBefore: T0, notAfter: T0 }), 'INVALID_WINDOW'],
  ['notBefore > notAfter', grant({ notBefore: T0 + 1, notAfter: T0 }), 'INVALID_WINDOW'],
  ['fractional time', grant({ notAfter: T0 + 0.5 }), 'INVALID_WINDOW'],
  ['NaN time', grant({ notBefore: Number.NaN }), 'INVALID_WINDOW'],
  ['negative height', grant({ grantedAtHeight: -1 }), 'INVALID_HEIGHT'],
  ['revoked before granted', grant({ grantedAtHeight: 10, revokedAtHeight: 9 }), 'INVALID_HEIGHT'],
  ['non-boolean linkage', bad({ ...grant(), linkage: 'yes' }), 'INVALID_FLAG'],
  ["'emergency' without the flag", grant({ purposes: ['emergency'] }), 'EMERGENCY_MISMATCH'],
  ["flag without 'emergency'", grant({ emergency: true }), 'EMERGENCY_MISMATCH'],
  [
    'insurer role grant beyond billing',
    grant({
      grantee: { kind: 'role', org: 'ins-1', role: 'insurer' },
      scope: { categories: ['billing', 'lab'] },
      purposes: ['payment'],
    }),
    'INSURER_SCOPE',
  ],
  [
    'insurer grant without a category limit (resource types only)',
    grant({
      grantee: { kind: 'role', org: 'ins-1', role: 'insurer' },
      scope: { resourceTypes: ['Claim'] },
      purposes: ['payment'],
    }),
    'INSURER_SCOPE',
  ],
  [
    'insurer grant (by hint) for treatment',
    grant({
      grantee: { kind: 'org', org: 'ins-1' },
      scope: { categories: ['billing'] },
      purposes: ['payment', 'treatment'],
    }),
    'INSURER_PURPOSE',
    'insurer',
  ],
  [
    'insurer member (by hint) reading mental health',
    grant({ scope: { categories: ['mental-health'] }, purposes: ['payment'] }),
    'INSURER_SCOPE',
    'insurer',
  ],
];

test('validateGrant: table of invalid grants, each with its code', () => {
  for (const [name, g, code, hint] of invalid) {
    const v = validateGrant(g, hint);
    assert.equal(v.ok, false, name);
    if (!v.ok) {
      assert.equal(v.code, code, name);
      assert.ok(v.message.length > 0, name);
    }
  }
});

test('validateGrant: well-formed grants pass', () => {
  const ok: [string, Grant, string?][] = [
    ['member treatment grant', grant()],
    [
      'role grant with AND-ed scope',
      grant({
        grantee: { kind: 'role', org: 'h', role: 'nurse' },
        scope: { categories: ['lab'], resourceTypes: ['Observation'] },
      }),
    ],
    [
      'org grant for record ids',
      grant({ grantee: { kind: 'org', org: 'h' }, scope: { recordIds: ['r1', 'r2'] } }),
    ],
    ['emergency grant', grant({ purposes: ['treatment', 'emergency'], emergency: true })],
    ['research with linkage', grant({ purposes: ['research'], linkage: true })],
    ['revoked grant', grant({ revokedAtHeight: 10 })],
    [
      'insurer billing/payment grant narrowed to claims',
      grant({
        grantee: { kind: 'role', org: 'ins', role: 'insurer' },
        scope: { categories: ['billing'], resourceTypes: ['Claim'] },
        purposes: ['payment'],
      }),
    ],
    ['insurer by hint', grant({ scope: { categories: ['billing'] }, purposes: ['payment'] }), 'insurer'],
    ['hint of another role', grant({ scope: { categories: ['mental-health'] } }), 'doctor'],
  ];
  for (const [name, g, hint] of ok) assert.deepEqual(validateGrant(g, hint), { ok: true }, name);
});

test('validateGrant: every validation code is reachable', () => {
  const codes = new Set(
    invalid.map(([, g, , hint]) => {
      const v = validateGrant(g, hint);
      return v.ok ? 'ok' : v.code;
    }),
  );
  const all: GrantValidationCode[] = [
    'INVALID_ID',
    'INVALID_GRANTEE',
    'EMPTY_PURPOSES',
    'INVALID_PURPOSE',
    'EMPTY_SCOPE',
    'INVALID_SCOPE',
    'INVALID_WINDOW',
    'INVALID_HEIGHT',
    'INVALID_FLAG',
    'EMERGENCY_MISMATCH',
    'INSURER_SCOPE',
    'INSURER_PURPOSE',
  ];
  assert.deepEqual([...codes].sort(), [...all].sort());
});
