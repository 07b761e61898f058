import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { grantArb, grantsArb, requestArb } from './access-arbitraries.js';
import {
  AUTHOR_PURPOSES,
  decideRead,
  type Grant,
  type Purpose,
  type ReadRequest,
} from '../src/access/index.js';

/** The rules of DESIGN/STYLE restated as a plain predicate: the oracle for allow/deny. */
function oracleAllows(grants: readonly Grant[], req: ReadRequest): boolean {
  const { requester: q, record: r } = req;
  if (q.memberId === r.patientId) return true;
  if (r.authors.includes(q.memberId) && (AUTHOR_PURPOSES as Purpose[]).includes(req.purpose)) return true;
  return grants.some((g) => {
    const who =
      (g.grantee.kind === 'member' && g.grantee.memberId === q.memberId) ||
      (g.grantee.kind === 'role' && g.grantee.org === q.org && g.grantee.role === q.role) ||
      (g.grantee.kind === 'org' && g.grantee.org === q.org && q.role !== 'patient');
    const dims = [
      g.scope.categories && g.scope.categories.includes(r.category),
      g.scope.resourceTypes && g.scope.resourceTypes.includes(r.resourceType),
      g.scope.recordIds && g.scope.recordIds.includes(r.recordId),
    ].filter((x) => x !== undefined);
    return (
      who &&
      g.patientId === r.patientId &&
      g.purposes.includes(req.purpose) &&
      (req.purpose !== 'emergency' || g.emergency === true) &&
      dims.length > 0 &&
      dims.every(Boolean) &&
      !(g.revokedAtHeight !== undefined && g.revokedAtHeight <= req.height) &&
      g.grantedAtHeight <= req.height &&
      g.notBefore <= req.at &&
      req.at < g.notAfter
    );
  });
}

const runs = { numRuns: 2000 };

test('property: decideRead allows exactly when the rules say so', () => {
  let allows = 0;
  fc.assert(
    fc.property(grantsArb, requestArb, (grants, req) => {
      const d = decideRead(grants, req);
      assert.equal(d.allow, oracleAllows(grants, req));
      if (d.allow) allows++;
    }),
    runs,
  );
  // The generators must exercise both outcomes, or this property proves nothing.
  assert.ok(allows > 200 && allows < 1800, `allows ${allows}`);
});

test('property: a request at time >= notAfter is never allowed by that grant', () => {
  fc.assert(
    fc.property(grantArb, requestArb, fc.nat(1000), (g, req, late) => {
      const d = decideRead([g], { ...req, at: g.notAfter + late });
      assert.ok(!(d.allow && d.basis === 'grant'));
    }),
    runs,
  );
});

test('property: adding a revoked grant never turns a deny into an allow', () => {
  fc.assert(
    fc.property(grantsArb, grantArb, requestArb, fc.nat(5), (grants, extra, req, back) => {
      fc.pre(!grants.some((g) => g.grantId === extra.grantId));
      const revoked: Grant = {
        ...extra,
        grantedAtHeight: 0,
        revokedAtHeight: Math.max(0, req.height - back),
      };
      const before = decideRead(grants, req);
      const after = decideRead([...grants, revoked], req);
      if (!before.allow) assert.equal(after.allow, false);
      if (after.allow) assert.notEqual(after.grantId, revoked.grantId);
    }),
    runs,
  );
});

test('property: the decision does not depend on the order of grants', () => {
  fc.assert(
    fc.property(
      grantsArb.chain((gs) =>
        fc.tuple(fc.constant(gs), fc.shuffledSubarray(gs, { minLength: gs.length, maxLength: gs.length })),
      ),
      requestArb,
      ([grants, shuffled], req) => {
        assert.deepEqual(decideRead(shuffled, req), decideRead(grants, req));
      },
    ),
    runs,
  );
});

test('property: a denial is the most specific one any single grant gives', () => {
  const rank = [
    'NO_GRANT',
    'WRONG_PATIENT',
    'PURPOSE_NOT_GRANTED',
    'OUT_OF_SCOPE',
    'GRANT_REVOKED',
    'GRANT_NOT_YET_VALID',
    'GRANT_EXPIRED',
  ];
  fc.assert(
    fc.property(grantsArb, requestArb, (grants, req) => {
      const d = decideRead(grants, req);
      if (d.allow) return;
      for (const g of grants) {
        const one = decideRead([g], req);
        assert.equal(one.allow, false);
        if (!one.allow) assert.ok(rank.indexOf(one.code) <= rank.indexOf(d.code), `${one.code} vs ${d.code}`);
      }
    }),
    runs,
  );
});

test('property: the decision is monotone in grants (adding a grant never turns an allow into a deny)', () => {
  fc.assert(
    fc.property(grantsArb, grantArb, requestArb, (grants, extra, req) => {
      fc.pre(!grants.some((g) => g.grantId === extra.grantId));
      if (decideRead(grants, req).allow) assert.equal(decideRead([...grants, extra], req).allow, true);
    }),
    runs,
  );
});
