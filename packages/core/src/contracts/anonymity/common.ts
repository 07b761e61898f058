/**
 * Shared parts of the anonymous transactions (`anon.group.submit`, `anon.ring.submit`).
 *
 * Such a transaction carries its own anonymous signature (group or ring) over
 *   m = H_tag("medledger/anon-tx/v1", canonical {chainId, type, payload without `signature`})
 * where the payload includes the author's own `createdAt` and 16-byte `nonce`; the outer
 * transaction is relayed and signed by a node key (`node:<org>`), so the core's P-256
 * signature pipeline is unchanged and the ledger learns only "a member of G / of this ring"
 * and "relayed by node N". Because the anonymous signature, not the relay's, authorises the
 * content, the contract refuses a message already committed (replay through another relay or
 * another outer nonce) and one whose `createdAt` is outside the chain's transaction window.
 */
import { canonicalBytes, canonicalize, hashTagged, toHex, type JsonValue } from '@medledger/crypto';
import { fail, type ContractResult, type TxContext } from '../../contract.js';
import { malformed } from '../../errors.js';
import { B64U, int, obj, str, type Obj } from '../../validate.js';
import { anonKeys } from './state.js';

/** Hash tag of the message an anonymous signature covers. */
export const ANON_TX_TAG = 'medledger/anon-tx/v1';
/** Largest canonical `statement` of an anonymous transaction, in bytes. */
export const MAX_STATEMENT_BYTES = 32 * 1024;

export const C = 'INVALID_PAYLOAD';

/** A JSON object payload. */
export type JsonObject = { [k: string]: JsonValue };

/**
 * The 32 bytes an anonymous signature covers: the tagged hash of the canonical
 * {chainId, type, payload-without-signature}.
 * @example groupSign(gpk, key, anonymousMessage(chainId, 'anon.group.submit', unsigned))
 */
export function anonymousMessage(chainId: string, type: string, payload: JsonObject): Uint8Array {
  if ('signature' in payload) throw new TypeError('anonymousMessage: pass the payload without its signature');
  return hashTagged(ANON_TX_TAG, canonicalBytes({ chainId, type, payload }));
}

/** The fields every anonymous payload has. */
export interface AnonymousEnvelope {
  createdAt: number;
  /** 16 random bytes, base64url, chosen by the anonymous author. */
  nonce: string;
  statement: JsonObject;
  /** The anonymous signature, base64url. */
  signature: string;
}

/** Parses the common fields; `maxSig` bounds the signature's base64url length. */
export function parseEnvelope(p: Obj, maxSig: number): AnonymousEnvelope {
  const nonce = str(p.nonce, 'payload.nonce', C, 22, B64U);
  if (nonce.length !== 22) malformed(C, 'payload.nonce', 'must be 16 bytes of base64url');
  const statement = obj(p.statement, 'payload.statement', C) as JsonObject;
  if (canonicalize(statement).length > MAX_STATEMENT_BYTES)
    malformed(C, 'payload.statement', `must be at most ${MAX_STATEMENT_BYTES} bytes`);
  return {
    createdAt: int(p.createdAt, 'payload.createdAt', C, 0, 8.64e15),
    nonce,
    statement,
    signature: str(p.signature, 'payload.signature', C, maxSig, B64U),
  };
}

/** The payload without its signature, i.e. what the anonymous signature covers. */
export function unsignedPayload(payload: JsonObject): JsonObject {
  const rest: JsonObject = { ...payload };
  delete rest.signature;
  return rest;
}

/**
 * Checks the relay (exactly one `node:` signer), the author's time window and replay.
 * Returns the failure, or the relay's id and the message hash key to mark once committed.
 */
export function checkRelayed(
  ctx: TxContext,
  createdAt: number,
  message: Uint8Array,
): { ok: false; result: ContractResult } | { ok: true; relay: string; replayKey: string } {
  const relay = ctx.signers[0];
  if (ctx.signers.length !== 1 || relay?.kind !== 'node')
    return { ok: false, result: fail('UNAUTHORIZED', 'an anonymous transaction is relayed by one node key') };
  if (createdAt + ctx.params.txTtlMs < ctx.time)
    return {
      ok: false,
      result: fail('ANON_EXPIRED', 'the anonymous message is older than the chain allows'),
    };
  if (createdAt > ctx.time + ctx.params.maxClockSkewMs)
    return { ok: false, result: fail('ANON_FROM_FUTURE', 'the anonymous message is dated in the future') };
  const replayKey = anonKeys.message(toHex(message));
  if (ctx.state.get(replayKey) !== undefined)
    return { ok: false, result: fail('ANON_REPLAY', 'this anonymous message was already committed') };
  return { ok: true, relay: relay.id, replayKey };
}
