/**
 * `consent.grant` — the patient grants a member, a role within an organization, or an
 * organization read access to a scope of their records (categories, FHIR resource types or
 * named records), for purposes, within a time window by block time. Default deny. Minimal
 * disclosure is enforced by `validateGrant` (an insurer's grant reaches only billing, for
 * payment). An `emergency` grant pre-authorizes who may open records if the patient cannot
 * consent. Signed by the patient.
 */
import { validateGrant } from '../../access/validateGrant.js';
import type { Grant, Grantee, Purpose, Scope } from '../../access/types.js';
import { OK, fail, type Contract } from '../../contract.js';
import { getMember, getOrg } from '../../identity.js';
import { asJson, getGrant, keys } from '../../records/state.js';
import { appendToList } from '../../stateList.js';
import { ID, arr, bool, int, obj, onlyKeys, str } from '../../validate.js';
import { malformed } from '../../errors.js';

export type GrantConsentPayload = Omit<Grant, 'patientId' | 'grantedAtHeight' | 'revokedAtHeight'>;

const C = 'INVALID_PAYLOAD';
const strs = (v: unknown, path: string): string[] =>
  arr(v, path, C, 0, 256).map((x, i) => str(x, `${path}[${i}]`, C, 128, ID));

function parseGrantee(v: unknown): Grantee {
  const g = obj(v, 'payload.grantee', C);
  switch (g.kind) {
    case 'member':
      onlyKeys(g, ['kind', 'memberId'], 'payload.grantee', C);
      return { kind: 'member', memberId: str(g.memberId, 'payload.grantee.memberId', C, 64, ID) };
    case 'role':
      onlyKeys(g, ['kind', 'org', 'role'], 'payload.grantee', C);
      return {
        kind: 'role',
        org: str(g.org, 'payload.grantee.org', C, 64, ID),
        role: str(g.role, 'payload.grantee.role', C, 64, ID),
      };
    case 'org':
      onlyKeys(g, ['kind', 'org'], 'payload.grantee', C);
      return { kind: 'org', org: str(g.org, 'payload.grantee.org', C, 64, ID) };
    default:
      return malformed(C, 'payload.grantee.kind', 'must be member, role or org');
  }
}

export const processGrantConsent: Contract<GrantConsentPayload> = {
  type: 'consent.grant',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(
      p,
      ['grantId', 'grantee', 'scope', 'purposes', 'notBefore', 'notAfter', 'linkage', 'emergency'],
      'payload',
      C,
    );
    const s = obj(p.scope, 'payload.scope', C);
    onlyKeys(s, ['categories', 'resourceTypes', 'recordIds'], 'payload.scope', C);
    const scope: Scope = {};
    if (s.categories !== undefined) scope.categories = strs(s.categories, 'payload.scope.categories');
    if (s.resourceTypes !== undefined)
      scope.resourceTypes = strs(s.resourceTypes, 'payload.scope.resourceTypes');
    if (s.recordIds !== undefined) scope.recordIds = strs(s.recordIds, 'payload.scope.recordIds');
    const out: GrantConsentPayload = {
      grantId: str(p.grantId, 'payload.grantId', C, 128, ID),
      grantee: parseGrantee(p.grantee),
      scope,
      purposes: strs(p.purposes, 'payload.purposes') as Purpose[],
      notBefore: int(p.notBefore, 'payload.notBefore', C, 0, 8.64e15),
      notAfter: int(p.notAfter, 'payload.notAfter', C, 0, 8.64e15),
    };
    if (p.linkage !== undefined) out.linkage = bool(p.linkage, 'payload.linkage', C);
    if (p.emergency !== undefined) out.emergency = bool(p.emergency, 'payload.emergency', C);
    return out;
  },
  execute(ctx, p) {
    const patient = ctx.signers[0];
    if (ctx.signers.length !== 1 || patient?.kind !== 'member' || patient.role !== 'patient')
      return fail('UNAUTHORIZED', 'a consent grant is signed by the patient alone');
    if (getGrant(ctx.state, p.grantId)) return fail('GRANT_EXISTS', `grant ${p.grantId} already exists`);
    let hint: string | undefined;
    if (p.grantee.kind === 'member') {
      const m = getMember(ctx.state, p.grantee.memberId);
      if (!m) return fail('UNKNOWN_GRANTEE', 'payload.grantee.memberId is not an enrolled member');
      // The insurer's billing-only limit follows the member's organization, not only its role.
      hint = getOrg(ctx.state, m.org)?.role === 'insurer' ? 'insurer' : m.role;
    } else {
      const org = getOrg(ctx.state, p.grantee.org);
      if (!org) return fail('UNKNOWN_GRANTEE', 'payload.grantee.org is not a consortium organization');
      if (org.role === 'insurer') hint = 'insurer';
    }
    const grant: Grant = { ...p, patientId: patient.id, grantedAtHeight: ctx.height };
    const v = validateGrant(grant, hint);
    if (!v.ok) return fail(v.code, v.message);
    ctx.state.put(keys.grant(p.grantId), asJson(grant));
    appendToList(ctx.state, keys.grants(patient.id), p.grantId);
    ctx.emit({
      type: 'consent.granted',
      patient: patient.id,
      grantId: p.grantId,
      grantee: asJson(p.grantee),
      scope: asJson(p.scope),
      purposes: p.purposes,
      notBefore: p.notBefore,
      notAfter: p.notAfter,
    });
    return OK;
  },
};
