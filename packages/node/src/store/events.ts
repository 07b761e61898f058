/**
 * The contract events of a committed block, as the ledger stores them (table `events`, one
 * row per block that has any, written in the block's own SQLite transaction) and as the feed
 * delivers them: each event with the id of its transaction and the block height.
 *
 * Events are not part of consensus: no header, state digest or checkpoint covers them. They
 * are nevertheless deterministic — `applyBlock` derives them from the block and the state
 * before it, exactly like the validity codes — so every node stores the same events for the
 * same block, a node that re-derives them (`verifyLedger`, `backfillEvents`) gets the same
 * ones, and a follower that replays a block after a crash sees what it saw before.
 */
import type { LedgerEvent, TxOutcome } from '@medledger/core';

/** A contract event of a committed transaction. */
export type CommittedLedgerEvent = LedgerEvent & { txId: string; height: number };

/** The events of a block's outcomes, in transaction order, each with its txId and height. */
export function committedEvents(height: number, outcomes: readonly TxOutcome[]): CommittedLedgerEvent[] {
  const out: CommittedLedgerEvent[] = [];
  for (const o of outcomes)
    for (const e of o.events) out.push({ ...e, txId: o.txId, height } as CommittedLedgerEvent);
  return out;
}

/** The stored text of a block's events, or null if it has none (then no row is written). */
export function eventsText(height: number, outcomes: readonly TxOutcome[]): string | null {
  for (const o of outcomes) if (o.events.length > 0) return JSON.stringify(committedEvents(height, outcomes));
  return null;
}

/** Parses a stored events row (absent: the block has no events). */
export function parseEventsText(text: string | undefined): CommittedLedgerEvent[] {
  return text === undefined ? [] : (JSON.parse(text) as CommittedLedgerEvent[]);
}
