/**
 * OperationOutcome, the FHIR form of every error of the facade (R4 §3.1.0.4 "OperationOutcome"):
 * one issue per problem, with the severity, an IssueType code, the medledger error code as
 * `details.coding` (system {@link MEDLEDGER_CODES}), a message in `diagnostics` and, for a
 * validation issue, the element path in `expression`. Messages name paths and rules, never
 * values (records/fhir.ts).
 */
import { LedgerError, type LedgerErrorCode } from '@medledger/core';

/** The CodeSystem of medledger's error codes in `issue.details.coding`. */
export const MEDLEDGER_CODES = 'https://medledger.dev/fhir/CodeSystem/error';

/** One issue of an OperationOutcome. */
export interface OutcomeIssue {
  severity: 'fatal' | 'error' | 'warning' | 'information';
  /** IssueType (http://hl7.org/fhir/issue-type). */
  code: string;
  details?: { coding: { system: string; code: string }[]; text?: string };
  diagnostics?: string;
  expression?: string[];
}

/** An R4 OperationOutcome. */
export interface OperationOutcome {
  resourceType: 'OperationOutcome';
  issue: OutcomeIssue[];
}

/** An element path and the rule it breaks. */
export interface PathIssue {
  path: string;
  message: string;
}

/** Error code → IssueType. Codes not listed are `processing`. */
const ISSUE_TYPE: Record<string, string> = {
  INVALID_RESOURCE: 'invalid',
  FHIR_NOT_SUPPORTED: 'not-supported',
  CONSENT_INEXPRESSIBLE: 'not-supported',
  MALFORMED_REQUEST: 'invalid',
  INVALID_RECORD: 'invalid',
  NOT_FOUND: 'not-found',
  UNKNOWN_PATIENT: 'not-found',
  RECORD_ERASED: 'deleted',
  ACCESS_DENIED: 'forbidden',
  FORBIDDEN: 'forbidden',
  SCOPE_INSUFFICIENT: 'forbidden',
  NOT_RESPONSIBLE: 'forbidden',
  NOT_HOLDER: 'not-found',
  CONFLICT: 'conflict',
  RECORD_EXISTS: 'duplicate',
  TX_NOT_COMMITTED: 'timeout',
  TX_REJECTED: 'business-rule',
};

/**
 * A facade error: a {@link LedgerError} whose metadata may carry element issues. Thrown by
 * node/src/fhir; the route turns it into an OperationOutcome with the status of its code.
 */
export function fhirError(code: LedgerErrorCode, message: string, issues: PathIssue[] = []): LedgerError {
  return new LedgerError({ code, issues }, message);
}

/** The OperationOutcome of an error code, its message and its element issues. */
export function outcomeOf(code: string, message: string, issues: PathIssue[] = []): OperationOutcome {
  const type =
    ISSUE_TYPE[code] ?? (code.startsWith('AUTH_') || code === 'UNAUTHENTICATED' ? 'login' : 'processing');
  const coding = [{ system: MEDLEDGER_CODES, code }];
  if (issues.length === 0)
    return {
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'error', code: type, details: { coding, text: code }, diagnostics: message }],
    };
  return {
    resourceType: 'OperationOutcome',
    issue: issues.map((i) => ({
      severity: 'error',
      code: type,
      details: { coding, text: code },
      diagnostics: `${i.path}: ${i.message}`,
      expression: [i.path],
    })),
  };
}

/** An informational OperationOutcome (e.g. the answer to a delete). */
export function informationOutcome(message: string): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'information', code: 'informational', diagnostics: message }],
  };
}
