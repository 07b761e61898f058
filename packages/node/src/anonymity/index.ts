/** Node services of the anonymity flows: relay, anonymous authentication, issuers, group managers. */
import type { JsonValue } from '@medledger/crypto';
import type { LedgerView } from '../ledgerView.js';
import { AnonymousRelay } from './relay.js';
import { AnonymousVerifier } from './verifier.js';

export * from './relay.js';
export * from './verifier.js';
export * from './issuer.js';
export * from './groups.js';
export * from './proofCheck.js';

/** The services every node runs: the relay (signs with the node key) and the anonymous verifier. */
export function createAnonymityServices(o: {
  node: LedgerView;
  /** PKCS#8 DER of this node's key. */
  nodeKey: Uint8Array;
  now?: () => number;
  serveRecord?: (recordId: string) => Promise<JsonValue | undefined>;
}): { relay: AnonymousRelay; verifier: AnonymousVerifier } {
  const relay = new AnonymousRelay(o.node, o.nodeKey, o.now);
  const verifier = new AnonymousVerifier({
    node: o.node,
    relay,
    ...(o.now ? { now: o.now } : {}),
    ...(o.serveRecord ? { serveRecord: o.serveRecord } : {}),
  });
  return { relay, verifier };
}
