/**
 * Signed requests: how a member authenticates an HTTP read to a node (records, access logs,
 * event streams). The member signs the canonical JSON of {method, path, ts, bodyHash} with
 * its P-256 key; the node checks the signature against the member's key on the ledger, that
 * the member is not revoked, that `ts` is within ±5 minutes, and that the same signature was
 * not used before (replay). Header: `x-medledger-auth: <signerId>.<ts>.<sig>`; for
 * EventSource, which cannot set headers, the same value as the `auth` query parameter.
 */
import type { KeyObject } from 'node:crypto';
import {
  HashTag,
  canonicalBytes,
  hashTagged,
  importP256PrivateKey,
  signP256,
  toB64u,
  toHex,
} from '@medledger/crypto';

export const AUTH_HEADER = 'x-medledger-auth';
export const AUTH_TAG = 'medledger/http-request/v1';

/** The bytes a request signature covers. `path` includes the query string minus `auth`. */
export function requestSigningBytes(
  method: string,
  path: string,
  ts: number,
  body: Uint8Array | undefined,
): Uint8Array {
  const bodyHash = body && body.length > 0 ? toHex(hashTagged(HashTag.record, body)) : '';
  return hashTagged(AUTH_TAG, canonicalBytes({ method: method.toUpperCase(), path, ts, bodyHash }));
}

/** The auth header value for a request. */
export function signRequest(p: {
  signerId: string;
  privateKey: Uint8Array | KeyObject;
  method: string;
  path: string;
  body?: Uint8Array;
  ts: number;
}): string {
  const key = p.privateKey instanceof Uint8Array ? importP256PrivateKey(p.privateKey) : p.privateKey;
  const sig = signP256(key, requestSigningBytes(p.method, p.path, p.ts, p.body));
  return `${p.signerId}.${p.ts}.${toB64u(sig)}`;
}
