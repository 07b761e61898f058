/**
 * `pay.coverage` — a payer covers a patient (the ledger side of a FHIR Coverage). Co-signed by
 * a member of the payer organization (role insurer) and by the patient, so neither can claim a
 * coverage the other did not agree to. The terms decide the patient's share of every claim
 * under it (`splitTotal`).
 */
import { ID, HEX32, int, obj, onlyKeys, str } from '../../validate.js';
import { OK, fail, type Contract } from '../../contract.js';
import { getMember, getOrg } from '../../identity.js';
import { getCoverage, pkeys, type CoverageEntry } from './state.js';

const C = 'INVALID_PAYLOAD';

export interface RegisterCoveragePayload {
  coverageId: string;
  patient: string;
  payer: string;
  start: number;
  end: number;
  copayCents: number;
  coinsurancePct: number;
}

export const processRegisterCoverage: Contract<RegisterCoveragePayload> = {
  type: 'pay.coverage',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(
      p,
      ['coverageId', 'patient', 'payer', 'start', 'end', 'copayCents', 'coinsurancePct'],
      'payload',
      C,
    );
    return {
      coverageId: str(p.coverageId, 'payload.coverageId', C, 128, ID),
      patient: str(p.patient, 'payload.patient', C, 64, HEX32),
      payer: str(p.payer, 'payload.payer', C, 64, ID),
      start: int(p.start, 'payload.start', C, 0, 8.64e15),
      end: int(p.end, 'payload.end', C, 0, 8.64e15),
      copayCents: int(p.copayCents, 'payload.copayCents', C, 0, 10_000_000),
      coinsurancePct: int(p.coinsurancePct, 'payload.coinsurancePct', C, 0, 100),
    };
  },
  execute(ctx, p) {
    if (getOrg(ctx.state, p.payer)?.role !== 'insurer')
      return fail('NOT_A_PAYER', 'payload.payer is not an insurer');
    const patient = getMember(ctx.state, p.patient);
    if (!patient || patient.role !== 'patient')
      return fail('UNKNOWN_PATIENT', 'payload.patient is not an enrolled patient');
    const officer = ctx.signers.find((s) => s.id !== p.patient);
    const ok =
      ctx.signers.length === 2 &&
      ctx.signers.some((s) => s.id === p.patient) &&
      officer?.kind === 'member' &&
      officer.org === p.payer;
    if (!ok) return fail('UNAUTHORIZED', 'a coverage is co-signed by the patient and a member of the payer');
    if (p.start >= p.end) return fail('INVALID_PAYLOAD', 'payload.start must be before payload.end');
    if (getCoverage(ctx.state, p.coverageId))
      return fail('COVERAGE_EXISTS', `coverage ${p.coverageId} exists`);
    const e: CoverageEntry = {
      ...p,
      registeredBy: officer.id,
      txId: ctx.txId,
      height: ctx.height,
      time: ctx.time,
    };
    ctx.state.put(pkeys.coverage(p.coverageId), e);
    ctx.emit({
      type: 'pay.coverage.registered',
      patient: p.patient,
      coverageId: p.coverageId,
      payer: p.payer,
    });
    return OK;
  },
};
