/**
 * The record forms' FHIR R4 resources, built from the fields a clinician fills, and the
 * problems of each field in words. What is built is a valid R4 Observation (status, category,
 * code, subject, performer, valueQuantity) or Condition (code, subject, recorder); the node
 * validates SPV uploads again against the R4 definitions (node/src/records/fhir.ts).
 */

/** The fields of the record form. */
export interface RecordFields {
  type: 'Observation' | 'Condition';
  patient: string;
  subject: string;
  text: string;
  value: string;
  unit: string;
}

/** Field → what is wrong with it, for each field that is wrong. */
export type FieldErrors = Partial<Record<keyof RecordFields | 'receivers' | 'cosigners', string>>;

export const MEMBER_ID = /^[0-9a-f]{64}$/;

/** The problems of the fields, or an empty object. */
export function fieldErrors(f: RecordFields): FieldErrors {
  const e: FieldErrors = {};
  if (!MEMBER_ID.test(f.patient.trim())) e.patient = 'The patient’s member id is 64 hexadecimal characters.';
  if (!/^[A-Za-z0-9.-]{1,64}$/.test(f.subject.trim()))
    e.subject = 'The episode (FHIR subject) is letters, digits, “.” or “-” (a FHIR id).';
  if (f.text.trim() === '')
    e.text = f.type === 'Observation' ? 'Say what was measured.' : 'Say what was diagnosed.';
  if (f.type === 'Observation' && (f.value.trim() === '' || !Number.isFinite(Number(f.value))))
    e.value = 'An observation needs a numeric value.';
  if (f.unit.length > 64) e.unit = 'The unit is at most 64 characters.';
  return e;
}

/** The FHIR R4 resource of valid fields, written by `author`. */
export function resourceOf(f: RecordFields, author: string): Record<string, unknown> {
  const subject = { reference: `Patient/${f.subject.trim()}` };
  if (f.type === 'Condition')
    return {
      resourceType: 'Condition',
      code: { text: f.text.trim() },
      subject,
      recorder: { reference: `Practitioner/${author}` },
    };
  return {
    resourceType: 'Observation',
    status: 'final',
    category: [
      {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' },
        ],
      },
    ],
    code: { text: f.text.trim() },
    subject,
    performer: [{ reference: `Practitioner/${author}` }],
    valueQuantity: { value: Number(f.value), ...(f.unit.trim() ? { unit: f.unit.trim() } : {}) },
  };
}
