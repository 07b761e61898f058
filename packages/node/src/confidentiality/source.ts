/** A client `LedgerSource` over a node in the same process (services, tests, benchmarks). */
import type { LedgerSource } from '@medledger/client';
import type { LedgerView } from '../ledgerView.js';

export function nodeLedgerSource(node: LedgerView): LedgerSource {
  return {
    state: async (key) => node.stateValue(key),
    tx: async (id) => node.getTxWithProof(id)?.tx,
  };
}
