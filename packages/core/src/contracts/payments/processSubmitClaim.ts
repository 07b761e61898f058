/**
 * `pay.claim` — a provider claims for services it recorded (the ledger side of a FHIR Claim).
 * Each item names a record on the ledger — written by the provider's organization, for this
 * patient — and the encrypted expense (he.expense) that prices it. Refused: a service the
 * provider never recorded (UNRECORDED_SERVICE), an expense that is not the provider's for this
 * patient (UNKNOWN_EXPENSE), a service already claimed (SERVICE_ALREADY_CLAIMED: the same
 * service is never billed twice, under any claim id), a coverage that is not this patient's
 * (UNKNOWN_COVERAGE), fewer than two items (TOO_FEW_ITEMS: the payer learns only totals, and
 * a one-item total would be the item). No amount is on the ledger: the items stay encrypted.
 */
import { HEX32, ID, arr, int, obj, onlyKeys, str } from '../../validate.js';
import { OK, fail, type Contract } from '../../contract.js';
import { getOrg } from '../../identity.js';
import { malformed } from '../../errors.js';
import { getRecord } from '../../records/state.js';
import { HE_MIN_TERMS, getHeExpense } from '../confidentiality/state.js';
import { getClaim, getCoverage, pkeys, type ClaimEntry, type ClaimItem } from './state.js';

const C = 'INVALID_PAYLOAD';

export interface SubmitClaimPayload {
  claimId: string;
  patient: string;
  coverageId: string;
  items: { sequence: number; recordId: string; expenseId: string }[];
}

export const processSubmitClaim: Contract<SubmitClaimPayload> = {
  type: 'pay.claim',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['claimId', 'patient', 'coverageId', 'items'], 'payload', C);
    const items = arr(p.items, 'payload.items', C, 1, 100).map((x, i) => {
      const it = obj(x, `payload.items[${i}]`, C);
      onlyKeys(it, ['sequence', 'recordId', 'expenseId'], `payload.items[${i}]`, C);
      const sequence = int(it.sequence, `payload.items[${i}].sequence`, C, 1, 100);
      if (sequence !== i + 1) malformed(C, `payload.items[${i}].sequence`, `must be ${i + 1}`);
      return {
        sequence,
        recordId: str(it.recordId, `payload.items[${i}].recordId`, C, 128, ID),
        expenseId: str(it.expenseId, `payload.items[${i}].expenseId`, C, 128, ID),
      };
    });
    for (const k of ['recordId', 'expenseId'] as const)
      if (new Set(items.map((x) => x[k])).size !== items.length)
        malformed(C, 'payload.items', `duplicate ${k}`);
    return {
      claimId: str(p.claimId, 'payload.claimId', C, 128, ID),
      patient: str(p.patient, 'payload.patient', C, 64, HEX32),
      coverageId: str(p.coverageId, 'payload.coverageId', C, 128, ID),
      items,
    };
  },
  execute(ctx, p) {
    const s = ctx.signers[0];
    if (
      ctx.signers.length !== 1 ||
      s?.kind !== 'member' ||
      s.role === 'patient' ||
      getOrg(ctx.state, s.org)?.role !== 'cdo'
    )
      return fail('NOT_PROVIDER', 'a claim is submitted by one staff member of a care delivery organization');
    if (getClaim(ctx.state, p.claimId)) return fail('CLAIM_EXISTS', `claim ${p.claimId} exists`);
    const coverage = getCoverage(ctx.state, p.coverageId);
    if (!coverage || coverage.patient !== p.patient)
      return fail('UNKNOWN_COVERAGE', `coverage ${p.coverageId} is not a coverage of this patient`);
    const items: ClaimItem[] = [];
    for (const it of p.items) {
      const r = getRecord(ctx.state, it.recordId);
      if (!r || r.patientId !== p.patient || r.org !== s.org)
        return fail(
          'UNRECORDED_SERVICE',
          `${s.org} recorded no service ${it.recordId} for this patient on the ledger`,
        );
      const claimed = ctx.state.get(pkeys.service(it.recordId));
      if (typeof claimed === 'string')
        return fail('SERVICE_ALREADY_CLAIMED', `service ${it.recordId} is already claimed in ${claimed}`);
      const e = getHeExpense(ctx.state, it.expenseId);
      if (!e || e.patient !== p.patient || e.org !== s.org)
        return fail('UNKNOWN_EXPENSE', `no expense ${it.expenseId} of ${s.org} for this patient`);
      items.push({
        sequence: it.sequence,
        recordId: it.recordId,
        resourceType: r.resourceType,
        expenseId: it.expenseId,
      });
    }
    if (items.length < HE_MIN_TERMS)
      return fail(
        'TOO_FEW_ITEMS',
        `a claim has at least ${HE_MIN_TERMS} items: the payer learns only totals, and a one-item total is the item`,
      );
    const claim: ClaimEntry = {
      claimId: p.claimId,
      patient: p.patient,
      provider: s.org,
      submitter: s.id,
      coverageId: p.coverageId,
      payer: coverage.payer,
      items,
      status: 'submitted',
      adjudication: null,
      payerPaid: 0,
      patientPaid: 0,
      payments: [],
      disputes: [],
      openDispute: null,
      txId: ctx.txId,
      height: ctx.height,
      time: ctx.time,
    };
    for (const it of items) ctx.state.put(pkeys.service(it.recordId), p.claimId);
    ctx.state.put(pkeys.claim(p.claimId), claim);
    ctx.emit({
      type: 'pay.claim.submitted',
      patient: p.patient,
      claimId: p.claimId,
      provider: s.org,
      payer: coverage.payer,
    });
    return OK;
  },
};
