/** @internal Parsed group public keys, memoized by their base64url form (parsing checks points). */
import { fromB64u } from '@medledger/crypto';
import { groupPublicKeyFromBytes, type GroupPublicKey } from '@medledger/crypto/groupsig';

const cache = new Map<string, GroupPublicKey>();

/** The parsed key, or undefined if malformed. */
export function parseGroupKey(b64u: string): GroupPublicKey | undefined {
  let k = cache.get(b64u);
  if (k === undefined) {
    try {
      k = groupPublicKeyFromBytes(fromB64u(b64u));
    } catch {
      return undefined;
    }
    if (cache.size > 1000) cache.clear();
    cache.set(b64u, k);
  }
  return k;
}
