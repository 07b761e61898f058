/**
 * The narrow view of the ledger the fl services use (REVIEW §5): read a state value, submit a
 * transaction, hear about committed blocks. `nodeFlLedger` gives it over a node in the same
 * process; tests wrap it to inject faults (a participant that vanishes, a tampered post).
 */
import type { JsonValue } from '@medledger/crypto';
import type { SignedTx, StateReader } from '@medledger/core';
import type { MedledgerNode } from '../node.js';

export interface FlLedger {
  readonly chainId: string;
  /** A committed world-state value. */
  state(key: string): JsonValue | undefined;
  /** Submits a transaction; resolves with its id once admitted, rejects with a LedgerError. */
  submit(tx: SignedTx): Promise<string>;
  /** Calls `listener` after each committed block; returns the unsubscribe function. */
  onBlock(listener: () => void): () => void;
}

/** {@link FlLedger} over a node in this process. */
export function nodeFlLedger(node: MedledgerNode): FlLedger {
  return {
    chainId: node.chainId,
    state: (key) => node.stateValue(key),
    submit: async (tx) => (await node.submit(tx)).txId,
    onBlock(listener) {
      node.on('block', listener);
      return () => void node.off('block', listener);
    },
  };
}

/** A core `StateReader` over an {@link FlLedger} (for core's state getters and decisions). */
export function flStateReader(ledger: FlLedger): StateReader {
  return { get: (k) => ledger.state(k), hasCommittedTx: () => false };
}
