/**
 * Which of its organization's services a node runs: node.json's `"services"` key.
 *
 *   "services": {
 *     "abeAuthority": true,                 the ABE attribute authority of `<attr>@<org>`
 *     "credentialIssuer": true,             the anonymous-credential (BBS) issuer of the org
 *     "groups": [{ "id": "clinicians-hospitalA", "description": "...", "roles": ["doctor", "nurse"] }],
 *                                           BBS04 groups it manages, and who may join them
 *     "heCustodian": true                   custody of patients' Paillier keys (claims' totals)
 *   }
 *
 * Absent: the node runs none of them. `medledger init --dev` writes sensible ones per
 * organization role ({@link devServicesFor}).
 */
import type { OrgRole } from '@medledger/core';

/** One BBS04 group a node manages. */
export interface GroupServiceConfig {
  /** The group id on the ledger (`anon.group.register`). */
  id: string;
  description: string;
  /** Member roles of the managing organization that may join (default: every role). */
  roles?: string[];
}

/** node.json `"services"`. */
export interface OrgServicesConfig {
  abeAuthority?: boolean;
  credentialIssuer?: boolean;
  groups?: GroupServiceConfig[];
  heCustodian?: boolean;
}

const GROUP_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Checks node.json's `"services"` value.
 * @throws TypeError naming the field that is wrong
 */
export function parseServicesConfig(raw: unknown): OrgServicesConfig {
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new TypeError('node.json "services" must be an object');
  const o = raw as Record<string, unknown>;
  const known = ['abeAuthority', 'credentialIssuer', 'groups', 'heCustodian'];
  for (const k of Object.keys(o))
    if (!known.includes(k))
      throw new TypeError(`node.json "services.${k}" is not a service (${known.join(', ')})`);
  const out: OrgServicesConfig = {};
  for (const k of ['abeAuthority', 'credentialIssuer', 'heCustodian'] as const) {
    if (o[k] === undefined) continue;
    if (typeof o[k] !== 'boolean') throw new TypeError(`node.json "services.${k}" must be true or false`);
    out[k] = o[k];
  }
  if (o.groups !== undefined) {
    if (!Array.isArray(o.groups)) throw new TypeError('node.json "services.groups" must be an array');
    const seen = new Set<string>();
    out.groups = o.groups.map((g: unknown, i) => {
      const p = `node.json "services.groups[${i}]"`;
      const x = g as Record<string, unknown>;
      if (typeof x !== 'object' || x === null) throw new TypeError(`${p} must be an object`);
      if (typeof x.id !== 'string' || !GROUP_ID.test(x.id) || seen.has(x.id))
        throw new TypeError(`${p}.id must be a unique group id (letters, digits, . _ : -; at most 64)`);
      seen.add(x.id);
      if (typeof x.description !== 'string' || x.description.length > 256)
        throw new TypeError(`${p}.description must be a string of at most 256 characters`);
      if (x.roles !== undefined && (!Array.isArray(x.roles) || !x.roles.every((r) => typeof r === 'string')))
        throw new TypeError(`${p}.roles must be an array of member roles`);
      return {
        id: x.id,
        description: x.description,
        ...(x.roles === undefined ? {} : { roles: x.roles as string[] }),
      };
    });
  }
  return out;
}

/**
 * The services `init --dev` turns on, by the organization's role in genesis (DESIGN.md "Who
 * holds which secret": each organization holds its own services' secrets):
 * - a care delivery organization attests its clinicians' attributes (ABE authority), manages a
 *   group of its clinicians (anonymous adverse-event reports), issues its members' anonymous
 *   credentials, and keeps in custody the HE keys of patients who choose it;
 * - a research institute issues its researchers' credentials (anonymous reads) and attests
 *   `researcher@institute`;
 * - an insurer runs none: it asks for claims' totals and must never hold a patient's HE key.
 */
export function devServicesFor(org: string, role: OrgRole): OrgServicesConfig {
  if (role === 'cdo')
    return {
      abeAuthority: true,
      credentialIssuer: true,
      groups: [{ id: `clinicians-${org}`, description: `clinicians of ${org}`, roles: ['doctor', 'nurse'] }],
      heCustodian: true,
    };
  if (role === 'research') return { abeAuthority: true, credentialIssuer: true };
  return {};
}
