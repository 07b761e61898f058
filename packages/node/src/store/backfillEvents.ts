/**
 * A ledger written before blocks carried their events in the ledger database has none for its
 * first blocks (below the meta `eventsFrom`). When the node opens it, this replays those
 * blocks from genesis in memory — the same pure `applyBlock` that committed them — and stores
 * the events they emitted, so the feed can deliver every block with its events. It runs once:
 * afterwards `eventsFrom` is 1 and every later block stores its events as it commits.
 */
import type { JsonValue } from '@medledger/crypto';
import {
  LedgerError,
  applyBlock,
  countsAsCommitted,
  genesisStateDigest,
  genesisWrites,
  type ContractRegistry,
  type Genesis,
  type StateReader,
  type TxSignature,
} from '@medledger/core';
import type { LedgerStore } from './ledgerStore.js';
import { eventsText } from './events.js';

/**
 * Re-derives and stores the events of every block below `store.eventsFrom()`.
 * @throws LedgerError EVENTS_BACKFILL_FAILED if a replayed block's validity codes or state
 *   digest differ from the stored ones (the ledger is damaged: run `medledger verify`)
 */
export function backfillEvents(store: LedgerStore, genesis: Genesis, contracts: ContractRegistry): number {
  const below = Math.min(store.eventsFrom(), (store.head()?.height ?? 0) + 1);
  if (below <= 1) return 0;
  const state = new Map<string, JsonValue>();
  for (const [k, v] of genesisWrites(genesis)) if (v !== null) state.set(k, v);
  const committed = new Set<string>();
  const reader: StateReader = { get: (k) => state.get(k), hasCommittedTx: (id) => committed.has(id) };
  let digest = genesisStateDigest(genesis);
  const rows: { height: number; text: string }[] = [];
  for (let h = 1; h < below; h++) {
    const stored = store.getBlock(h);
    if (!stored) throw failed(h, 'the block is missing');
    // Signatures were verified when the block committed: only those of a transaction stored
    // as BAD_SIGNATURE are checked again, so that replay reproduces its code.
    const codeOf = new Map<TxSignature, string>();
    stored.block.txs.forEach((tx, i) => {
      for (const s of tx.signatures) codeOf.set(s, stored.result.codes[i]!);
    });
    const result = applyBlock(reader, stored.block, {
      contracts,
      params: genesis.params,
      prevStateDigest: digest,
      knownSignatures: (s) => (codeOf.get(s) === 'BAD_SIGNATURE' ? undefined : true),
    });
    if (result.stateDigest !== stored.result.stateDigest)
      throw failed(h, 'replay gives another state digest than the stored one');
    for (const [k, v] of result.writes) {
      if (v === null) state.delete(k);
      else state.set(k, v);
    }
    for (const o of result.outcomes) if (countsAsCommitted(o.code)) committed.add(o.txId);
    const text = eventsText(h, result.outcomes);
    if (text !== null) rows.push({ height: h, text });
    digest = result.stateDigest;
  }
  store.putBackfilledEvents(rows);
  return below - 1;
}

function failed(
  height: number,
  why: string,
): LedgerError<{ code: 'EVENTS_BACKFILL_FAILED'; height: number }> {
  return new LedgerError(
    { code: 'EVENTS_BACKFILL_FAILED', height },
    `cannot re-derive the events of block ${height}: ${why}; run medledger verify`,
  );
}
