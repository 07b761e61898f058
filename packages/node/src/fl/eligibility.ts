/**
 * Which of a hospital's records a study round may use: the study's kind of record
 * (resource type, category, FHIR code) held in this hospital's EHR store and anchored on the
 * ledger as an SPV record it holds, whose patient's consent lets the study's principal read it
 * for research — `decideRead`, the one read decision of core, against the state at the block
 * the round opened in. Records of patients without such consent are never decrypted.
 */
import { decideRead, getGrants, getMember, getRecord, type Requester } from '@medledger/core';
import type { FlRound, FlStudy } from '@medledger/core/contracts/fl';
import { fromUtf8 } from '@medledger/crypto';
import type { EhrStore } from '../ehr/types.js';
import { flStateReader, type FlLedger } from './ledger.js';
import { wdbcFromObservation, WDBC_CODE } from './wdbc.js';
import type { Sample } from './logreg.js';

/** Readers of features and label from a record's FHIR body, by the study's selection code. */
const READERS = new Map<string, (resource: unknown) => Sample | undefined>([
  [WDBC_CODE, wdbcFromObservation],
]);

/** The records a participant uses in a round, and why the others were left out. */
export interface EligibleRecords {
  rows: (Sample & { recordId: string })[];
  /** Records of the study's kind in the EHR store. */
  considered: number;
  /** Left out because consent does not cover research by the study's principal. */
  noConsent: number;
  /** Left out because they are not this hospital's SPV records on the ledger, or erased. */
  notAnchored: number;
  /** Left out because their content is not the study's kind of record. */
  unusable: number;
}

/**
 * Selects the eligible records of `org` for `round` of `study` and reads their features.
 * @throws LedgerError from the EHR store (e.g. CORRUPT) — never the contents of a record
 */
export async function eligibleRecords(p: {
  ledger: FlLedger;
  ehr: EhrStore;
  org: string;
  study: FlStudy;
  round: Pick<FlRound, 'openedAt' | 'openedHeight'>;
  /**
   * Features already read, by record id (null: unusable), kept by the caller for the study:
   * an SPV record never changes (a correction is a new record), so each is decrypted once;
   * consent is decided again every round.
   */
  cache?: Map<string, Sample | null>;
}): Promise<EligibleRecords> {
  const state = flStateReader(p.ledger);
  const principal = getMember(state, p.study.principal);
  const out: EligibleRecords = { rows: [], considered: 0, noConsent: 0, notAnchored: 0, unusable: 0 };
  if (!principal) return out;
  const requester: Requester = { memberId: principal.id, org: principal.org, role: principal.role };
  const { resourceType, category, code } = p.study.selection;
  const parse = READERS.get(code);
  for (const meta of await p.ehr.listByType(resourceType, category)) {
    out.considered++;
    const record = getRecord(state, meta.recordId);
    if (!record || record.mode !== 'spv' || record.holder !== p.org || record.erasedAt !== undefined) {
      out.notAnchored++;
      continue;
    }
    const decision = decideRead(getGrants(state, record.patientId), {
      requester,
      record,
      purpose: 'research',
      at: p.round.openedAt,
      height: p.round.openedHeight,
    });
    if (!decision.allow) {
      out.noConsent++;
      continue;
    }
    let sample = p.cache?.get(meta.recordId);
    if (sample === undefined) {
      const stored = await p.ehr.get(meta.recordId);
      const read = stored && parse ? parse(JSON.parse(fromUtf8(stored.body))) : undefined;
      sample = read && read.x.length === p.study.model.features ? read : null;
      p.cache?.set(meta.recordId, sample);
    }
    if (sample === null) {
      out.unusable++;
      continue;
    }
    out.rows.push({ recordId: meta.recordId, ...sample });
  }
  return out;
}
