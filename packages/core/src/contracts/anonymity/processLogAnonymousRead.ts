/**
 * `anon.read.log` — the ledger entry of one read by a member who authenticated anonymously
 * with a BBS credential presentation (node/src/anonymity/verifier.ts). It carries the read
 * (record, purpose, outcome, time) together with the evidence that a credential holder asked
 * for it: the node's presentation request and the member's presentation, which discloses only
 * role and organization. The requester id is derived from the presentation's pseudonym, so
 * a node cannot log a read under an id no presentation produced.
 *
 * Every node verifies the proof before it applies a block carrying this transaction
 * (node/src/anonymity/proofCheck.ts), and `medledger verify` again; the contract checks what
 * the state decides: one node key relays it; the request's context names this chain and that
 * node (the node asked for this presentation); it reveals exactly organization and role and
 * the disclosed organization is the issuer; the proof is against the issuer's accumulator
 * with no removal since (not revoked); the request time and the read time are within the
 * chain's transaction window of the block time; and a presentation logs one read (replay).
 * The outcome (allowed or denied) is the node's decision at read time, which an auditor can
 * re-derive from the disclosed role and organization and the state at that height.
 *
 * Privacy: the ledger learns what the node learned — role, organization, the record, the
 * purpose — and a pseudonym fresh for this presentation; not the member.
 */
import { OK, fail, type Contract } from '../../contract.js';
import { malformed } from '../../errors.js';
import { getRecord } from '../../records/state.js';
import { ID, int, obj, onlyKeys, str } from '../../validate.js';
import { C, type JsonObject } from './common.js';
import {
  accumulatorStatus,
  parsePresentationJson,
  parsePresentationRequest,
  pseudonymIdOfJson,
} from './presentationFields.js';
import { anonKeys, getIssuer } from './state.js';

export interface LogAnonymousReadPayload {
  recordId: string;
  purpose: string;
  outcome: 'allowed' | 'denied';
  /** The decision's code when denied. */
  code?: string;
  /** When the node decided the read (its clock, Unix ms). */
  at: number;
  /** The organization that issued the credential. */
  issuer: string;
  /** The node's presentation request (crypto `presentationRequestToJson`). */
  request: JsonObject;
  /** The member's presentation (crypto `presentationToJson`). */
  presentation: JsonObject;
}

/** The proof context of an anonymous read: binds it to the chain and the node that asked. */
export const anonReadContext = (chainId: string, org: string): string =>
  `medledger/anon/read/${chainId}/${org}`;

/** The attributes an anonymous read discloses, sorted. */
export const ANON_READ_REVEAL: readonly string[] = ['organization', 'role'];

export const processLogAnonymousRead: Contract<LogAnonymousReadPayload> = {
  type: 'anon.read.log',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(
      p,
      ['recordId', 'purpose', 'outcome', 'code', 'at', 'issuer', 'request', 'presentation'],
      'payload',
      C,
    );
    if (p.outcome !== 'allowed' && p.outcome !== 'denied')
      malformed(C, 'payload.outcome', 'must be allowed or denied');
    const out: LogAnonymousReadPayload = {
      recordId: str(p.recordId, 'payload.recordId', C, 128, ID),
      purpose: str(p.purpose, 'payload.purpose', C, 16, ID),
      outcome: p.outcome,
      at: int(p.at, 'payload.at', C, 0, 8.64e15),
      issuer: str(p.issuer, 'payload.issuer', C, 64, ID),
      request: parsePresentationRequest(p.request, 0) as JsonObject,
      presentation: parsePresentationJson(p.presentation) as JsonObject,
    };
    if (p.code !== undefined) out.code = str(p.code, 'payload.code', C, 64, ID);
    if ((p.code === undefined) !== (p.outcome === 'allowed'))
      malformed(C, 'payload.code', 'a denied read has a code, an allowed one none');
    if (out.request.scope !== undefined)
      malformed(C, 'payload.request.scope', 'an anonymous read uses a fresh pseudonym: no scope');
    return out;
  },
  execute(ctx, p) {
    const node = ctx.signers[0];
    if (ctx.signers.length !== 1 || node?.kind !== 'node')
      return fail('UNAUTHORIZED', 'an anonymous read is logged by one node key');
    const req = p.request as {
      now: number;
      reveal?: string[];
      revocation: { publicKey: string; accumulated: string };
      context: string;
    };
    const revealed = (p.presentation as { revealed: Record<string, unknown> }).revealed;
    if (req.context !== anonReadContext(ctx.tx.body.chainId, node.org))
      return fail('PRESENTATION_MISMATCH', 'the proof context is not this chain and the logging node');
    if ([...(req.reveal ?? [])].sort().join(',') !== ANON_READ_REVEAL.join(','))
      return fail('PRESENTATION_MISMATCH', `the request must reveal exactly ${ANON_READ_REVEAL.join(', ')}`);
    if (revealed.organization !== p.issuer || typeof revealed.role !== 'string')
      return fail('PRESENTATION_MISMATCH', 'the disclosed organization is not the issuer');
    const issuer = getIssuer(ctx.state, p.issuer);
    if (!issuer) return fail('UNKNOWN_ISSUER', `organization ${p.issuer} has no registered issuer key`);
    if (req.revocation.publicKey !== issuer.accumulatorPublicKey)
      return fail('ACCUMULATOR_MISMATCH', 'the proof is not against the issuer accumulator');
    const acc = accumulatorStatus(ctx.state, p.issuer, req.revocation.accumulated);
    if (acc === 'stale')
      return fail('ACCUMULATOR_STALE', 'a credential was revoked since the proof was made');
    if (acc === 'unknown')
      return fail(
        'ACCUMULATOR_MISMATCH',
        'the proof is not against a recent value of the issuer accumulator',
      );
    const window = (t: number): boolean =>
      t + ctx.params.txTtlMs >= ctx.time && t <= ctx.time + ctx.params.maxClockSkewMs;
    if (!window(req.now) || !window(p.at) || p.at < req.now)
      return fail(
        'PRESENTATION_MISMATCH',
        'the request or read time is not within the window of the block time',
      );
    const record = getRecord(ctx.state, p.recordId);
    if (!record) return fail('UNKNOWN_RECORD', `no record ${p.recordId}`);
    const requester = pseudonymIdOfJson((p.presentation as { pseudonym: string }).pseudonym);
    const replayKey = anonKeys.anonRead(requester);
    if (ctx.state.get(replayKey) !== undefined)
      return fail('ANON_REPLAY', 'this presentation already logged a read');
    ctx.state.put(replayKey, ctx.txId);
    ctx.emit({
      type: 'access.logged',
      patient: record.patientId,
      node: node.org,
      recordId: p.recordId,
      requester,
      purpose: p.purpose,
      channel: 'anon-credential',
      outcome: p.outcome,
      ...(p.code === undefined ? {} : { code: p.code }),
      at: p.at,
    });
    return OK;
  },
};
