/**
 * `anon.trial.enrol` — an anonymous enrolment proven with a zero-knowledge predicate (age >=
 * the trial's minimum at the block's date, from a hidden birth date in a BBS credential).
 *
 * Where the proof is verified. The credential library (Dock, WASM) verifies asynchronously
 * and slowly (about 300 ms for a predicate and expiry range proof plus accumulator check);
 * contracts are synchronous and run in the serial commit path on every node and in every
 * replay. So the node that receives the enrolment verifies the presentation against a request
 * it built itself and relays it as a transaction signed by its node key (`node:<org>`); every
 * node verifies the proof again before applying the block (below). The contract checks what
 * the state decides about the request:
 *   - the issuer is one the trial accepts, and its key and current accumulator value (not a
 *     stale one: no revoked credential) are those in the request;
 *   - the predicate is the trial's: one bound `attribute <= D - minAge*10000` with D no later
 *     than the block's UTC date (an earlier date is only stricter); the expiry time `now` is
 *     within the transaction window of the block time;
 *   - the pseudonym scope is `trial:<trialId>`, so one credential enrols once per trial
 *     (ALREADY_ENROLLED), and the context binds the proof to this chain and trial.
 * The request and the whole presentation stay in the block, and every node verifies the proof
 * before it applies a block carrying it (node/src/anonymity/proofCheck.ts: a block with a proof
 * that does not verify is refused), as does `medledger verify` when it replays the ledger; so
 * the relaying node's signature is not the only evidence of the proof.
 */
import { fromB64u, hashTagged, toHex } from '@medledger/crypto';
import { OK, fail, type Contract } from '../../contract.js';
import { malformed } from '../../errors.js';
import { ID, obj, onlyKeys, str } from '../../validate.js';
import { C, type JsonObject } from './common.js';
import { parsePresentationJson, parsePresentationRequest } from './presentationFields.js';
import { anonKeys, asJson, getIssuer, getTrial, utcDateNumber, type AnonTxEntry } from './state.js';

export interface EnrolTrialPayload {
  trialId: string;
  issuer: string;
  /** The presentation request the node built (crypto `presentationRequestToJson`). */
  request: JsonObject;
  /** The member's presentation (crypto `presentationToJson`). */
  presentation: JsonObject;
}

/** The proof context of an enrolment: binds it to the chain and the trial. */
export const trialContext = (chainId: string, trialId: string): string =>
  `medledger/anon/trial/${chainId}/${trialId}`;
/** The pseudonym scope of a trial: one pseudonym per credential and trial. */
export const trialScope = (trialId: string): string => `trial:${trialId}`;

export const processEnrolTrial: Contract<EnrolTrialPayload> = {
  type: 'anon.trial.enrol',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['trialId', 'issuer', 'request', 'presentation'], 'payload', C);
    const out = {
      trialId: str(p.trialId, 'payload.trialId', C, 64, ID),
      issuer: str(p.issuer, 'payload.issuer', C, 64, ID),
      request: parsePresentationRequest(p.request, 1) as JsonObject,
      presentation: parsePresentationJson(p.presentation) as JsonObject,
    };
    if (out.request.scope !== trialScope(out.trialId))
      malformed(C, 'payload.request.scope', `must be ${trialScope(out.trialId)}`);
    return out;
  },
  execute(ctx, p) {
    const node = ctx.signers[0];
    if (ctx.signers.length !== 1 || node?.kind !== 'node')
      return fail('UNAUTHORIZED', 'an enrolment is attested and relayed by one node key');
    const trial = getTrial(ctx.state, p.trialId);
    if (!trial) return fail('UNKNOWN_TRIAL', `no trial ${p.trialId}`);
    if (!trial.issuers.includes(p.issuer))
      return fail('ISSUER_NOT_ACCEPTED', `trial ${p.trialId} does not accept credentials of ${p.issuer}`);
    const issuer = getIssuer(ctx.state, p.issuer);
    if (!issuer) return fail('UNKNOWN_ISSUER', `organization ${p.issuer} has no registered issuer key`);
    const req = p.request as {
      now: number;
      reveal?: string[];
      predicates: { attribute: string; min: number; max: number }[];
      revocation: { publicKey: string; accumulated: string };
      context: string;
    };
    if (req.context !== trialContext(ctx.tx.body.chainId, p.trialId))
      return fail('PREDICATE_MISMATCH', 'the proof context is not this chain and trial');
    const pred = req.predicates[0]!;
    const latest = utcDateNumber(ctx.time) - trial.minAge * 10_000;
    if (pred.attribute !== trial.attribute || !(pred.max <= latest))
      return fail(
        'PREDICATE_MISMATCH',
        `the proven predicate is not "${trial.attribute}: age >= ${trial.minAge}"`,
      );
    if (req.reveal?.includes(trial.attribute))
      return fail('PREDICATE_MISMATCH', `the request reveals ${trial.attribute}`);
    if (req.now + ctx.params.txTtlMs < ctx.time || req.now > ctx.time + ctx.params.maxClockSkewMs)
      return fail('PREDICATE_MISMATCH', 'the expiry check of the proof is not at the block time');
    if (req.revocation.publicKey !== issuer.accumulatorPublicKey)
      return fail('ACCUMULATOR_MISMATCH', 'the proof is not against the issuer accumulator');
    if (req.revocation.accumulated !== issuer.accumulated)
      return fail('ACCUMULATOR_STALE', 'the accumulator changed since the proof was made; prove again');
    const pseudonym = fromB64u((p.presentation as { pseudonym: string }).pseudonym);
    const key = anonKeys.enrolment(p.trialId, toHex(hashTagged('medledger/anon/enrolment/v1', pseudonym)));
    if (ctx.state.get(key) !== undefined)
      return fail('ALREADY_ENROLLED', `this credential already enrolled in ${p.trialId}`);
    ctx.state.put(key, ctx.txId);
    const entry: AnonTxEntry = {
      kind: 'enrol',
      subject: p.trialId,
      relay: node.id,
      height: ctx.height,
      time: ctx.time,
    };
    ctx.state.put(anonKeys.anonTx(ctx.txId), asJson(entry));
    ctx.emit({ type: 'anon.trial.enrolled', trialId: p.trialId, relay: node.id });
    return OK;
  },
};
