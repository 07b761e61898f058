/** Members as the page shows them: their name on the ledger (certificate common name) and id. */
import { useEffect, useState } from 'react';
import type { RecordsClient } from '@medledger/client';
import { minimumDssQuorum, quorumKeys } from '@medledger/core';
import type { JsonValue } from '@medledger/crypto';
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

/**
 * The least number of responsible doctors who must sign a DSS record of `patient` with this
 * category and resource type, as the ledger's policy says now (core `minimumDssQuorum` over the
 * two policy entries, read here); undefined until known or when `patient` is not a member id.
 */
export function useDssQuorum(
  records: RecordsClient,
  patient: string,
  category: string,
  resourceType: string,
): { k: number; by: 'consortium' | 'patient' } | undefined {
  const [values, setValues] = useState<Map<string, JsonValue | undefined>>();
  const p = patient.trim();
  useEffect(() => {
    let live = true;
    setValues(undefined);
    if (!MEMBER_ID.test(p)) return;
    const keys = [quorumKeys.consortium, quorumKeys.patient(p)];
    void Promise.all(keys.map((k) => records.state<JsonValue>(k)))
      .then((vs) => live && setValues(new Map(keys.map((k, i) => [k, vs[i]]))))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [records, p]);
  if (!values) return undefined;
  return minimumDssQuorum(
    { get: (k) => values.get(k), hasCommittedTx: () => false },
    p,
    category,
    resourceType,
  );
}
