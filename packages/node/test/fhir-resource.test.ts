/** validateFhirResource: any R4 resource type, checked against the R4 definitions, issues without values. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateFhirResource } from '../src/records/fhir.js';

test('fhir: a resource missing required elements names each of them, without echoing values', () => {
  const v = validateFhirResource(
    { resourceType: 'ClaimResponse', status: 'active', disposition: 'secret-ABC' },
    'ClaimResponse',
  );
  assert.equal(v.ok, false);
  const paths = v.ok ? [] : v.issues.map((i) => i.path);
  for (const p of ['type', 'use', 'patient', 'created', 'insurer', 'outcome'])
    assert.ok(paths.includes(`ClaimResponse.${p}`), p);
  assert.ok(!JSON.stringify(v).includes('secret-ABC'));
});

test('fhir: wrong primitive types and formats are refused; the expected type is enforced', () => {
  const bad = validateFhirResource(
    {
      resourceType: 'MedicationDispense',
      status: 'completed',
      medicationCodeableConcept: { text: 'x' },
      whenHandedOver: 'yesterday',
    },
    'MedicationDispense',
  );
  assert.deepEqual(bad.ok ? [] : bad.issues.map((i) => i.path), ['MedicationDispense.whenHandedOver']);
  const amount = validateFhirResource(
    {
      resourceType: 'PaymentReconciliation',
      status: 'active',
      created: '2026-01-01T00:00:00.000Z',
      paymentDate: '2026-01-01',
      paymentAmount: { value: '12.00', currency: 'EUR' },
    },
    'PaymentReconciliation',
  );
  assert.equal(amount.ok, false);
  assert.equal(validateFhirResource({ resourceType: 'Claim' }, 'ClaimResponse').ok, false);
  assert.equal(validateFhirResource([], 'Claim').ok, false);
  const good = validateFhirResource(
    {
      resourceType: 'MedicationDispense',
      status: 'completed',
      medicationCodeableConcept: { text: 'x' },
      whenHandedOver: '2026-01-01T10:00:00Z',
    },
    'MedicationDispense',
  );
  assert.equal(good.ok, true);
});
