/**
 * The SQL of a block commit, shared by the connection that creates the ledger (genesis) and
 * the writer thread that commits every later block. One `CommitBatch` is one SQLite
 * transaction: the block, its validity codes, its transaction index rows, its state writes,
 * its contract events and the new head, so a crash at any moment leaves the ledger at the last
 * whole block, and a block is never durable without its events (the feed, feed/blockFeed.ts).
 */
import type Database from 'better-sqlite3';
import { MERKLE_RUN, UNAUTHENTICATED_CODES, codesRunHeadsOf, txRunHeadsOf } from '@medledger/core';

/**
 * SQL condition on `txs.code`: the row's transaction has committed for good (core
 * commitRule.ts). The codes are fixed identifiers of core, not input.
 */
export const COMMITTED_CODE_SQL = `code NOT IN (${UNAUTHENTICATED_CODES.map((c) => `'${c}'`).join(', ')})`;

/**
 * `txs_in_block`: a block's transaction ids and codes in order, read without the block's bytes
 * (a covering index: the id is the table's key, the code is in the index, so the rows of a block
 * are one range of the index; without the code, each row was a lookup of its own, 12 ms for a
 * block of 1000 at a million transactions). `GET /v1/txs/:id` proves a transaction's inclusion
 * and its validity code from them; parsing and re-hashing the whole block (up to 1000
 * transactions, ~1 MB) for each read cost 10-30 ms at a million transactions (issue 14 §2:
 * p99 ≤ 5 ms). The index is created on open for a ledger made before it (seconds at a million
 * transactions).
 */
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blocks (height INTEGER PRIMARY KEY, hash TEXT NOT NULL, data BLOB NOT NULL, result BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS txs (id TEXT PRIMARY KEY, height INTEGER NOT NULL, idx INTEGER NOT NULL, code TEXT NOT NULL, msg TEXT) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS txs_in_block ON txs (height, idx, code);
CREATE TABLE IF NOT EXISTS state (k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (height INTEGER PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS block_index (height INTEGER PRIMARY KEY, run INTEGER NOT NULL, tx_heads BLOB NOT NULL, code_heads BLOB NOT NULL, tx_offsets BLOB NOT NULL);
`;

/**
 * `block_index`: per block, what serving one of its transactions with proofs needs, so that
 * `GET /v1/txs/:id` reads a few kB whatever the block's size (issue 14 §2: p99 ≤ 5 ms at a
 * million transactions; hashing every leaf of a 1000-transaction block for two proofs and
 * the checkpoint's codes root, and parsing the block to cut one transaction out, cost
 * 6-9 ms a read):
 *   - `tx_heads`, `code_heads`: the Merkle heads of each aligned run of `run` leaves of the
 *     block's transaction-id tree and codes tree (core `txRunHeadsOf`, `codesRunHeadsOf`),
 *     32 bytes each, concatenated. A proof hashes one run and the heads (crypto merkle.ts).
 *   - `tx_offsets`: where each transaction's canonical text starts in the stored block bytes,
 *     and where one more would start (core `blockCanonicalTextWithOffsets`), as uint32
 *     little-endian byte offsets (n + 1 of them).
 * Written in the block's own commit. A block stored before the table existed gets its row when
 * the node next opens (`BlockIndex.backfill`, blockIndex.ts); without one, it is served the slower
 * way (its ids from txs_in_block, its bytes parsed). `medledger verify` re-derives every row
 * from its block. This constant is the size of one stored head.
 */
export const BLOCK_INDEX_HEAD_BYTES = 32;

/**
 * Pragmas of a connection that writes. journal_mode and page_size are properties of the file
 * (page_size takes effect for a new database only); synchronous and cache_size hold per
 * connection, so every writing connection sets them.
 */
export function configureWriter(db: Database.Database): void {
  // Transaction ids are hashes, so every block inserts at random places in the index B-tree:
  // larger pages mean fewer pages touched (and fewer levels) per block. 16 KiB was chosen by
  // comparing `medledger bench ledger` runs with 4 KiB and 16 KiB pages.
  db.pragma('page_size = 16384');
  db.pragma('cache_size = -65536');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
}

/** Everything one block commit writes, as plain strings (it crosses to the writer thread). */
export interface CommitBatch {
  height: number;
  hash: string;
  /** Canonical JSON of the block. */
  data: string;
  /** Canonical JSON of its stored result (codes, messages, state digest). */
  result: string;
  /**
   * Where each transaction's text starts in `data` (UTF-16 offsets), and where one more would
   * start (core `blockCanonicalTextWithOffsets`).
   */
  txStarts: number[];
  txIds: string[];
  codes: string[];
  msgs: (string | null)[];
  /** State writes: key, canonical JSON value (null deletes). */
  keys: string[];
  values: (string | null)[];
  /** JSON of the block's contract events (store/events.ts); null when it has none (no row). */
  events: string | null;
  /** JSON of the new head. */
  head: string;
}

export const PUT_STATE = 'INSERT INTO state (k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v';
export const DEL_STATE = 'DELETE FROM state WHERE k = ?';
export const PUT_META = 'INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v';

/** Prepares the statements once; the returned function writes one batch atomically. */
export function blockCommitter(db: Database.Database): (b: CommitBatch) => void {
  const putBlock = db.prepare('INSERT INTO blocks (height, hash, data, result) VALUES (?, ?, ?, ?)');
  // The row of a transaction is its committing copy (core commitRule.ts): a later copy
  // replaces a row only while that row is of a copy refused before its signatures passed.
  const putTx = db.prepare(
    `INSERT INTO txs (id, height, idx, code, msg) VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET height = excluded.height, idx = excluded.idx, code = excluded.code, msg = excluded.msg WHERE NOT (txs.${COMMITTED_CODE_SQL})`,
  );
  const putState = db.prepare(PUT_STATE);
  const delState = db.prepare(DEL_STATE);
  const putMeta = db.prepare(PUT_META);
  // One row per block, and only for a block with events: the blocks of most transaction types
  // (anchors, enrolments) add no statement, and an eventful block adds one, not one per event.
  const putEvents = db.prepare('INSERT INTO events (height, data) VALUES (?, ?)');
  const putIndex = db.prepare(
    'INSERT INTO block_index (height, run, tx_heads, code_heads, tx_offsets) VALUES (?, ?, ?, ?, ?)',
  );
  return db.transaction((b: CommitBatch) => {
    const data = Buffer.from(b.data);
    putBlock.run(b.height, b.hash, data, Buffer.from(b.result));
    const ix = blockIndexOf(b.data, data.length, b.txStarts, b.txIds, b.codes);
    putIndex.run(b.height, ix.run, ix.txHeads, ix.codeHeads, ix.txOffsets);
    for (let i = 0; i < b.txIds.length; i++) putTx.run(b.txIds[i], b.height, i, b.codes[i], b.msgs[i]);
    for (let i = 0; i < b.keys.length; i++) {
      const v = b.values[i];
      if (v === null || v === undefined) delState.run(b.keys[i]);
      else putState.run(b.keys[i], v);
    }
    if (b.events !== null) putEvents.run(b.height, b.events);
    putMeta.run('head', b.head);
  });
}

/** A `block_index` row, as stored. */
export interface BlockIndexRow {
  run: number;
  txHeads: Buffer;
  codeHeads: Buffer;
  txOffsets: Buffer;
}

/**
 * The `block_index` row of a block: from its canonical text (`data`, `byteLength` bytes of
 * UTF-8), where its transactions start in it, and its transactions' ids and codes in order.
 */
export function blockIndexOf(
  data: string,
  byteLength: number,
  txStarts: readonly number[],
  txIds: readonly string[],
  codes: readonly string[],
): BlockIndexRow {
  return {
    run: MERKLE_RUN,
    txHeads: headsBlob(txRunHeadsOf(txIds)),
    codeHeads: headsBlob(codesRunHeadsOf(txIds, codes)),
    txOffsets: byteOffsetsBlob(data, byteLength, txStarts),
  };
}

/** Hex run heads as one blob of 32-byte hashes. */
function headsBlob(heads: readonly string[]): Buffer {
  return Buffer.from(heads.join(''), 'hex');
}

/** The hex run heads of a `block_index` blob. */
export function headsOfBlob(blob: Buffer): string[] {
  const hex = blob.toString('hex');
  const out = new Array<string>(blob.length / BLOCK_INDEX_HEAD_BYTES);
  for (let i = 0; i < out.length; i++) out[i] = hex.slice(i * 64, i * 64 + 64);
  return out;
}

/**
 * UTF-16 offsets into `text` as uint32 little-endian byte offsets into its UTF-8. Canonical
 * block text is nearly always ASCII (then both are the same); otherwise each span is measured.
 */
function byteOffsetsBlob(text: string, byteLength: number, starts: readonly number[]): Buffer {
  const out = Buffer.alloc(starts.length * 4);
  if (byteLength === text.length) {
    for (let i = 0; i < starts.length; i++) out.writeUInt32LE(starts[i]!, i * 4);
    return out;
  }
  let bytes = starts.length > 0 ? Buffer.byteLength(text.slice(0, starts[0])) : 0;
  for (let i = 0; i < starts.length; i++) {
    if (i > 0) bytes += Buffer.byteLength(text.slice(starts[i - 1], starts[i]));
    out.writeUInt32LE(bytes, i * 4);
  }
  return out;
}
