/**
 * Re-checks a stored ledger from genesis: for every block, that it is present, that its
 * stored bytes are canonical and hash to the recorded hash, that it links to its parent
 * (height, previous hash, time, Merkle root, state digest), that its proposer signed it,
 * that every transaction's signatures verify under certificates valid at signing time, that
 * the proofs transactions carry verify (anonymity/proofCheck.ts), and that replaying it
 * reproduces the stored validity codes, state digest and contract events; and that its block
 * index row (run heads and transaction offsets, store/commitSql.ts) is what the block gives.
 * Finally the stored world state and head must equal the replayed ones, and so must the
 * transaction index the node answers receipts and duplicates from: one row per transaction id,
 * at the block and index of its committing copy (core commitRule.ts), with the code and message
 * the replay gives, and no other row. Given the genesis a node runs (its directory's
 * genesis.json), the ledger must be of that genesis. Stops at the first bad block.
 */
import { canonicalize, type JsonValue } from '@medledger/crypto';
import {
  blockCanonicalTextWithOffsets,
  blockHashOf,
  chainIdOf,
  countsAsCommitted,
  defaultContracts,
  genesisHeader,
  genesisStateDigest,
  genesisWrites,
  parseBlock,
  parseGenesis,
  txIdOf,
  type BlockHeader,
  type ContractRegistry,
  type Genesis,
  type StateReader,
} from '@medledger/core';
import { LedgerStore } from '../store/ledgerStore.js';
import { SignaturePool } from '../sigpool/pool.js';
import { verifyBlock } from '../pipeline/verifyBlock.js';
import { transition } from '../pipeline/transition.js';
import { committedEvents } from '../store/events.js';
import { blockIndexOf } from '../store/commitSql.js';
import { createProofCheckers, type ProofCheckers } from '../anonymity/proofCheck.js';

export type VerifyReport =
  | { ok: true; height: number; txs: number; stateKeys: number }
  | { ok: false; height: number; reason: string };

export interface VerifyOptions {
  contracts?: ContractRegistry;
  /** The genesis the ledger must belong to (same chain id), e.g. the node directory's. */
  genesis?: Genesis;
  /** Called before each block with its height, the last height and the transactions checked so far. */
  onProgress?: ((height: number, total: number, txs: number) => void) | undefined;
  sigWorkers?: number;
  /** Checkers of the proofs transactions carry (default: anonymity/proofCheck.ts, not memoized). */
  proofCheckers?: ProofCheckers;
}

export async function verifyLedger(ledgerPath: string, opts: VerifyOptions = {}): Promise<VerifyReport> {
  let store: LedgerStore;
  try {
    store = new LedgerStore(ledgerPath, { readonly: true });
  } catch (e) {
    return { ok: false, height: 0, reason: `cannot open ledger: ${(e as Error).message}` };
  }
  const pool = new SignaturePool(opts.sigWorkers);
  const at = { height: 0 };
  try {
    return await run(store, pool, opts, at);
  } catch (e) {
    // Anything unexpected while checking a block is that block's fault.
    return { ok: false, height: at.height, reason: `block ${at.height}: ${(e as Error).message}` };
  } finally {
    await pool.close();
    store.close();
  }
}

async function run(
  store: LedgerStore,
  pool: SignaturePool,
  opts: VerifyOptions,
  at: { height: number },
): Promise<VerifyReport> {
  const contracts = opts.contracts ?? defaultContracts();
  const proofs = opts.proofCheckers ?? createProofCheckers({ memo: false });
  const gText = store.getMeta('genesis');
  if (!gText) return { ok: false, height: 0, reason: 'no genesis in the ledger' };
  let genesis;
  try {
    genesis = parseGenesis(JSON.parse(gText));
  } catch (e) {
    return { ok: false, height: 0, reason: `genesis: ${(e as Error).message}` };
  }
  if (canonicalize(genesis) !== gText)
    return { ok: false, height: 0, reason: 'genesis: stored bytes are not canonical' };
  if (opts.genesis !== undefined && chainIdOf(opts.genesis) !== chainIdOf(genesis))
    return {
      ok: false,
      height: 0,
      reason: `genesis: the ledger belongs to another genesis (chain ${chainIdOf(genesis).slice(0, 16)}…, ${genesis.chainName}) than the one given (chain ${chainIdOf(opts.genesis).slice(0, 16)}…, ${opts.genesis.chainName})`,
    };
  const state = new Map<string, JsonValue>();
  for (const [k, v] of genesisWrites(genesis)) if (v !== null) state.set(k, v);
  const committed = new Set<string>();
  const index = new Map<string, IndexRow>();
  const reader: StateReader = { get: (k) => state.get(k), hasCommittedTx: (id) => committed.has(id) };
  let digest = genesisStateDigest(genesis);
  let parent: BlockHeader = genesisHeader(genesis);
  const head = store.head();
  if (!head) return { ok: false, height: 0, reason: 'no head recorded' };
  const heights = [...store.heights()];
  const last = Math.max(head.height, heights.length ? heights[heights.length - 1]! : 0);
  let txs = 0;
  const empty = { has: () => false };
  const eventsFrom = store.eventsFrom();
  for (let h = 1; h <= last; h++) {
    at.height = h;
    opts.onProgress?.(h, last, txs);
    const row = store.blockRow(h);
    if (!row) return { ok: false, height: h, reason: `block ${h} is missing` };
    const text = row.data.toString('utf8');
    let block;
    try {
      block = parseBlock(JSON.parse(text));
    } catch (e) {
      return {
        ok: false,
        height: h,
        reason: `block ${h}: stored bytes do not parse: ${(e as Error).message}`,
      };
    }
    if (canonicalize(block) !== text)
      return { ok: false, height: h, reason: `block ${h}: stored bytes are not canonical` };
    if (block.header.chainId !== chainIdOf(genesis))
      return { ok: false, height: h, reason: `block ${h}: belongs to another chain` };
    const hash = blockHashOf(block.header);
    if (hash !== row.hash)
      return { ok: false, height: h, reason: `block ${h}: hash differs from the recorded hash` };
    let known;
    try {
      known = await verifyBlock(block, parent, digest, reader, pool, empty, undefined, proofs);
    } catch (e) {
      return { ok: false, height: h, reason: (e as Error).message };
    }
    const result = transition(reader, block, contracts, genesis.params, digest, known);
    let stored: { codes: string[]; messages: (string | null)[]; stateDigest: string };
    try {
      stored = parseStoredResult(row.result.toString('utf8'));
    } catch (e) {
      return { ok: false, height: h, reason: `block ${h}: stored validity codes: ${(e as Error).message}` };
    }
    const codes = result.outcomes.map((o) => o.code);
    if (canonicalize(stored.codes) !== canonicalize(codes)) {
      const i = codes.findIndex((c, k) => stored.codes[k] !== c);
      return {
        ok: false,
        height: h,
        reason: `block ${h}: validity code of transaction ${i} is ${stored.codes[i]}, replay gives ${codes[i]}`,
      };
    }
    if (stored.stateDigest !== result.stateDigest)
      return { ok: false, height: h, reason: `block ${h}: stored state digest differs from replay` };
    if (
      canonicalize(stored.messages ?? null) !== canonicalize(result.outcomes.map((o) => o.message ?? null))
    ) {
      return { ok: false, height: h, reason: `block ${h}: stored validity messages differ from replay` };
    }
    // Events are not covered by any hash, but they are deterministic: the stored ones must be
    // exactly what replay emits (the feed serves them to the node's services).
    if (
      h >= eventsFrom &&
      storedEvents(store, h) !== canonicalize(committedEvents(h, result.outcomes) as JsonValue)
    )
      return { ok: false, height: h, reason: `block ${h}: stored events differ from replay` };
    // The block index serves single transactions and their proofs (store/commitSql.ts): a row
    // must be what the block gives. A block stored before the table existed has none.
    const ix = store.blockIndex.row(h);
    if (ix) {
      const want = blockIndexOf(
        text,
        row.data.length,
        blockCanonicalTextWithOffsets(block).txStarts,
        block.txs.map((t) => txIdOf(t.body)),
        codes,
      );
      for (const k of ['run', 'txHeads', 'codeHeads', 'txOffsets'] as const) {
        const same = k === 'run' ? ix.run === want.run : ix[k].equals(want[k]);
        if (!same)
          return { ok: false, height: h, reason: `block ${h}: block index ${k} differs from the block` };
      }
    }
    for (const [k, v] of result.writes) {
      if (v === null) state.delete(k);
      else state.set(k, v);
    }
    result.outcomes.forEach((o, idx) => {
      // The index keeps a transaction's committing copy; before one, the latest refused copy.
      const cur = index.get(o.txId);
      if (cur === undefined || !countsAsCommitted(cur.code))
        index.set(o.txId, { height: h, idx, code: o.code, msg: o.message ?? null });
      if (countsAsCommitted(o.code)) committed.add(o.txId);
    });
    txs += block.txs.length;
    digest = result.stateDigest;
    parent = block.header;
  }
  if (head.height !== last || head.hash !== blockHashOf(parent) || head.stateDigest !== digest) {
    return { ok: false, height: last, reason: 'recorded head differs from the last block' };
  }
  const badRow = checkTxIndex(store, index);
  if (badRow !== undefined) return { ok: false, height: badRow.height, reason: badRow.reason };
  let n = 0;
  for (const row of store.stateRows()) {
    n++;
    const want = state.get(row.k);
    let got: unknown;
    try {
      got = JSON.parse(row.v);
    } catch {
      return { ok: false, height: last, reason: `world state: value of ${row.k} does not parse` };
    }
    if (want === undefined)
      return { ok: false, height: last, reason: `world state: ${row.k} is not produced by any block` };
    if (canonicalize(got) !== canonicalize(want))
      return { ok: false, height: last, reason: `world state: ${row.k} differs from replay` };
  }
  if (n !== state.size)
    return { ok: false, height: last, reason: `world state: ${state.size - n} keys are missing` };
  return { ok: true, height: last, txs, stateKeys: n };
}

interface IndexRow {
  height: number;
  idx: number;
  code: string;
  msg: string | null;
}

/** The first stored transaction index row that differs from the replayed index, if any. */
function checkTxIndex(
  store: LedgerStore,
  want: ReadonlyMap<string, IndexRow>,
): { height: number; reason: string } | undefined {
  let n = 0;
  for (const r of store.txRows()) {
    n++;
    const w = want.get(r.id);
    if (w === undefined) return { height: r.height, reason: `transaction index: ${r.id} is in no block` };
    if (r.height !== w.height || r.idx !== w.idx)
      return {
        height: w.height,
        reason: `transaction index: ${r.id} is at ${r.height}/${r.idx}, replay puts it at ${w.height}/${w.idx}`,
      };
    if (r.code !== w.code || r.msg !== w.msg)
      return {
        height: w.height,
        reason: `transaction index: ${r.id} has code ${r.code}, replay gives ${w.code}${r.code === w.code ? ' (its message differs)' : ''}`,
      };
  }
  if (n !== want.size)
    return {
      height: 0,
      reason: `transaction index: ${want.size - n} transactions of the blocks have no row`,
    };
  return undefined;
}

/** The canonical text of a block's stored events (none stored: an empty list). */
function storedEvents(store: LedgerStore, height: number): string {
  const text = store.blockEventsText(height);
  try {
    return canonicalize((text === undefined ? [] : JSON.parse(text)) as JsonValue);
  } catch {
    return 'unparsable';
  }
}

/** Parses a block's stored result strictly: exactly {codes, messages, stateDigest}, canonical. */
function parseStoredResult(text: string): {
  codes: string[];
  messages: (string | null)[];
  stateDigest: string;
} {
  const r = JSON.parse(text) as unknown;
  if (typeof r !== 'object' || r === null || Array.isArray(r)) throw new Error('not an object');
  const o = r as Record<string, unknown>;
  const keys = Object.keys(o).sort().join(',');
  if (keys !== 'codes,messages,stateDigest') throw new Error(`unexpected fields ${keys}`);
  if (!Array.isArray(o.codes) || !o.codes.every((c) => typeof c === 'string'))
    throw new Error('codes is not a list of strings');
  if (!Array.isArray(o.messages) || !o.messages.every((m) => m === null || typeof m === 'string'))
    throw new Error('messages is not a list');
  if (typeof o.stateDigest !== 'string') throw new Error('stateDigest is not a string');
  if (canonicalize(r) !== text) throw new Error('stored bytes are not canonical');
  return r as { codes: string[]; messages: (string | null)[]; stateDigest: string };
}
