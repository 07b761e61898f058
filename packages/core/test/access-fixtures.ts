// Shared builders for the access tests (not a test file itself).
import type { Grant, ReadRequest } from '../src/access/index.js';

export const T0 = 1_700_000_000_000;
export const DAY = 86_400_000;

export function grant(over: Partial<Grant> = {}): Grant {
  return {
    grantId: 'g1',
    patientId: 'pat-1',
    grantee: { kind: 'member', memberId: 'dr-bob' },
    scope: { categories: ['lab'] },
    purposes: ['treatment'],
    notBefore: T0,
    notAfter: T0 + 30 * DAY,
    grantedAtHeight: 10,
    ...over,
  };
}

export function request(
  over: Partial<Omit<ReadRequest, 'record' | 'requester'>> & {
    record?: Partial<ReadRequest['record']>;
    requester?: Partial<ReadRequest['requester']>;
  } = {},
): ReadRequest {
  return {
    purpose: over.purpose ?? 'treatment',
    at: over.at ?? T0 + DAY,
    height: over.height ?? 20,
    requester: { memberId: 'dr-bob', org: 'hosp-b', role: 'doctor', ...over.requester },
    record: {
      recordId: 'rec-1',
      patientId: 'pat-1',
      category: 'lab',
      resourceType: 'Observation',
      org: 'hosp-a',
      authors: ['dr-alice'],
      ...over.record,
    },
  };
}
