/**
 * `POST /v1/pharmacy/prescriptions`: the prescriber's node checks a prescription before it
 * reaches the ledger — the MedicationRequest is valid FHIR R4 (validateFhirRecord), and the
 * signed `rx.write` says what the request says (id, units per fill, refills, expiry) and
 * commits to exactly this request with this salt — then submits it and waits. The node sees
 * the request in the clear (it is the prescriber's own organization's node) and keeps nothing.
 * The ledger itself cannot read the request; the pharmacy checks it again when it opens it.
 */
import { fromB64u, type JsonValue } from '@medledger/crypto';
import { LedgerError } from '@medledger/core';
import { prescriptionCommitment, type Receipt } from '@medledger/client';
import type { LedgerView } from '../ledgerView.js';
import { validateFhirRecord } from '../records/fhir.js';
import { parseDomainTx, submitAndWait } from '../domainTx.js';

type Obj = { [k: string]: JsonValue };

const mismatch = (what: string): never => {
  throw new LedgerError(
    { code: 'RESOURCE_MISMATCH', field: what },
    `the MedicationRequest and the transaction differ: ${what}`,
  );
};

export async function submitPrescription(
  node: LedgerView,
  body: unknown,
): Promise<{ txId: string; receipt: Receipt }> {
  const b = (typeof body === 'object' && body !== null ? body : {}) as {
    tx?: unknown;
    resource?: unknown;
    salt?: unknown;
  };
  const tx = parseDomainTx(b.tx, ['rx.write']);
  const v = validateFhirRecord(b.resource);
  if (!v.ok)
    throw new LedgerError(
      { code: 'INVALID_RECORD' },
      `not a valid FHIR R4 MedicationRequest: ${v.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    );
  if (v.meta.resourceType !== 'MedicationRequest')
    throw new LedgerError({ code: 'INVALID_RECORD' }, 'a prescription is a MedicationRequest');
  if (typeof b.salt !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(b.salt) || fromB64u(b.salt).length !== 32)
    throw new LedgerError({ code: 'MALFORMED_REQUEST' }, 'salt must be 32 bytes of base64url');
  const r = b.resource as Obj;
  const p = tx.body.payload;
  const dr = (r.dispenseRequest ?? {}) as {
    quantity?: { value?: number };
    numberOfRepeatsAllowed?: number;
    validityPeriod?: { end?: string };
  };
  if (r.id !== p.rxId) mismatch('id is not the rxId');
  if (dr.quantity?.value !== p.quantity) mismatch('dispenseRequest.quantity.value is not the quantity');
  if ((dr.numberOfRepeatsAllowed ?? 0) !== p.refills)
    mismatch('dispenseRequest.numberOfRepeatsAllowed is not the refills');
  if (dr.validityPeriod?.end === undefined || Date.parse(dr.validityPeriod.end) !== p.expiresAt)
    mismatch('dispenseRequest.validityPeriod.end is not expiresAt');
  if (r.status !== 'active' || r.intent !== 'order') mismatch('a prescription is an active order');
  if (prescriptionCommitment(r, b.salt) !== p.commitment)
    mismatch('the commitment is not of this request and salt');
  return submitAndWait(node, tx);
}
