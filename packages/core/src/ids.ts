/** Identifiers: lowercase hex of tagged SHA-256 hashes of canonical bytes. */
import { HashTag, canonicalBytes, hashTagged, toHex } from '@medledger/crypto';

/** Hex id of a JSON value under a hash tag. */
export function idOf(tag: HashTag, value: unknown): string {
  return toHex(hashTagged(tag, canonicalBytes(value)));
}

/** Member id: the tagged hash of the member certificate's DER bytes. */
export function memberIdOf(certificateDer: Uint8Array): string {
  return toHex(hashTagged(HashTag.certificate, certificateDer));
}

/** Signer id of an organization's root key. */
export function orgSignerId(orgId: string): string {
  return `org:${orgId}`;
}

export const ZERO_HASH = '0'.repeat(64);
