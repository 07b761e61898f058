/**
 * A bulk import of records a hospital already holds into its EHR store, each anchored on the
 * ledger as an SPV record (survey §6.3): the FHIR body goes to the EHR store (encrypted at
 * rest), a salted commitment to it in a `record.spv` signed by a responsible doctor. Used to
 * load the WDBC data set into the hospitals of `medledger bench fl` and of the tests; the
 * patients must have the doctor in their care team. Unlike the API upload (records/uploads.ts)
 * it writes the store at once, without a pending state: the caller submits the transactions.
 */
import { canonicalBytes, commit, toHex } from '@medledger/crypto';
import type { Wallet } from '@medledger/client';
import type { SignedTx } from '@medledger/core';
import type { EhrStore } from '../ehr/types.js';
import { wdbcObservation, type WdbcRow } from './wdbc.js';

/** One sample to import: its row, the patient's member id and the patient's pseudonym. */
export interface ImportItem {
  row: WdbcRow;
  patient: string;
  subject: string;
}

/**
 * Stores each item's Observation in `ehr` and returns the `record.spv` transactions that anchor
 * them (each the patient's first SPV record), signed by `doctor`, whose member id is `doctorId`.
 * @returns the transactions and the commitment salts by record id (keep them to serve the records)
 */
export async function importWdbcRecords(p: {
  ehr: EhrStore;
  org: string;
  chainId: string;
  doctor: Wallet;
  items: readonly ImportItem[];
  now?: () => number;
}): Promise<{ txs: SignedTx[]; salts: Map<string, Uint8Array> }> {
  const now = p.now ?? Date.now;
  const txs: SignedTx[] = [];
  const salts = new Map<string, Uint8Array>();
  for (const { row, patient, subject } of p.items) {
    const recordId = `wdbc-${row.index}`;
    const body = canonicalBytes(wdbcObservation(row, subject, p.doctor.signerId.slice(0, 16)));
    await p.ehr.put({
      recordId,
      patientRef: subject,
      resourceType: 'Observation',
      category: 'lab',
      body,
      createdAt: now(),
    });
    const { commitment, salt } = commit(body);
    salts.set(recordId, salt);
    txs.push(
      p.doctor.tx({
        chainId: p.chainId,
        type: 'record.spv',
        payload: {
          recordId,
          patient,
          subject,
          category: 'lab',
          resourceType: 'Observation',
          responsible: [p.doctor.signerId],
          k: 1,
          prev: null,
          commitment: toHex(commitment),
          holder: p.org,
        },
        createdAt: now(),
      }),
    );
  }
  return { txs, salts };
}
