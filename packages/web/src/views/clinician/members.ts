/** Members as the page shows them: their name on the ledger (certificate common name) and id. */
import { useEffect, useState } from 'react';
import type { RecordsClient } from '@medledger/client';
import { MEMBER_ID } from './fhirForm.js';

export interface MemberName {
  id: string;
  name: string;
  role?: string;
}

const names = new Map<string, Promise<MemberName>>();

/** A member's name from the ledger (cached for the page's life). */
export function memberName(records: RecordsClient, id: string): Promise<MemberName> {
  let p = names.get(id);
  if (!p) {
    p = records
      .state<{ commonName?: string; role?: string }>(`member:${id}`)
      .then((m) => ({ id, name: m?.commonName ?? 'unknown member', ...(m?.role ? { role: m.role } : {}) }))
      .catch(() => {
        names.delete(id);
        return { id, name: 'unknown member' };
      });
    names.set(id, p);
  }
  return p;
}

/**
 * The care team of a patient (the doctors the ledger lists for them), once `patient` is a
 * member id; reading it is logged for the patient.
 */
export function useCareTeam(records: RecordsClient, patient: string): MemberName[] {
  const [team, setTeam] = useState<MemberName[]>([]);
  useEffect(() => {
    let live = true;
    const p = patient.trim();
    if (!MEMBER_ID.test(p)) {
      setTeam([]);
      return;
    }
    void records
      .state<string[]>(`careteam:${p}`)
      .then((ids) => Promise.all((ids ?? []).map((id) => memberName(records, id))))
      .then((t) => live && setTeam(t))
      .catch(() => live && setTeam([]));
    return () => {
      live = false;
    };
  }, [records, patient]);
  return team;
}
