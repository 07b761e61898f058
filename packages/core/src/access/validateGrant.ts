/**
 * Static checks of a grant before it enters ledger state (the consent contract calls this on
 * every grant transaction). Pure, no clock: whether a grant is current is for
 * {@link decideRead} to say at read time.
 *
 * Minimal disclosure (survey §4, HIPAA "minimum necessary"): a grant to an insurer covers
 * billing records for payment only. Because scope dimensions are ANDed (see {@link Scope}),
 * requiring `categories ⊆ ['billing']` confines any `resourceTypes` or `recordIds` it also
 * lists to billing records.
 */
import { PURPOSES } from './types.js';
import type { Grant, GrantValidation, GrantValidationCode, Purpose } from './types.js';

const fail = (code: GrantValidationCode, message: string): GrantValidation => ({ ok: false, code, message });
const isId = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function checkDimension(name: string, v: unknown): GrantValidation | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length === 0 || !v.every(isId)) {
    return fail('INVALID_SCOPE', `scope.${name} must be a non-empty list of non-empty strings`);
  }
  if (new Set(v).size !== v.length) return fail('INVALID_SCOPE', `scope.${name} has duplicates`);
  return undefined;
}

/**
 * Validates a grant: non-empty ids; a well-formed grantee (a role grant to 'patient' is
 * refused); non-empty, known, distinct purposes; a non-empty scope whose present dimensions
 * are non-empty; integer times with `notBefore < notAfter`; integer heights with
 * `revokedAtHeight >= grantedAtHeight`; boolean flags; 'emergency' listed iff `emergency` is
 * true; and for an insurer (grantee role 'insurer' or `granteeRoleHint === 'insurer'`, e.g.
 * the role of the grantee member or org from its certificate) `scope.categories ⊆ ['billing']`
 * and `purposes ⊆ ['payment']`.
 * @param granteeRoleHint the grantee's role when the grantee itself does not say it
 * @returns `{ ok: true }` or the first problem found, with a code and a message
 * @example
 * const v = validateGrant(tx.grant, roleOf(tx.grant.grantee));
 * if (!v.ok) throw new LedgerError({ code: v.code }, v.message);
 */
export function validateGrant(grant: Grant, granteeRoleHint?: string): GrantValidation {
  if (typeof grant !== 'object' || grant === null) return fail('INVALID_ID', 'grant must be an object');
  if (!isId(grant.grantId)) return fail('INVALID_ID', 'grantId must be a non-empty string');
  if (!isId(grant.patientId)) return fail('INVALID_ID', 'patientId must be a non-empty string');

  const g = grant.grantee as unknown;
  if (typeof g !== 'object' || g === null) return fail('INVALID_GRANTEE', 'grantee must be an object');
  const ge = g as { kind?: unknown; memberId?: unknown; org?: unknown; role?: unknown };
  if (ge.kind === 'member') {
    if (!isId(ge.memberId)) return fail('INVALID_GRANTEE', 'grantee.memberId must be a non-empty string');
  } else if (ge.kind === 'role') {
    if (!isId(ge.org) || !isId(ge.role)) {
      return fail('INVALID_GRANTEE', 'grantee.org and grantee.role must be non-empty strings');
    }
    if (ge.role === 'patient')
      return fail('INVALID_GRANTEE', 'a grant cannot be made to every patient of an org');
  } else if (ge.kind === 'org') {
    if (!isId(ge.org)) return fail('INVALID_GRANTEE', 'grantee.org must be a non-empty string');
  } else {
    return fail('INVALID_GRANTEE', "grantee.kind must be 'member', 'role' or 'org'");
  }

  const purposes = grant.purposes as unknown;
  if (!Array.isArray(purposes) || purposes.length === 0) {
    return fail('EMPTY_PURPOSES', 'purposes must be a non-empty list');
  }
  for (const p of purposes) {
    if (!PURPOSES.includes(p as Purpose)) return fail('INVALID_PURPOSE', `unknown purpose ${String(p)}`);
  }
  if (new Set(purposes).size !== purposes.length) return fail('INVALID_PURPOSE', 'purposes has duplicates');

  const scope = grant.scope as unknown;
  if (typeof scope !== 'object' || scope === null || Array.isArray(scope)) {
    return fail('EMPTY_SCOPE', 'scope must be an object');
  }
  const s = scope as Record<string, unknown>;
  for (const k of Object.keys(s)) {
    if (k !== 'categories' && k !== 'resourceTypes' && k !== 'recordIds' && s[k] !== undefined) {
      return fail('INVALID_SCOPE', `scope has unknown dimension ${k}`);
    }
  }
  if (s.categories === undefined && s.resourceTypes === undefined && s.recordIds === undefined) {
    return fail('EMPTY_SCOPE', 'scope must list categories, resourceTypes or recordIds');
  }
  for (const k of ['categories', 'resourceTypes', 'recordIds'] as const) {
    const r = checkDimension(k, s[k]);
    if (r) return r;
  }

  if (!isTime(grant.notBefore) || !isTime(grant.notAfter)) {
    return fail('INVALID_WINDOW', 'notBefore and notAfter must be non-negative integers (ms)');
  }
  if (!(grant.notBefore < grant.notAfter)) return fail('INVALID_WINDOW', 'notBefore must be before notAfter');
  if (!isTime(grant.grantedAtHeight))
    return fail('INVALID_HEIGHT', 'grantedAtHeight must be a non-negative integer');
  if (grant.revokedAtHeight !== undefined) {
    if (!isTime(grant.revokedAtHeight) || grant.revokedAtHeight < grant.grantedAtHeight) {
      return fail('INVALID_HEIGHT', 'revokedAtHeight must be an integer >= grantedAtHeight');
    }
  }
  for (const k of ['linkage', 'emergency'] as const) {
    if (grant[k] !== undefined && typeof grant[k] !== 'boolean')
      return fail('INVALID_FLAG', `${k} must be a boolean`);
  }
  if (purposes.includes('emergency') !== (grant.emergency === true)) {
    return fail('EMERGENCY_MISMATCH', "purpose 'emergency' must be listed exactly when emergency is true");
  }

  const insurer = (ge.kind === 'role' && ge.role === 'insurer') || granteeRoleHint === 'insurer';
  if (insurer) {
    const cats = s.categories as string[] | undefined;
    if (cats === undefined || !cats.every((c) => c === 'billing')) {
      return fail('INSURER_SCOPE', "a grant to an insurer must limit scope.categories to ['billing']");
    }
    if (!purposes.every((p) => p === 'payment')) {
      return fail('INSURER_PURPOSE', "a grant to an insurer may only have purpose 'payment'");
    }
  }
  return { ok: true };
}
