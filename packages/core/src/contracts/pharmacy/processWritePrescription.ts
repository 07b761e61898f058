/**
 * `rx.write` — a prescriber writes a prescription. On the ledger: the salted commitment of the
 * FHIR MedicationRequest, the request itself sealed to the patient and to the chosen pharmacy,
 * what the ledger must enforce (units per fill, refills, expiry by block time, controlled or
 * not), the patient's per-prescription key and the patient's signed choice of pharmacy. A
 * controlled prescription also carries its link request: the patient id sealed to the
 * regulator, who alone links the patient's controlled prescriptions (crypto/rxlink.ts). The
 * prescription names no patient id, so nobody else can list a patient's prescriptions.
 */
import { HEX32, ID, bool, int, obj, onlyKeys, str, B64U } from '../../validate.js';
import { OK, fail, type Contract } from '../../contract.js';
import { getOrg } from '../../identity.js';
import { malformed } from '../../errors.js';
import { verifyStatement } from '../../statement.js';
import { C, parseEnvelope, parseSpki } from './common.js';
import {
  PHARMACY_CHOICE_TAG,
  RX_MAX_REFILLS,
  RX_MAX_VALIDITY_MS,
  RX_RECEIVERS,
  getPrescription,
  pharmacyChoice,
  rxkeys,
  type EnvelopeJsonValue,
  type PrescriptionEntry,
} from './state.js';

export interface WritePrescriptionPayload {
  rxId: string;
  pharmacy: string;
  patientKey: string;
  /** The patient's signature of `pharmacyChoice({rxId, pharmacy, seq: 0, wrap: null})`. */
  choice: string;
  commitment: string;
  envelope: EnvelopeJsonValue;
  quantity: number;
  refills: number;
  expiresAt: number;
  controlled: boolean;
  regulator: string | null;
  link: EnvelopeJsonValue | null;
}

export const processWritePrescription: Contract<WritePrescriptionPayload> = {
  type: 'rx.write',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(
      p,
      [
        'rxId',
        'pharmacy',
        'patientKey',
        'choice',
        'commitment',
        'envelope',
        'quantity',
        'refills',
        'expiresAt',
        'controlled',
        'regulator',
        'link',
      ],
      'payload',
      C,
    );
    const controlled = bool(p.controlled, 'payload.controlled', C);
    if (controlled !== (p.link !== undefined) || controlled !== (p.regulator !== undefined))
      malformed(
        C,
        'payload.link',
        'a controlled prescription has a regulator and a link request; others have neither',
      );
    return {
      rxId: str(p.rxId, 'payload.rxId', C, 128, ID),
      pharmacy: str(p.pharmacy, 'payload.pharmacy', C, 64, ID),
      patientKey: parseSpki(p.patientKey, 'payload.patientKey'),
      choice: str(p.choice, 'payload.choice', C, 128, B64U),
      commitment: str(p.commitment, 'payload.commitment', C, 64, HEX32),
      envelope: parseEnvelope(p.envelope, 'payload.envelope', RX_RECEIVERS),
      quantity: int(p.quantity, 'payload.quantity', C, 1, 100_000),
      refills: int(p.refills, 'payload.refills', C, 0, RX_MAX_REFILLS),
      expiresAt: int(p.expiresAt, 'payload.expiresAt', C, 0, 8.64e15),
      controlled,
      regulator: controlled ? str(p.regulator, 'payload.regulator', C, 64, ID) : null,
      link: controlled ? parseEnvelope(p.link, 'payload.link', ['regulator']) : null,
    };
  },
  execute(ctx, p) {
    const s = ctx.signers[0];
    if (
      ctx.signers.length !== 1 ||
      s?.kind !== 'member' ||
      s.role !== 'doctor' ||
      getOrg(ctx.state, s.org)?.role !== 'cdo'
    )
      return fail('NOT_PRESCRIBER', 'a prescription is signed by one doctor of a care delivery organization');
    if (getPrescription(ctx.state, p.rxId)) return fail('RX_EXISTS', `prescription ${p.rxId} exists`);
    if (getOrg(ctx.state, p.pharmacy)?.role !== 'pharmacy')
      return fail('NOT_A_PHARMACY', 'payload.pharmacy is not a pharmacy of the consortium');
    if (p.controlled && getOrg(ctx.state, p.regulator!)?.role !== 'regulator')
      return fail('NOT_A_REGULATOR', 'payload.regulator is not a regulator of the consortium');
    if (p.expiresAt <= ctx.time || p.expiresAt > ctx.time + RX_MAX_VALIDITY_MS)
      return fail('RX_EXPIRED', 'payload.expiresAt must be after this block and within a year of it');
    const choice = pharmacyChoice({ rxId: p.rxId, pharmacy: p.pharmacy, seq: 0, wrap: null });
    if (!verifyStatement(PHARMACY_CHOICE_TAG, ctx.tx.body.chainId, choice, p.patientKey, p.choice))
      return fail('CHOICE_INVALID', "payload.choice is not the patient's signature of this pharmacy choice");
    const e: PrescriptionEntry = {
      rxId: p.rxId,
      prescriber: s.id,
      prescriberOrg: s.org,
      pharmacy: p.pharmacy,
      patientKey: p.patientKey,
      consentSeq: 0,
      commitment: p.commitment,
      envelope: p.envelope,
      quantity: p.quantity,
      refills: p.refills,
      expiresAt: p.expiresAt,
      controlled: p.controlled,
      regulator: p.regulator,
      link: p.link,
      status: 'active',
      dispensed: 0,
      fills: 0,
      dispenses: [],
      cancelledAt: null,
      txId: ctx.txId,
      height: ctx.height,
      time: ctx.time,
    };
    ctx.state.put(rxkeys.rx(p.rxId), e);
    ctx.emit({ type: 'rx.written', rxId: p.rxId, pharmacy: p.pharmacy, controlled: p.controlled });
    return OK;
  },
};
