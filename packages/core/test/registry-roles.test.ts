/**
 * The roles an organization may issue follow from its role in genesis (contracts/registry
 * roles.ts): an insurer cannot make itself a doctor, and a rule about insurers looks at the
 * member's organization, not only at the role its certificate claims.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ORG_ROLES, ORG_MEMBER_ROLES, mayIssueRole, type OrgRole } from '../src/index.js';
import { MemChain, T0, enrollTx, makeFixture, makeTx } from './fixtures.js';

const DAY = 86_400_000;
const ROLES_IN_USE = [
  'doctor',
  'nurse',
  'patient',
  'relative',
  'technician',
  'billing',
  'admin',
  'auditor',
  'insurer',
  'researcher',
  'pharmacist',
  'officer',
  'staff',
];

test('security: an insurer cannot enroll a doctor, nor a research institute a patient', async () => {
  const f = await makeFixture(['hospitalA', 'insurer', 'institute'], {
    insurer: 'insurer',
    institute: 'research',
  });
  const c = new MemChain(f);
  const fake = await f.member('insurer', 'doctor', 'not-a-doctor');
  const patient = await f.member('institute', 'patient', 'p');
  const claims = await f.member('insurer', 'insurer', 'claims');
  const doctor = await f.member('hospitalA', 'doctor', 'd');
  assert.deepEqual(
    c.commit(
      [
        enrollTx(f, 'insurer', fake, T0),
        enrollTx(f, 'institute', patient, T0),
        enrollTx(f, 'insurer', claims, T0),
        enrollTx(f, 'hospitalA', doctor, T0),
      ],
      T0 + 1,
    ),
    ['ROLE_NOT_ALLOWED', 'ROLE_NOT_ALLOWED', 'OK', 'OK'],
  );
  assert.equal(c.state.get(`member:${fake.id}`), undefined, 'nothing enrolled');
});

test("security: a grant to a member of an insurer is confined to billing, whatever the member's role", async () => {
  const f = await makeFixture(['gpclinic', 'insurer'], { insurer: 'insurer' });
  const c = new MemChain(f);
  const bob = await f.member('gpclinic', 'patient', 'bob');
  const biller = await f.member('insurer', 'billing', 'biller');
  assert.deepEqual(c.commit([enrollTx(f, 'gpclinic', bob, T0), enrollTx(f, 'insurer', biller, T0)], T0 + 1), [
    'OK',
    'OK',
  ]);
  const grant = (grantId: string, categories: string[], purposes: string[]) =>
    makeTx(
      f.chainId,
      'consent.grant',
      {
        grantId,
        grantee: { kind: 'member', memberId: biller.id },
        scope: { categories },
        purposes,
        notBefore: T0,
        notAfter: T0 + DAY,
      },
      [[bob.id, bob.keys.privateKey]],
      T0 + 1,
    );
  assert.deepEqual(
    c.commit(
      [grant('clinical', ['clinical'], ['treatment']), grant('bill', ['billing'], ['payment'])],
      T0 + 2,
    ),
    ['INSURER_SCOPE', 'OK'],
  );
});

test('rule: every organization role has a table row, and enrollment follows it for every role in use', async () => {
  const orgIds = ORG_ROLES.map((r) => `o-${r}`);
  const f = await makeFixture(
    orgIds,
    Object.fromEntries(ORG_ROLES.map((r) => [`o-${r}`, r])) as Record<string, OrgRole>,
  );
  const c = new MemChain(f);
  for (const orgRole of ORG_ROLES) {
    assert.ok(ORG_MEMBER_ROLES[orgRole].length > 0, orgRole);
    const txs = [];
    for (const role of ROLES_IN_USE)
      txs.push(enrollTx(f, `o-${orgRole}`, await f.member(`o-${orgRole}`, role, role), T0));
    const codes = c.commit(txs, T0 + 1);
    ROLES_IN_USE.forEach((role, i) =>
      assert.equal(codes[i], mayIssueRole(orgRole, role) ? 'OK' : 'ROLE_NOT_ALLOWED', `${orgRole} → ${role}`),
    );
  }
  // The clinical roles only at care delivery organizations; claims roles only at insurers and CDOs.
  for (const orgRole of ORG_ROLES) {
    assert.equal(mayIssueRole(orgRole, 'doctor'), orgRole === 'cdo', `${orgRole} → doctor`);
    assert.equal(mayIssueRole(orgRole, 'patient'), orgRole === 'cdo', `${orgRole} → patient`);
    assert.equal(mayIssueRole(orgRole, 'insurer'), orgRole === 'insurer', `${orgRole} → insurer`);
  }
});
