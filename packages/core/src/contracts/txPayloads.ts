/**
 * The payload type of every transaction type, one entry per contract: `TxPayloads`. With it a
 * transaction is built as `wallet.tx({ type: 'consent.grant', payload, ... })` and the compiler
 * checks the payload against the type, and a misspelled type does not compile. Event names
 * emitted by the contracts are the {@link EventName} union (events.ts).
 *
 * {@link CONTRACT_OF} ties each key to its contract: the compiler checks that every type has
 * one and that the contract parses to the listed payload; `test/tx-payloads.test.ts` checks
 * that each contract's `type` is its key and that the default registry holds exactly these.
 */
import type { Contract } from '../contract.js';
import { type LogAccessPayload, processLogAccess } from './access/processLogAccess.js';
import { type RequestAccessPayload, processRequestAccess } from './access/processRequestAccess.js';
import { type EnrolTrialPayload, processEnrolTrial } from './anonymity/processEnrolTrial.js';
import { type GroupSignedPayload, processGroupSigned } from './anonymity/processGroupSigned.js';
import {
  type LogAnonymousReadPayload,
  processLogAnonymousRead,
} from './anonymity/processLogAnonymousRead.js';
import { type PublishOpeningPayload, processPublishOpening } from './anonymity/processPublishOpening.js';
import { type RegisterGroupPayload, processRegisterGroup } from './anonymity/processRegisterGroup.js';
import { type RegisterIssuerPayload, processRegisterIssuer } from './anonymity/processRegisterIssuer.js';
import { type RegisterRingKeyPayload, processRegisterRingKey } from './anonymity/processRegisterRingKey.js';
import { type RegisterTrialPayload, processRegisterTrial } from './anonymity/processRegisterTrial.js';
import {
  type RevokeGroupMemberPayload,
  processRevokeGroupMember,
} from './anonymity/processRevokeGroupMember.js';
import { type RingSignedPayload, processRingSigned } from './anonymity/processRingSigned.js';
import {
  type UpdateAccumulatorPayload,
  processUpdateAccumulator,
} from './anonymity/processUpdateAccumulator.js';
import { type ClaimTotalPayload, processClaimTotal } from './confidentiality/processClaimTotal.js';
import { type PostCFragPayload, processPostCFrag } from './confidentiality/processPostCFrag.js';
import { type PostExpensePayload, processPostExpense } from './confidentiality/processPostExpense.js';
import { type PostPeksIndexPayload, processPostPeksIndex } from './confidentiality/processPostPeksIndex.js';
import { type PublishKeysPayload, processPublishKeys } from './confidentiality/processPublishKeys.js';
import {
  type RegisterAbeAuthorityPayload,
  processRegisterAbeAuthority,
} from './confidentiality/processRegisterAbeAuthority.js';
import { type ReleaseTotalPayload, processReleaseTotal } from './confidentiality/processReleaseTotal.js';
import {
  type RequestEmergencyPayload,
  processRequestEmergency,
} from './confidentiality/processRequestEmergency.js';
import { type RevokeKFragsPayload, processRevokeKFrags } from './confidentiality/processRevokeKFrags.js';
import {
  type SetupEmergencyPayload,
  processSetupEmergency,
} from './confidentiality/processSetupEmergency.js';
import {
  type WritePreRecordPayload,
  processWritePreRecord,
} from './confidentiality/processWritePreRecord.js';
import { type WriteSttAbePayload, processWriteSttAbe } from './confidentiality/processWriteSttAbe.js';
import { type GrantConsentPayload, processGrantConsent } from './consent/processGrantConsent.js';
import { type RevokeConsentPayload, processRevokeConsent } from './consent/processRevokeConsent.js';
import { type AddOrgPayload, processAddOrg } from './consortium/processAddOrg.js';
import { type RemoveOrgPayload, processRemoveOrg } from './consortium/processRemoveOrg.js';
import { type RotateNodeKeyPayload, processRotateNodeKey } from './consortium/processRotateNodeKey.js';
import { type SetRecordPolicyPayload, processSetRecordPolicy } from './consortium/processSetRecordPolicy.js';
import { type AdvanceRoundPayload, processAdvanceRound } from './fl/processAdvanceRound.js';
import { type AggregateRoundPayload, processAggregateRound } from './fl/processAggregateRound.js';
import { type JoinStudyPayload, processJoinStudy } from './fl/processJoinStudy.js';
import { type OpenStudyPayload, processOpenStudy } from './fl/processOpenStudy.js';
import { type PostKeysPayload, processPostKeys } from './fl/processPostKeys.js';
import { type PostSharesPayload, processPostShares } from './fl/processPostShares.js';
import { type PostUnmaskPayload, processPostUnmask } from './fl/processPostUnmask.js';
import { type SubmitUpdatePayload, processSubmitUpdate } from './fl/processSubmitUpdate.js';
import { type SetCareTeamPayload, processSetCareTeam } from './patients/processSetCareTeam.js';
import { type SetRecordQuorumPayload, processSetRecordQuorum } from './patients/processSetRecordQuorum.js';
import { type AdjudicateClaimPayload, processAdjudicateClaim } from './payments/processAdjudicateClaim.js';
import { type OpenDisputePayload, processOpenDispute } from './payments/processOpenDispute.js';
import { processPatientPayment } from './payments/processPatientPayment.js';
import { type RecordPaymentPayload, processRecordPayment } from './payments/processRecordPayment.js';
import { type RegisterCoveragePayload, processRegisterCoverage } from './payments/processRegisterCoverage.js';
import { type ResolveDisputePayload, processResolveDispute } from './payments/processResolveDispute.js';
import { type SubmitClaimPayload, processSubmitClaim } from './payments/processSubmitClaim.js';
import {
  type CancelPrescriptionPayload,
  processCancelPrescription,
} from './pharmacy/processCancelPrescription.js';
import { type ChoosePharmacyPayload, processChoosePharmacy } from './pharmacy/processChoosePharmacy.js';
import { type DispensePayload, processDispense } from './pharmacy/processDispense.js';
import { type RaiseAlertPayload, processRaiseAlert } from './pharmacy/processRaiseAlert.js';
import {
  type WritePrescriptionPayload,
  processWritePrescription,
} from './pharmacy/processWritePrescription.js';
import { type AnchorRecordPayload, processAnchorRecord } from './records/processAnchorRecord.js';
import { type EraseRecordPayload, processEraseRecord } from './records/processEraseRecord.js';
import { type WriteDssPayload, processWriteDss } from './records/processWriteDss.js';
import { type WriteSpvPayload, processWriteSpv } from './records/processWriteSpv.js';
import { type WriteSttPayload, processWriteStt } from './records/processWriteStt.js';
import { type EnrollMemberPayload, processEnrollMember } from './registry/processEnrollMember.js';
import { type RevokeMemberPayload, processRevokeMember } from './registry/processRevokeMember.js';
import { type CommissionPacksPayload, processCommissionPacks } from './supply/processCommissionPacks.js';
import { type RecallLotPayload, processRecallLot } from './supply/processRecallLot.js';
import { type ReceivePacksPayload, processReceivePacks } from './supply/processReceivePacks.js';
import { type RegisterProductPayload, processRegisterProduct } from './supply/processRegisterProduct.js';
import { type ShipPacksPayload, processShipPacks } from './supply/processShipPacks.js';

/** Payload of each transaction type (what the contract parses), one entry per contract. */
export interface TxPayloads {
  'registry.enroll': EnrollMemberPayload;
  'registry.revoke': RevokeMemberPayload;
  'record.anchor': AnchorRecordPayload;
  'record.dss': WriteDssPayload;
  'record.erase': EraseRecordPayload;
  'record.spv': WriteSpvPayload;
  'record.stt': WriteSttPayload;
  'patient.careteam': SetCareTeamPayload;
  'patient.record-quorum': SetRecordQuorumPayload;
  'consent.grant': GrantConsentPayload;
  'consent.revoke': RevokeConsentPayload;
  'access.log': LogAccessPayload;
  'access.request': RequestAccessPayload;
  'abe.authority': RegisterAbeAuthorityPayload;
  'emergency.cfrag': PostCFragPayload;
  'emergency.request': RequestEmergencyPayload;
  'emergency.revoke': RevokeKFragsPayload;
  'emergency.setup': SetupEmergencyPayload;
  'he.claim': ClaimTotalPayload;
  'he.expense': PostExpensePayload;
  'he.total': ReleaseTotalPayload;
  'keys.publish': PublishKeysPayload;
  'peks.index': PostPeksIndexPayload;
  'pre.record': WritePreRecordPayload;
  'record.stt.abe': WriteSttAbePayload;
  'anon.group.opening': PublishOpeningPayload;
  'anon.group.register': RegisterGroupPayload;
  'anon.group.revoke': RevokeGroupMemberPayload;
  'anon.group.submit': GroupSignedPayload;
  'anon.issuer.accumulator': UpdateAccumulatorPayload;
  'anon.issuer.register': RegisterIssuerPayload;
  'anon.read.log': LogAnonymousReadPayload;
  'anon.ring.key': RegisterRingKeyPayload;
  'anon.ring.submit': RingSignedPayload;
  'anon.trial.enrol': EnrolTrialPayload;
  'anon.trial.register': RegisterTrialPayload;
  'consortium.add-org': AddOrgPayload;
  'consortium.record-policy': SetRecordPolicyPayload;
  'consortium.remove-org': RemoveOrgPayload;
  'consortium.rotate-node-key': RotateNodeKeyPayload;
  'rx.alert': RaiseAlertPayload;
  'rx.cancel': CancelPrescriptionPayload;
  'rx.dispense': DispensePayload;
  'rx.pharmacy': ChoosePharmacyPayload;
  'rx.write': WritePrescriptionPayload;
  'supply.commission': CommissionPacksPayload;
  'supply.product': RegisterProductPayload;
  'supply.recall': RecallLotPayload;
  'supply.receive': ReceivePacksPayload;
  'supply.ship': ShipPacksPayload;
  'pay.adjudicate': AdjudicateClaimPayload;
  'pay.claim': SubmitClaimPayload;
  'pay.coverage': RegisterCoveragePayload;
  'pay.dispute': OpenDisputePayload;
  'pay.patient-payment': RecordPaymentPayload;
  'pay.payment': RecordPaymentPayload;
  'pay.resolve': ResolveDisputePayload;
  'fl.advance': AdvanceRoundPayload;
  'fl.aggregate': AggregateRoundPayload;
  'fl.join': JoinStudyPayload;
  'fl.keys': PostKeysPayload;
  'fl.open': OpenStudyPayload;
  'fl.shares': PostSharesPayload;
  'fl.unmask': PostUnmaskPayload;
  'fl.update': SubmitUpdatePayload;
}

/** A transaction type a contract of the default registry handles. */
export type TxType = keyof TxPayloads;

/** The parts of a contract that fix its payload type. */
type ParserOf<P> = Pick<Contract<P>, 'type' | 'parse'>;

/** The contract of each transaction type (the same objects `defaultContracts()` registers). */
export const CONTRACT_OF: { readonly [K in TxType]: ParserOf<TxPayloads[K]> } = {
  'registry.enroll': processEnrollMember,
  'registry.revoke': processRevokeMember,
  'record.anchor': processAnchorRecord,
  'record.dss': processWriteDss,
  'record.erase': processEraseRecord,
  'record.spv': processWriteSpv,
  'record.stt': processWriteStt,
  'patient.careteam': processSetCareTeam,
  'patient.record-quorum': processSetRecordQuorum,
  'consent.grant': processGrantConsent,
  'consent.revoke': processRevokeConsent,
  'access.log': processLogAccess,
  'access.request': processRequestAccess,
  'abe.authority': processRegisterAbeAuthority,
  'emergency.cfrag': processPostCFrag,
  'emergency.request': processRequestEmergency,
  'emergency.revoke': processRevokeKFrags,
  'emergency.setup': processSetupEmergency,
  'he.claim': processClaimTotal,
  'he.expense': processPostExpense,
  'he.total': processReleaseTotal,
  'keys.publish': processPublishKeys,
  'peks.index': processPostPeksIndex,
  'pre.record': processWritePreRecord,
  'record.stt.abe': processWriteSttAbe,
  'anon.group.opening': processPublishOpening,
  'anon.group.register': processRegisterGroup,
  'anon.group.revoke': processRevokeGroupMember,
  'anon.group.submit': processGroupSigned,
  'anon.issuer.accumulator': processUpdateAccumulator,
  'anon.issuer.register': processRegisterIssuer,
  'anon.read.log': processLogAnonymousRead,
  'anon.ring.key': processRegisterRingKey,
  'anon.ring.submit': processRingSigned,
  'anon.trial.enrol': processEnrolTrial,
  'anon.trial.register': processRegisterTrial,
  'consortium.add-org': processAddOrg,
  'consortium.record-policy': processSetRecordPolicy,
  'consortium.remove-org': processRemoveOrg,
  'consortium.rotate-node-key': processRotateNodeKey,
  'rx.alert': processRaiseAlert,
  'rx.cancel': processCancelPrescription,
  'rx.dispense': processDispense,
  'rx.pharmacy': processChoosePharmacy,
  'rx.write': processWritePrescription,
  'supply.commission': processCommissionPacks,
  'supply.product': processRegisterProduct,
  'supply.recall': processRecallLot,
  'supply.receive': processReceivePacks,
  'supply.ship': processShipPacks,
  'pay.adjudicate': processAdjudicateClaim,
  'pay.claim': processSubmitClaim,
  'pay.coverage': processRegisterCoverage,
  'pay.dispute': processOpenDispute,
  'pay.patient-payment': processPatientPayment,
  'pay.payment': processRecordPayment,
  'pay.resolve': processResolveDispute,
  'fl.advance': processAdvanceRound,
  'fl.aggregate': processAggregateRound,
  'fl.join': processJoinStudy,
  'fl.keys': processPostKeys,
  'fl.open': processOpenStudy,
  'fl.shares': processPostShares,
  'fl.unmask': processPostUnmask,
  'fl.update': processSubmitUpdate,
};

/** Every transaction type of the default registry. */
export const TX_TYPES: readonly TxType[] = Object.keys(CONTRACT_OF) as TxType[];

/** True if `type` is a transaction type of the default registry. */
export function isTxType(type: string): type is TxType {
  return Object.hasOwn(CONTRACT_OF, type);
}

/**
 * Narrows a body (or anything with a `type`) to one transaction type, with a checked key:
 * `if (isTxOf(t.tx.body, 'rx.alert'))` does not compile with a misspelled type, where
 * `t.tx.body.type === 'rx.alrt'` would silently be false. It does not check the payload.
 */
export function isTxOf<B extends { type: string }, T extends TxType>(
  body: B,
  type: T,
): body is B & { type: T } {
  return body.type === type;
}
