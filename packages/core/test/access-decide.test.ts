import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DENY_CODES,
  decideRead,
  evaluateGrant,
  inScope,
  type Decision,
  type DenyCode,
  type Grant,
  type ReadRequest,
} from '../src/access/index.js';
import { DAY, T0, grant, request } from './access-fixtures.js';

type Want =
  { allow: true; basis: 'patient' | 'author' | 'grant'; grantId?: string; linkage: boolean } | DenyCode;
interface Case {
  name: string;
  grants: Grant[];
  req: ReadRequest;
  want: Want;
}

const cases: Case[] = [
  // --- bases without a grant ---
  {
    name: 'the patient reads their own record for any purpose',
    grants: [],
    req: request({ requester: { memberId: 'pat-1', org: 'hosp-a', role: 'patient' }, purpose: 'research' }),
    want: { allow: true, basis: 'patient', linkage: true },
  },
  {
    name: 'a responsible author reads their record for treatment',
    grants: [],
    req: request({ requester: { memberId: 'dr-alice', org: 'hosp-a' } }),
    want: { allow: true, basis: 'author', linkage: true },
  },
  {
    name: 'an author needs a grant for research (secondary use)',
    grants: [],
    req: request({ requester: { memberId: 'dr-alice', org: 'hosp-a' }, purpose: 'research' }),
    want: 'NO_GRANT',
  },
  {
    name: 'default deny: no grants at all',
    grants: [],
    req: request(),
    want: 'NO_GRANT',
  },
  {
    name: 'a grant to someone else is no grant',
    grants: [grant({ grantee: { kind: 'member', memberId: 'dr-eve' } })],
    req: request(),
    want: 'NO_GRANT',
  },
  {
    name: 'an empty member id never matches the patient or an author',
    grants: [],
    req: request({ requester: { memberId: '' }, record: { patientId: '', authors: [''] } }),
    want: 'NO_GRANT',
  },
  // --- grantee kinds ---
  {
    name: 'member grant allows',
    grants: [grant()],
    req: request(),
    want: { allow: true, basis: 'grant', grantId: 'g1', linkage: true },
  },
  {
    name: 'role grant allows a member of that org with that role',
    grants: [grant({ grantee: { kind: 'role', org: 'hosp-b', role: 'doctor' } })],
    req: request({ requester: { memberId: 'dr-carl' } }),
    want: { allow: true, basis: 'grant', grantId: 'g1', linkage: true },
  },
  {
    name: 'role grant does not cover another role of the same org',
    grants: [grant({ grantee: { kind: 'role', org: 'hosp-b', role: 'doctor' } })],
    req: request({ requester: { memberId: 'nurse-n', role: 'nurse' } }),
    want: 'NO_GRANT',
  },
  {
    name: 'role grant does not cover the same role in another org',
    grants: [grant({ grantee: { kind: 'role', org: 'hosp-b', role: 'doctor' } })],
    req: request({ requester: { org: 'hosp-c' } }),
    want: 'NO_GRANT',
  },
  {
    name: 'org grant covers the org staff',
    grants: [grant({ grantee: { kind: 'org', org: 'hosp-b' } })],
    req: request({ requester: { memberId: 'nurse-n', role: 'nurse' } }),
    want: { allow: true, basis: 'grant', grantId: 'g1', linkage: true },
  },
  {
    name: 'org grant does not cover another patient registered at that org',
    grants: [grant({ grantee: { kind: 'org', org: 'hosp-b' } })],
    req: request({ requester: { memberId: 'pat-2', role: 'patient' } }),
    want: 'NO_GRANT',
  },
  // --- each check ---
  {
    name: 'a grant of another patient reports WRONG_PATIENT',
    grants: [grant({ patientId: 'pat-2' })],
    req: request(),
    want: 'WRONG_PATIENT',
  },
  {
    name: 'a purpose not granted',
    grants: [grant({ purposes: ['treatment'] })],
    req: request({ purpose: 'research' }),
    want: 'PURPOSE_NOT_GRANTED',
  },
  {
    name: "'emergency' needs the emergency flag even when listed",
    grants: [grant({ purposes: ['treatment', 'emergency'] })],
    req: request({ purpose: 'emergency' }),
    want: 'PURPOSE_NOT_GRANTED',
  },
  {
    name: "the emergency flag alone does not grant 'emergency'",
    grants: [grant({ purposes: ['treatment'], emergency: true })],
    req: request({ purpose: 'emergency' }),
    want: 'PURPOSE_NOT_GRANTED',
  },
  {
    name: 'a pre-authorised emergency grant allows emergency reads',
    grants: [grant({ purposes: ['emergency'], emergency: true })],
    req: request({ purpose: 'emergency' }),
    want: { allow: true, basis: 'grant', grantId: 'g1', linkage: true },
  },
  {
    name: 'out of scope: other category',
    grants: [grant({ scope: { categories: ['clinical'] } })],
    req: request(),
    want: 'OUT_OF_SCOPE',
  },
  {
    name: 'scope: dimensions are ANDed (category matches, resource type does not)',
    grants: [grant({ scope: { categories: ['lab'], resourceTypes: ['DiagnosticReport'] } })],
    req: request(),
    want: 'OUT_OF_SCOPE',
  },
  {
    name: 'scope: values within a dimension are ORed',
    grants: [
      grant({ scope: { categories: ['clinical', 'lab'], resourceTypes: ['Observation', 'Condition'] } }),
    ],
    req: request(),
    want: { allow: true, basis: 'grant', grantId: 'g1', linkage: true },
  },
  {
    name: 'scope: record ids',
    grants: [grant({ scope: { recordIds: ['rec-9'] } })],
    req: request(),
    want: 'OUT_OF_SCOPE',
  },
  {
    name: 'scope: an empty scope matches nothing',
    grants: [grant({ scope: {} })],
    req: request(),
    want: 'OUT_OF_SCOPE',
  },
  {
    name: 'scope: a present but empty dimension matches nothing',
    grants: [grant({ scope: { categories: ['lab'], recordIds: [] } })],
    req: request(),
    want: 'OUT_OF_SCOPE',
  },
  {
    name: 'not yet valid: before notBefore',
    grants: [grant({ notBefore: T0 + 2 * DAY })],
    req: request({ at: T0 + DAY }),
    want: 'GRANT_NOT_YET_VALID',
  },
  {
    name: 'valid from notBefore inclusive',
    grants: [grant()],
    req: request({ at: T0 }),
    want: { allow: true, basis: 'grant', grantId: 'g1', linkage: true },
  },
  {
    name: 'not yet valid: the grant is not in the state at that height',
    grants: [grant({ grantedAtHeight: 25 })],
    req: request({ height: 24 }),
    want: 'GRANT_NOT_YET_VALID',
  },
  {
    name: 'expired at notAfter exactly',
    grants: [grant()],
    req: request({ at: T0 + 30 * DAY }),
    want: 'GRANT_EXPIRED',
  },
  {
    name: 'valid until just before notAfter',
    grants: [grant()],
    req: request({ at: T0 + 30 * DAY - 1 }),
    want: { allow: true, basis: 'grant', grantId: 'g1', linkage: true },
  },
  {
    name: 'revoked in the block that carries the revocation',
    grants: [grant({ revokedAtHeight: 20 })],
    req: request({ height: 20 }),
    want: 'GRANT_REVOKED',
  },
  {
    name: 'still valid in the state before the revocation',
    grants: [grant({ revokedAtHeight: 21 })],
    req: request({ height: 20 }),
    want: { allow: true, basis: 'grant', grantId: 'g1', linkage: true },
  },
  {
    name: 'malformed time denies (NaN)',
    grants: [grant()],
    req: request({ at: Number.NaN }),
    want: 'GRANT_NOT_YET_VALID',
  },
  // --- linkage ---
  {
    name: 'research without linkage: pseudonymised',
    grants: [grant({ purposes: ['research'] })],
    req: request({ purpose: 'research', requester: { role: 'researcher' } }),
    want: { allow: true, basis: 'grant', grantId: 'g1', linkage: false },
  },
  {
    name: 'research with linkage granted',
    grants: [grant({ purposes: ['research'], linkage: true })],
    req: request({ purpose: 'research', requester: { role: 'researcher' } }),
    want: { allow: true, basis: 'grant', grantId: 'g1', linkage: true },
  },
  {
    name: 'of two allowing grants the one granting linkage is reported',
    grants: [
      grant({ purposes: ['research'], grantId: 'a' }),
      grant({ purposes: ['research'], grantId: 'b', linkage: true }),
    ],
    req: request({ purpose: 'research' }),
    want: { allow: true, basis: 'grant', grantId: 'b', linkage: true },
  },
  // --- most specific denial ---
  {
    name: 'an expired matching grant beats a grant for another purpose',
    grants: [grant({ grantId: 'a', purposes: ['payment'] }), grant({ grantId: 'b', notAfter: T0 + 1 })],
    req: request(),
    want: 'GRANT_EXPIRED',
  },
  {
    name: 'out of scope beats wrong patient',
    grants: [
      grant({ grantId: 'a', scope: { categories: ['billing'] } }),
      grant({ grantId: 'b', patientId: 'pat-9' }),
    ],
    req: request(),
    want: 'OUT_OF_SCOPE',
  },
  {
    name: 'one valid grant allows despite revoked and expired ones',
    grants: [
      grant({ grantId: 'a', revokedAtHeight: 15 }),
      grant({ grantId: 'b', notAfter: T0 + 1 }),
      grant({ grantId: 'c' }),
    ],
    req: request(),
    want: { allow: true, basis: 'grant', grantId: 'c', linkage: true },
  },
];

function check(d: Decision, want: Want, name: string): void {
  if (typeof want === 'string') {
    assert.equal(d.allow, false, name);
    if (!d.allow) {
      assert.equal(d.code, want, name);
      assert.ok(d.message.length > 0, name);
    }
  } else {
    assert.deepEqual(d, want, name);
  }
}

test('decideRead: table of cases', () => {
  for (const c of cases) {
    check(decideRead(c.grants, c.req), c.want, c.name);
    check(decideRead([...c.grants].reverse(), c.req), c.want, `${c.name} (grants reversed)`);
  }
});

test('decideRead: every deny code is reachable', () => {
  const reached = new Set<DenyCode>();
  for (const c of cases) {
    const d = decideRead(c.grants, c.req);
    if (!d.allow) reached.add(d.code);
  }
  assert.deepEqual([...reached].sort(), [...DENY_CODES].sort());
});

test('decideRead: a denial names the grant that explains it; the message carries no record contents', () => {
  const d = decideRead([grant({ grantId: 'g-exp', notAfter: T0 + 1 })], request());
  assert.equal(d.allow, false);
  if (!d.allow) {
    assert.equal(d.grantId, 'g-exp');
    assert.match(d.message, /g-exp/);
  }
});

test('decideRead: revocation takes effect from the block that carries it onward', () => {
  const g = grant({ revokedAtHeight: 30 });
  for (let h = 10; h < 40; h++) {
    assert.equal(decideRead([g], request({ height: h })).allow, h < 30, `height ${h}`);
  }
});

test('evaluateGrant and inScope: the building blocks agree with decideRead', () => {
  const r = request();
  assert.equal(evaluateGrant(grant(), r).allow, true);
  assert.deepEqual(evaluateGrant(grant({ grantee: { kind: 'member', memberId: 'x' } }), r).allow, false);
  assert.equal(inScope({}, r.record), false);
  assert.equal(inScope({ categories: ['lab'] }, r.record), true);
  assert.equal(inScope({ categories: ['lab'], recordIds: ['rec-1'] }, r.record), true);
  assert.equal(inScope({ categories: ['lab'], recordIds: ['rec-2'] }, r.record), false);
});
