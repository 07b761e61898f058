/**
 * Which member roles an organization may issue, by its role in genesis (or in the card that
 * `consortium.add-org` added). `registry.enroll` refuses any other with ROLE_NOT_ALLOWED, so an
 * insurer cannot make itself a doctor and receive clinical grants, and a role named in a
 * certificate means what it says about the organization behind it.
 *
 * Clinical roles (doctor, nurse, patient, ...) exist only at care delivery organizations
 * (hospitals, clinics, labs); an insurer issues claims and billing roles only; a research
 * institute issues researchers; a pharmacy pharmacists; a regulator officers; manufacturers and
 * distributors staff. Every organization may have administrators and auditors (they act for
 * the organization's own services: group managers, audits).
 */
import type { OrgRole } from '../../genesis.js';

const OFFICE = ['admin', 'auditor'] as const;

/** The member roles each organization role may issue. */
export const ORG_MEMBER_ROLES: Readonly<Record<OrgRole, readonly string[]>> = {
  cdo: ['doctor', 'nurse', 'patient', 'relative', 'technician', 'billing', ...OFFICE],
  insurer: ['insurer', 'billing', ...OFFICE],
  research: ['researcher', ...OFFICE],
  pharmacy: ['pharmacist', ...OFFICE],
  regulator: ['officer', ...OFFICE],
  manufacturer: ['staff', ...OFFICE],
  distributor: ['staff', ...OFFICE],
};

/**
 * True if an organization of role `orgRole` may enroll a member of role `role`.
 * @example mayIssueRole('insurer', 'doctor') // false
 */
export function mayIssueRole(orgRole: OrgRole, role: string): boolean {
  return ORG_MEMBER_ROLES[orgRole]?.includes(role) ?? false;
}
