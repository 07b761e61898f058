/**
 * SMART scopes (SMART App Launch 2.x §"Scopes for requesting FHIR resources"): v1
 * `<context>/<type>.<read|write|*>` and v2 `<context>/<type>.<c|r|u|d|s letters>`, with the
 * context `system`, `user` or `patient` and the type a resource type or `*`.
 *
 * medledger's reading: a scope narrows what the authenticated member may do through the
 * facade; it never widens it (every read still goes through the ledger's access decision).
 * `system/` and `user/` act as the member. A backend service has no launch context, so a
 * `patient/` scope covers only the member's own compartment: resources whose patient is the
 * authenticated member (a patient's own app). Search parameters in scopes (`?category=`) are
 * not supported and such a scope is refused.
 */
import { fhirError } from './outcome.js';

/** An interaction a scope may allow (SMART v2 letters). */
export type ScopeAction = 'c' | 'r' | 'u' | 'd' | 's';

/** One parsed scope. */
export interface SmartScope {
  context: 'system' | 'user' | 'patient';
  resourceType: string;
  actions: ScopeAction[];
}

const SCOPE = /^(system|user|patient)\/(\*|[A-Z][A-Za-z]{1,63})\.(read|write|\*|c?r?u?d?s?)$/;

/** Parses a space-separated scope string; throws SMART_INVALID_SCOPE naming the first bad one. */
export function parseScopes(text: string): SmartScope[] {
  const out: SmartScope[] = [];
  for (const s of text.split(' ').filter((x) => x.length > 0)) {
    const m = SCOPE.exec(s);
    if (!m || m[3] === '')
      throw fhirError(
        'SMART_INVALID_SCOPE',
        `scope ${s.slice(0, 64)} is not <system|user|patient>/<type|*>.<read|write|*|cruds>`,
      );
    const a = m[3]!;
    const actions: ScopeAction[] =
      a === 'read'
        ? ['r', 's']
        : a === 'write'
          ? ['c', 'u', 'd']
          : a === '*'
            ? ['c', 'r', 'u', 'd', 's']
            : ([...a] as ScopeAction[]);
    out.push({ context: m[1] as SmartScope['context'], resourceType: m[2]!, actions });
  }
  if (out.length === 0) throw fhirError('SMART_INVALID_SCOPE', 'at least one scope is required');
  return out;
}

/** The scopes of a signed medledger request: everything the member may do. */
export const ALL_SCOPES: readonly SmartScope[] = [
  { context: 'user', resourceType: '*', actions: ['c', 'r', 'u', 'd', 's'] },
];

/**
 * Whether `scopes` allow `action` on `resourceType` for a resource of `patientId` (undefined
 * when the request names no patient, e.g. a search that must name one) by `memberId`.
 */
export function scopeAllows(
  scopes: readonly SmartScope[],
  resourceType: string,
  action: ScopeAction,
  memberId: string,
  patientId: string | undefined,
): boolean {
  return scopes.some(
    (s) =>
      (s.resourceType === '*' || s.resourceType === resourceType) &&
      s.actions.includes(action) &&
      (s.context !== 'patient' || (patientId !== undefined && patientId === memberId)),
  );
}

/** Throws SCOPE_INSUFFICIENT unless {@link scopeAllows}. */
export function requireScope(
  scopes: readonly SmartScope[],
  resourceType: string,
  action: ScopeAction,
  memberId: string,
  patientId: string | undefined,
): void {
  if (!scopeAllows(scopes, resourceType, action, memberId, patientId))
    throw fhirError(
      'SCOPE_INSUFFICIENT',
      `the access token's scopes do not allow ${action} on ${resourceType}${patientId === undefined ? '' : ' for this patient'}`,
    );
}

/**
 * Throws SCOPE_INSUFFICIENT unless some scope allows `action` on `resourceType` in some
 * context: checked before anything else of a request, then {@link requireScope} once the
 * patient is known.
 */
export function requireAnyScope(
  scopes: readonly SmartScope[],
  resourceType: string,
  action: ScopeAction,
): void {
  if (
    !scopes.some(
      (s) => (s.resourceType === '*' || s.resourceType === resourceType) && s.actions.includes(action),
    )
  )
    throw fhirError(
      'SCOPE_INSUFFICIENT',
      `the access token's scopes do not allow ${action} on ${resourceType}`,
    );
}
