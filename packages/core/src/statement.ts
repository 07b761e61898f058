/**
 * Statements signed inside a payload: a party who does not sign the transaction itself still
 * authorizes part of it (a regulator's product approval, a patient's choice of pharmacy under
 * a per-prescription key). The signed bytes are the tagged hash of the canonical JSON of the
 * statement with the chain id, so a statement is bound to its kind and to one consortium and
 * cannot be replayed as another kind or on another chain.
 */
import {
  canonicalBytes,
  fromB64u,
  hashTagged,
  signP256,
  toB64u,
  verifyP256,
  type JsonValue,
} from '@medledger/crypto';
import type { KeyObject } from 'node:crypto';
import { publicKeyObject } from './identity.js';

/** The bytes a statement signature covers. */
export function statementBytes(
  tag: string,
  chainId: string,
  statement: { [k: string]: JsonValue },
): Uint8Array {
  return hashTagged(tag, canonicalBytes({ chainId, statement }));
}

/** Signs a statement (client side); returns the 64-byte signature in base64url. */
export function signStatement(
  tag: string,
  chainId: string,
  statement: { [k: string]: JsonValue },
  privateKey: Uint8Array | KeyObject,
): string {
  return toB64u(signP256(privateKey, statementBytes(tag, chainId, statement)));
}

/**
 * Whether `signature` (base64url) is a P-256 signature of the statement under the SPKI key
 * `publicKey` (base64url). False, never a throw, for a malformed key or signature: the key
 * and signature come from untrusted payloads.
 */
export function verifyStatement(
  tag: string,
  chainId: string,
  statement: { [k: string]: JsonValue },
  publicKey: string,
  signature: string,
): boolean {
  try {
    return verifyP256(
      publicKeyObject(publicKey),
      statementBytes(tag, chainId, statement),
      fromB64u(signature),
    );
  } catch {
    return false;
  }
}
