/**
 * `anon.trial.enrol` — an anonymous enrolment proven with a zero-knowledge predicate (age >=
 * the trial's minimum at the block's date, from a hidden birth date in a BBS credential).
 *
 * Where the proof is verified. The credential library (Dock, WASM) verifies asynchronously
 * and slowly (about 300 ms for a predicate and expiry range proof plus accumulator check);
 * contracts are synchronous and run in the serial commit path on every node and in every
 * replay. So the node that receives the enrolment verifies the presentation at admission,
 * against a request it built itself, and relays it as a transaction signed by its node key
 * (`node:<org>`): that signature is the attestation. The contract then checks everything the
 * attestation could get wrong that the state decides:
 *   - the issuer is one the trial accepts, and its key and current accumulator value (not a
 *     stale one: no revoked credential) are those in the request;
 *   - the predicate is the trial's: one bound `attribute <= D - minAge*10000` with D no later
 *     than the block's UTC date (an earlier date is only stricter); the expiry time `now` is
 *     within the transaction window of the block time;
 *   - the pseudonym scope is `trial:<trialId>`, so one credential enrols once per trial
 *     (ALREADY_ENROLLED), and the context binds the proof to this chain and trial.
 * The request and the whole presentation stay in the block, so any party can re-verify the
 * proof later (`auditEnrolment` in the node package): a node attesting a false proof is
 * caught with its own signature on it.
 */
import { fromB64u, hashTagged, toHex } from '@medledger/crypto';
import { OK, fail, type Contract } from '../../contract.js';
import { malformed } from '../../errors.js';
import { B64U, ID, arr, int, obj, onlyKeys, str, type Obj } from '../../validate.js';
import { C, type JsonObject } from './common.js';
import { bytesField } from './processRegisterIssuer.js';
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

function parseRequest(v: unknown): Obj {
  const r = obj(v, 'payload.request', C);
  onlyKeys(
    r,
    ['nonce', 'now', 'reveal', 'predicates', 'scope', 'revocation', 'context'],
    'payload.request',
    C,
  );
  str(r.nonce, 'payload.request.nonce', C, 128, B64U);
  int(r.now, 'payload.request.now', C, 0, 8.64e15);
  if (r.reveal !== undefined)
    arr(r.reveal, 'payload.request.reveal', C, 0, 32).forEach((x, i) =>
      str(x, `payload.request.reveal[${i}]`, C, 64, ID),
    );
  const preds = arr(r.predicates, 'payload.request.predicates', C, 1, 1);
  const pr = obj(preds[0], 'payload.request.predicates[0]', C);
  onlyKeys(pr, ['attribute', 'min', 'max'], 'payload.request.predicates[0]', C);
  str(pr.attribute, 'payload.request.predicates[0].attribute', C, 64, ID);
  int(pr.min, 'payload.request.predicates[0].min', C, 0, Number.MAX_SAFE_INTEGER);
  int(pr.max, 'payload.request.predicates[0].max', C, 0, Number.MAX_SAFE_INTEGER);
  str(r.scope, 'payload.request.scope', C, 128);
  const rev = obj(r.revocation, 'payload.request.revocation', C);
  onlyKeys(rev, ['publicKey', 'accumulated'], 'payload.request.revocation', C);
  bytesField(rev.publicKey, 'payload.request.revocation.publicKey', 96);
  bytesField(rev.accumulated, 'payload.request.revocation.accumulated', 48);
  str(r.context, 'payload.request.context', C, 256);
  return r;
}

function parsePresentation(v: unknown): Obj {
  const p = obj(v, 'payload.presentation', C);
  onlyKeys(p, ['attributeNames', 'revealed', 'pseudonym', 'proof'], 'payload.presentation', C);
  arr(p.attributeNames, 'payload.presentation.attributeNames', C, 0, 64).forEach((x, i) =>
    str(x, `payload.presentation.attributeNames[${i}]`, C, 64),
  );
  obj(p.revealed, 'payload.presentation.revealed', C);
  bytesField(p.pseudonym, 'payload.presentation.pseudonym', 48);
  str(p.proof, 'payload.presentation.proof', C, 32 * 1024, B64U);
  return p;
}

export const processEnrolTrial: Contract<EnrolTrialPayload> = {
  type: 'anon.trial.enrol',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['trialId', 'issuer', 'request', 'presentation'], 'payload', C);
    const out = {
      trialId: str(p.trialId, 'payload.trialId', C, 64, ID),
      issuer: str(p.issuer, 'payload.issuer', C, 64, ID),
      request: parseRequest(p.request) as JsonObject,
      presentation: parsePresentation(p.presentation) as JsonObject,
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
