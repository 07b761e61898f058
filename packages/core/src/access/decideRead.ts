/**
 * The one decision for every read of a patient's record, used by the consent contract, the
 * node's off-chain EHR store and the audit log alike (medplum's `canRead` pattern). Pure: the
 * grants, the record's metadata, the block time and the state height are all inputs.
 *
 * Rules, in order:
 * 1. The patient reads their own records, for any purpose (basis 'patient').
 * 2. A responsible author reads the records they authored for treatment, payment or
 *    emergency (basis 'author'). Research is secondary use: an author needs a grant for it
 *    like anyone else.
 * 3. Otherwise some grant must match every check (basis 'grant'); default deny.
 *
 * Threat model: the function decides; it does not authenticate. Callers must establish the
 * requester from a verified signature and certificate, the record metadata from the ledger
 * or the store (never from the request), and `at`/`height` from the block being applied or
 * the latest committed state. Comparisons are written so that malformed numbers (NaN) deny.
 */
import { DENY_CODES } from './types.js';
import type {
  Decision,
  DenyCode,
  Grant,
  Grantee,
  Purpose,
  ReadRequest,
  Requester,
  RecordMeta,
  Scope,
} from './types.js';

/** Purposes for which a responsible author reads without a grant. */
export const AUTHOR_PURPOSES: readonly Purpose[] = ['treatment', 'payment', 'emergency'];

/**
 * Whether a grantee designates the requester. An org-wide grant covers the org's staff, never
 * members whose role is 'patient' (a patient registered at a CDO is not its staff).
 */
export function granteeMatches(grantee: Grantee, requester: Requester): boolean {
  switch (grantee.kind) {
    case 'member':
      return grantee.memberId.length > 0 && grantee.memberId === requester.memberId;
    case 'role':
      return grantee.org === requester.org && grantee.role === requester.role;
    case 'org':
      return grantee.org === requester.org && requester.role !== 'patient';
    default:
      return false;
  }
}

function dimensionMatches(values: readonly string[] | undefined, value: string): boolean | undefined {
  if (values === undefined) return undefined;
  return values.includes(value);
}

/**
 * Whether a record is in a scope: every present dimension matches (AND), a dimension matches
 * when it lists the record's value (OR); a scope with no dimension present matches nothing.
 */
export function inScope(scope: Scope, record: RecordMeta): boolean {
  const results = [
    dimensionMatches(scope.categories, record.category),
    dimensionMatches(scope.resourceTypes, record.resourceType),
    dimensionMatches(scope.recordIds, record.recordId),
  ].filter((r): r is boolean => r !== undefined);
  return results.length > 0 && results.every((r) => r);
}

/** Whether a grant is revoked in the state at `height` (revocation applies from its block on). */
export function isRevokedAt(grant: Grant, height: number): boolean {
  return grant.revokedAtHeight !== undefined && !(grant.revokedAtHeight > height);
}

/** Whether a grant covers a purpose; 'emergency' also needs the grant's `emergency` flag. */
export function grantCoversPurpose(grant: Grant, purpose: Purpose): boolean {
  if (!grant.purposes.includes(purpose)) return false;
  return purpose !== 'emergency' || grant.emergency === true;
}

type Deny = Extract<Decision, { allow: false }>;
type Allow = Extract<Decision, { allow: true }>;

function deny(code: DenyCode, message: string, grantId?: string): Deny {
  return grantId === undefined ? { allow: false, code, message } : { allow: false, code, message, grantId };
}

/**
 * The decision one grant alone gives for a request: allow, or the first check it fails in
 * the order grantee, patient, purpose, scope, revocation, start, end.
 */
export function evaluateGrant(grant: Grant, req: ReadRequest): Decision {
  const id = grant.grantId;
  const { record } = req;
  if (!granteeMatches(grant.grantee, req.requester)) {
    return deny('NO_GRANT', `grant ${id} is not for ${req.requester.memberId}`);
  }
  if (grant.patientId !== record.patientId) {
    return deny('WRONG_PATIENT', `grant ${id} is for another patient than record ${record.recordId}`, id);
  }
  if (!grantCoversPurpose(grant, req.purpose)) {
    const why = req.purpose === 'emergency' ? ' (needs a pre-authorised emergency grant)' : '';
    return deny('PURPOSE_NOT_GRANTED', `grant ${id} does not cover purpose ${req.purpose}${why}`, id);
  }
  if (!inScope(grant.scope, record)) {
    return deny('OUT_OF_SCOPE', `record ${record.recordId} is outside the scope of grant ${id}`, id);
  }
  if (isRevokedAt(grant, req.height)) {
    return deny('GRANT_REVOKED', `grant ${id} was revoked at height ${String(grant.revokedAtHeight)}`, id);
  }
  if (!(grant.grantedAtHeight <= req.height)) {
    return deny('GRANT_NOT_YET_VALID', `grant ${id} does not exist yet at height ${req.height}`, id);
  }
  if (!(grant.notBefore <= req.at)) {
    return deny('GRANT_NOT_YET_VALID', `grant ${id} is valid from ${grant.notBefore}`, id);
  }
  if (!(req.at < grant.notAfter)) {
    return deny('GRANT_EXPIRED', `grant ${id} expired at ${grant.notAfter}`, id);
  }
  // Linkable ids go to researchers only when the patient granted linkage; the other
  // purposes (treatment, payment, emergency) need to know whose record it is.
  const linkage = req.purpose === 'research' ? grant.linkage === true : true;
  return { allow: true, basis: 'grant', grantId: id, linkage };
}

const rank = (code: DenyCode): number => DENY_CODES.indexOf(code);

/** Deterministic order of grant ids, so the decision does not depend on the order of grants. */
const before = (a: string | undefined, b: string | undefined): boolean => (a ?? '') < (b ?? '');

/**
 * Decides whether `req.requester` may read `req.record`. Default deny.
 *
 * Allows when the requester is the record's patient (basis 'patient'), one of its authors for
 * a purpose in {@link AUTHOR_PURPOSES} (basis 'author'), or when a grant matches: same patient,
 * grantee designates the requester, purpose covered ('emergency' only with an `emergency`
 * grant), record in scope, not revoked at `req.height`, `grantedAtHeight <= height` and
 * `notBefore <= at < notAfter`. When several grants allow, the one granting linkage is
 * reported, then the smallest grantId. When none does, the most specific denial is returned
 * (the grant that failed latest in the check order of {@link evaluateGrant}; ties go to the
 * smallest grantId), so the requester and the audit log see why. The result does not depend
 * on the order of `grants`.
 * @example
 * const d = decideRead(state.grantsOf(patientId), { requester, record, purpose: 'treatment', at: block.time, height });
 * if (!d.allow) throw new LedgerError({ code: d.code }, d.message);
 */
export function decideRead(grants: readonly Grant[], req: ReadRequest): Decision {
  const { requester, record } = req;
  const member = requester.memberId;
  if (typeof member === 'string' && member.length > 0) {
    if (member === record.patientId) return { allow: true, basis: 'patient', linkage: true };
    if (record.authors.includes(member) && AUTHOR_PURPOSES.includes(req.purpose)) {
      return { allow: true, basis: 'author', linkage: true };
    }
  }
  let allowed: Allow | undefined;
  let denied: Deny | undefined;
  for (const g of grants) {
    const d = evaluateGrant(g, req);
    if (d.allow) {
      if (
        allowed === undefined ||
        (d.linkage && !allowed.linkage) ||
        (d.linkage === allowed.linkage && before(d.grantId, allowed.grantId))
      ) {
        allowed = d;
      }
    } else if (d.code !== 'NO_GRANT') {
      if (
        denied === undefined ||
        rank(d.code) > rank(denied.code) ||
        (rank(d.code) === rank(denied.code) && before(d.grantId, denied.grantId))
      ) {
        denied = d;
      }
    }
  }
  if (allowed) return allowed;
  if (denied) return denied;
  return deny('NO_GRANT', `no grant lets ${member} read record ${record.recordId} for ${req.purpose}`);
}
