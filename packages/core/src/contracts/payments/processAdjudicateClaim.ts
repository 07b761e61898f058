/**
 * `pay.adjudicate` — the payer adjudicates a claim (the ledger side of a FHIR ClaimResponse).
 * Only the payer of the claim's coverage, active when the claim was submitted, may do it:
 * otherwise NO_COVERAGE (the patient has no coverage with this payer for this claim).
 *
 * The payer never sees an item: it obtained the total of the claim's encrypted expenses
 * through `he.claim` / `he.total` (the patient's key holder decrypts only that sum, sealed to
 * the payer). It now reveals the total with the Paillier randomness of the aggregate, and the
 * contract re-encrypts it (Paillier, g = n + 1: c = (1 + total·n) · r^n mod n²) and compares
 * it with the aggregate the ledger computed: a payer cannot understate the total. The `he.claim`
 * must cover exactly the claim's expenses. The split between payer and patient follows the
 * coverage's terms (`splitTotal`). Cost: one 2048-bit modular exponentiation mod n², once per
 * claim.
 */
import { EncryptedAmount, HePublicKey } from '@medledger/crypto/he';
import { fromB64u } from '@medledger/crypto';
import { ID, int, obj, onlyKeys, str } from '../../validate.js';
import { OK, fail, type Contract } from '../../contract.js';
import { getOrg } from '../../identity.js';
import { getHeClaim, getPublishedKeys } from '../confidentiality/state.js';
import { getClaim, getCoverage, pkeys, splitTotal, type Adjudication } from './state.js';

const C = 'INVALID_PAYLOAD';

export interface AdjudicateClaimPayload {
  claimId: string;
  heClaimId: string;
  total: number;
  /** Paillier randomness of the aggregate, hex. */
  r: string;
  approved: number;
}

/** Whether the payer's revealed total opens the aggregate of the claim's encrypted items. */
export function opensAggregate(pkB64u: string, aggregateB64u: string, total: number, rHex: string): boolean {
  try {
    const pk = HePublicKey.fromBytes(fromB64u(pkB64u));
    const agg = EncryptedAmount.fromBytes(fromB64u(aggregateB64u));
    const r = BigInt(`0x${rHex}`);
    if (r <= 0n || r >= pk.n) return false;
    return pk.key.encrypt(BigInt(total), r) === agg.c;
  } catch {
    return false;
  }
}

export const processAdjudicateClaim: Contract<AdjudicateClaimPayload> = {
  type: 'pay.adjudicate',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['claimId', 'heClaimId', 'total', 'r', 'approved'], 'payload', C);
    return {
      claimId: str(p.claimId, 'payload.claimId', C, 128, ID),
      heClaimId: str(p.heClaimId, 'payload.heClaimId', C, 128, ID),
      total: int(p.total, 'payload.total', C, 0),
      r: str(p.r, 'payload.r', C, 1100, /^[0-9a-f]+$/),
      approved: int(p.approved, 'payload.approved', C, 0),
    };
  },
  execute(ctx, p) {
    const s = ctx.signers[0];
    if (ctx.signers.length !== 1 || s?.kind !== 'member' || getOrg(ctx.state, s.org)?.role !== 'insurer')
      return fail('NOT_PAYER', 'a claim is adjudicated by one member of a payer');
    const claim = getClaim(ctx.state, p.claimId);
    if (!claim) return fail('UNKNOWN_CLAIM', `no claim ${p.claimId}`);
    const coverage = getCoverage(ctx.state, claim.coverageId)!;
    if (coverage.payer !== s.org || claim.time < coverage.start || claim.time >= coverage.end)
      return fail('NO_COVERAGE', `the patient has no coverage with ${s.org} for claim ${p.claimId}`);
    if (claim.status !== 'submitted')
      return fail('ALREADY_ADJUDICATED', `claim ${p.claimId} was adjudicated`);
    const he = getHeClaim(ctx.state, p.heClaimId);
    const want = claim.items
      .map((x) => x.expenseId)
      .sort()
      .join();
    if (!he || he.patient !== claim.patient || [...he.expenseIds].sort().join() !== want)
      return fail(
        'HE_CLAIM_MISMATCH',
        `${p.heClaimId} must total exactly the expenses of claim ${p.claimId}`,
      );
    if (he.status !== 'released')
      return fail('TOTAL_NOT_RELEASED', `the total of ${p.heClaimId} is not released yet`);
    const pk = getPublishedKeys(ctx.state, claim.patient)?.he;
    if (pk === undefined || !opensAggregate(pk, he.aggregate, p.total, p.r))
      return fail('TOTAL_MISMATCH', 'payload.total does not open the aggregate of the encrypted items');
    if (p.approved > p.total) return fail('INVALID_PAYLOAD', 'payload.approved exceeds the total');
    const adjudication: Adjudication = {
      heClaimId: p.heClaimId,
      total: p.total,
      approved: p.approved,
      ...splitTotal(p.total, p.approved, coverage),
      adjudicator: s.id,
      txId: ctx.txId,
      height: ctx.height,
      time: ctx.time,
    };
    ctx.state.put(pkeys.claim(p.claimId), { ...claim, status: 'adjudicated', adjudication });
    ctx.emit({
      type: 'pay.claim.adjudicated',
      patient: claim.patient,
      claimId: p.claimId,
      payerAmount: adjudication.payerAmount,
      patientShare: adjudication.patientShare,
    });
    return OK;
  },
};
