/**
 * The credential presentation a proof-carrying anonymous transaction keeps in its payload
 * (`anon.trial.enrol`, `anon.read.log`): the verifier's request and the holder's presentation
 * in the JSON forms of crypto's `presentationRequestToJson` / `presentationToJson`. The
 * contracts check here what the state decides about them (structure, binding to chain, node
 * or trial, accumulator freshness); whether the proof verifies is checked by every node before
 * it applies the block (node/src/anonymity/proofCheck.ts), because the credential library is
 * asynchronous WASM.
 */
import { fromB64u, hashTagged, toHex } from '@medledger/crypto';
import { B64U, ID, arr, int, obj, onlyKeys, str, type Obj } from '../../validate.js';
import type { StateReader } from '../../state.js';
import { C } from './common.js';
import { bytesField } from './processRegisterIssuer.js';
import { anonKeys, getIssuer, type AccumulatorUpdateJson } from './state.js';

/** How many accumulator updates a proof's accumulator value may lag the current one. */
export const MAX_ACCUMULATOR_LAG = 256;

/**
 * Parses a presentation request. `predicates`: how many range predicates it must carry (an
 * enrolment proves one, a read none).
 */
export function parsePresentationRequest(v: unknown, predicates: 0 | 1): Obj {
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
  if (predicates === 1) {
    const preds = arr(r.predicates, 'payload.request.predicates', C, 1, 1);
    const pr = obj(preds[0], 'payload.request.predicates[0]', C);
    onlyKeys(pr, ['attribute', 'min', 'max'], 'payload.request.predicates[0]', C);
    str(pr.attribute, 'payload.request.predicates[0].attribute', C, 64, ID);
    int(pr.min, 'payload.request.predicates[0].min', C, 0, Number.MAX_SAFE_INTEGER);
    int(pr.max, 'payload.request.predicates[0].max', C, 0, Number.MAX_SAFE_INTEGER);
  } else if (r.predicates !== undefined) arr(r.predicates, 'payload.request.predicates', C, 0, 0);
  if (r.scope !== undefined || predicates === 1) str(r.scope, 'payload.request.scope', C, 128);
  const rev = obj(r.revocation, 'payload.request.revocation', C);
  onlyKeys(rev, ['publicKey', 'accumulated'], 'payload.request.revocation', C);
  bytesField(rev.publicKey, 'payload.request.revocation.publicKey', 96);
  bytesField(rev.accumulated, 'payload.request.revocation.accumulated', 48);
  str(r.context, 'payload.request.context', C, 256);
  return r;
}

/** Parses a presentation (its proof at most 32 KiB). */
export function parsePresentationJson(v: unknown): Obj {
  const p = obj(v, 'payload.presentation', C);
  onlyKeys(p, ['attributeNames', 'revealed', 'pseudonym', 'proof'], 'payload.presentation', C);
  arr(p.attributeNames, 'payload.presentation.attributeNames', C, 0, 64).forEach((x, i) =>
    str(x, `payload.presentation.attributeNames[${i}]`, C, 64),
  );
  const revealed = obj(p.revealed, 'payload.presentation.revealed', C);
  for (const [k, x] of Object.entries(revealed))
    if (typeof x === 'number') int(x, `payload.presentation.revealed.${k}`, C);
    else str(x, `payload.presentation.revealed.${k}`, C, 256);
  bytesField(p.pseudonym, 'payload.presentation.pseudonym', 48);
  str(p.proof, 'payload.presentation.proof', C, 32 * 1024, B64U);
  return p;
}

/**
 * The 64-hex requester id an anonymous read is logged under: the tagged hash of the
 * presentation's pseudonym (fresh per presentation when the request has no scope).
 */
export function pseudonymIdOf(pseudonym: Uint8Array): string {
  return toHex(hashTagged('medledger/anon/pseudonym-id/v1', pseudonym));
}

/** {@link pseudonymIdOf} of a presentation's base64url pseudonym. */
export const pseudonymIdOfJson = (pseudonym: string): string => pseudonymIdOf(fromB64u(pseudonym));

/**
 * Whether a proof made against accumulator value `accumulated` still proves non-revocation:
 * it is the issuer's current value, or an earlier one followed only by additions (a removal
 * since then may have revoked the prover). Looks back at most {@link MAX_ACCUMULATOR_LAG}
 * updates.
 * @returns 'ok', 'stale' (a removal since), or 'unknown' (not a value of this issuer's recent history)
 */
export function accumulatorStatus(
  state: StateReader,
  org: string,
  accumulated: string,
): 'ok' | 'stale' | 'unknown' {
  const issuer = getIssuer(state, org);
  if (!issuer) return 'unknown';
  if (issuer.accumulated === accumulated) return 'ok';
  for (let i = issuer.seq - 1; i >= Math.max(0, issuer.seq - MAX_ACCUMULATOR_LAG); i--) {
    const u = state.get(anonKeys.accUpdate(org, i)) as AccumulatorUpdateJson | undefined;
    if (!u) return 'unknown';
    if (u.op === 'remove') return 'stale';
    if (u.before === accumulated) return 'ok';
  }
  return 'unknown';
}
