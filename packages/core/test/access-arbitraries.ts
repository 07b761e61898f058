// fast-check arbitraries shared by the access property tests (not a test file itself).
import fc from 'fast-check';
import { PURPOSES, type Grant, type Grantee, type ReadRequest, type Scope } from '../src/access/index.js';

// Small domains so that generated grants often match generated requests.
const members = ['m1', 'm2', 'm3', 'p1', 'p2'];
const orgs = ['o1', 'o2'];
const roles = ['doctor', 'nurse', 'researcher', 'insurer', 'patient'];
const categories = ['clinical', 'lab', 'billing'];
const resourceTypes = ['Observation', 'Condition'];
const recordIds = ['r1', 'r2'];
const patients = ['p1', 'p2'];

const sub = <T>(xs: T[]) => fc.option(fc.subarray(xs), { nil: undefined });
const grantee: fc.Arbitrary<Grantee> = fc.oneof(
  fc.record({ kind: fc.constant('member' as const), memberId: fc.constantFrom(...members) }),
  fc.record({
    kind: fc.constant('role' as const),
    org: fc.constantFrom(...orgs),
    role: fc.constantFrom(...roles),
  }),
  fc.record({ kind: fc.constant('org' as const), org: fc.constantFrom(...orgs) }),
);
const scope: fc.Arbitrary<Scope> = fc
  .record({ categories: sub(categories), resourceTypes: sub(resourceTypes), recordIds: sub(recordIds) })
  .map((s) => {
    const out: Scope = {};
    if (s.categories) out.categories = s.categories;
    if (s.resourceTypes) out.resourceTypes = s.resourceTypes;
    if (s.recordIds) out.recordIds = s.recordIds;
    return out;
  });
export const grantArb: fc.Arbitrary<Grant> = fc
  .record({
    grantId: fc.string({ minLength: 1, maxLength: 4 }),
    patientId: fc.constantFrom(...patients),
    grantee,
    scope,
    purposes: fc.subarray([...PURPOSES], { minLength: 1 }),
    notBefore: fc.integer({ min: 0, max: 100 }),
    len: fc.integer({ min: 1, max: 100 }),
    grantedAtHeight: fc.integer({ min: 0, max: 20 }),
    revokedAfter: fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
    linkage: fc.option(fc.boolean(), { nil: undefined }),
    emergency: fc.option(fc.boolean(), { nil: undefined }),
  })
  .map(({ len, revokedAfter, linkage, emergency, ...g }) => {
    const out: Grant = { ...g, notAfter: g.notBefore + len };
    if (revokedAfter !== undefined) out.revokedAtHeight = g.grantedAtHeight + revokedAfter;
    if (linkage !== undefined) out.linkage = linkage;
    if (emergency !== undefined) out.emergency = emergency;
    return out;
  });
export const grantsArb = fc.uniqueArray(grantArb, { maxLength: 6, selector: (g) => g.grantId });
export const requestArb: fc.Arbitrary<ReadRequest> = fc.record({
  requester: fc.record({
    memberId: fc.constantFrom(...members),
    org: fc.constantFrom(...orgs),
    role: fc.constantFrom(...roles),
  }),
  record: fc.record({
    recordId: fc.constantFrom(...recordIds),
    patientId: fc.constantFrom(...patients),
    category: fc.constantFrom(...categories),
    resourceType: fc.constantFrom(...resourceTypes),
    org: fc.constantFrom(...orgs),
    authors: fc.subarray(['m1', 'm2']),
  }),
  purpose: fc.constantFrom(...PURPOSES),
  at: fc.integer({ min: 0, max: 200 }),
  height: fc.integer({ min: 0, max: 40 }),
});
