/**
 * The block index (table `block_index`, commitSql.ts): how a stored block's transaction is
 * served with its inclusion proof and validity-code proof, and a checkpoint's codes root read,
 * without parsing or hashing the whole block. Each block's commit writes its row; a block
 * without one (a ledger from before the table, or a damaged block) is served the slower way
 * from the transaction index and the block's bytes.
 */
import type Database from 'better-sqlite3';
import {
  MERKLE_RUN,
  blockCanonicalTextWithOffsets,
  codeProofOfRun,
  codeProofOfText,
  codesRootOf,
  codesRootOfRunHeads,
  txIdOf,
  txInclusionProofOfIds,
  txInclusionProofOfRun,
  type Block,
  type BlockHeader,
  type CodeProof,
  type SignedTx,
  type TxInclusionProof,
} from '@medledger/core';
import { blockIndexOf, headsOfBlob, type BlockIndexRow } from './commitSql.js';

/** What the block index reads of the ledger store (LedgerStore) beyond its own table. */
export interface StoreReads {
  readonly db: Database.Database;
  blockRow(height: number): { hash: string; data: Buffer; result: Buffer } | undefined;
  blockTxIds(height: number): { ids: string[]; codes: string[] };
  txOfBlock(
    height: number,
    index: number,
  ): { tx: SignedTx; header: BlockHeader; proposerSig: string } | undefined;
}

export class BlockIndex {
  readonly #store: StoreReads;
  readonly #db: Database.Database;
  /** Undefined for a ledger opened read-only before the table existed. */
  readonly #q: ReturnType<typeof queriesOf> | undefined;
  readonly #summary;

  constructor(store: StoreReads) {
    this.#store = store;
    this.#db = store.db;
    const has =
      this.#db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'block_index'").get() !==
      undefined;
    this.#q = has ? queriesOf(this.#db) : undefined;
    this.#summary = this.#db.prepare<[number], { hash: string; stateDigest: string }>(
      "SELECT hash, json_extract(CAST(result AS TEXT), '$.stateDigest') AS stateDigest FROM blocks WHERE height = ?",
    );
  }

  /**
   * Transaction `index` of a stored block with the block's header, proposer signature and the
   * proof of its inclusion. From the block's `block_index` row (commitSql.ts) when it has one:
   * the transaction's bytes cut out by offset, and the proof from its run of ids and the stored
   * run heads; otherwise from the block parsed and all its ids hashed.
   */
  txWithProof(
    height: number,
    index: number,
  ): { tx: SignedTx; header: BlockHeader; proposerSig: string; proof: TxInclusionProof } | undefined {
    if (!Number.isSafeInteger(index) || index < 0) return undefined;
    const q = this.#q;
    const ix = q?.indexTx.get(height);
    if (!ix || ix.run !== MERKLE_RUN) {
      const t = this.#store.txOfBlock(height, index);
      return t && { ...t, proof: txInclusionProofOfIds(height, this.#store.blockTxIds(height).ids, index) };
    }
    const n = ix.tx_offsets.length / 4 - 1;
    if (index >= n) return undefined;
    const start = ix.tx_offsets.readUInt32LE(index * 4);
    const end = ix.tx_offsets.readUInt32LE(index * 4 + 4); // one past the comma or `]`
    const headEnd = ix.tx_offsets.readUInt32LE(0);
    const r = q!.txBytes.get(headEnd, start + 1, end - 1 - start, height);
    if (!r) return undefined;
    // The block's text up to its first transaction is `{"header":…,"proposerSig":…,"txs":[`.
    const top = JSON.parse(r.head.toString('utf8') + ']}') as { header: BlockHeader; proposerSig: string };
    const runIds =
      this.#runRows(height, index, n)?.ids ?? this.#runOf(this.#store.blockTxIds(height).ids, index);
    return {
      tx: JSON.parse(r.tx.toString('utf8')) as SignedTx,
      header: top.header,
      proposerSig: top.proposerSig,
      proof: txInclusionProofOfRun({ height, treeSize: n, heads: headsOfBlob(ix.tx_heads), runIds, index }),
    };
  }

  /** The proof that transaction `index` of block `height` has its validity code (the codes root). */
  codeProof(height: number, index: number): CodeProof {
    const ix = this.#q?.indexCodes.get(height);
    const rows = ix && ix.run === MERKLE_RUN ? this.#runRows(height, index, ix.n) : undefined;
    if (!ix || !rows) {
      const { ids, codes } = this.#store.blockTxIds(height);
      return codeProofOfText(ids, codes, index);
    }
    return codeProofOfRun({
      treeSize: ix.n,
      heads: headsOfBlob(ix.code_heads),
      runIds: rows.ids,
      runCodes: rows.codes,
      index,
    });
  }

  /**
   * What a checkpoint of a stored block commits to: its hash, the state digest after it and the
   * root of its validity codes (core checkpoint.ts), from the stored run heads when the block
   * has them.
   */
  checkpointInputs(height: number): { hash: string; stateDigest: string; codesRoot: string } | undefined {
    const r = this.#summary.get(height);
    if (!r) return undefined;
    const ix = this.#q?.indexCodes.get(height);
    let codesRoot: string;
    if (ix && ix.run === MERKLE_RUN) codesRoot = codesRootOfRunHeads(headsOfBlob(ix.code_heads));
    else {
      const { ids, codes } = this.#store.blockTxIds(height);
      codesRoot = codesRootOf(ids, codes);
    }
    return { hash: r.hash, stateDigest: r.stateDigest, codesRoot };
  }

  // The ids and codes of the run of MERKLE_RUN that holds `index` in a block of `n`, from the
  // tx index; undefined if a row moved to a later block (see blockTxIds).
  #runRows(height: number, index: number, n: number): { ids: string[]; codes: string[] } | undefined {
    const lo = index - (index % MERKLE_RUN);
    const hi = Math.min(lo + MERKLE_RUN, n);
    const rows = this.#q!.runRows.all(height, lo, hi);
    if (rows.length !== hi - lo) return undefined;
    return { ids: rows.map((x) => x.id), codes: rows.map((x) => x.code) };
  }

  /**
   * Gives every stored block without a `block_index` row (a ledger written before the table
   * existed) its row, derived from the block's bytes and stored codes as its commit would have
   * written it; 64 blocks per SQLite transaction. Runs when the node opens, before the writer
   * thread starts; a ledger whose blocks all have rows pays one query. A damaged block (bytes
   * that do not parse or are not canonical, codes that do not match) gets no row and does not
   * stop the node opening: it is served the slower way, and `verify` reports it. Returns the
   * number of rows written.
   */
  backfill(): number {
    const missing = this.#db
      .prepare<[], number>('SELECT height FROM blocks WHERE height NOT IN (SELECT height FROM block_index)')
      .pluck()
      .all();
    const put = this.#db.prepare(
      'INSERT INTO block_index (height, run, tx_heads, code_heads, tx_offsets) VALUES (?, ?, ?, ?, ?)',
    );
    let n = 0;
    for (let i = 0; i < missing.length; i += 64) {
      this.#db.transaction(() => {
        for (const h of missing.slice(i, i + 64)) {
          const ix = this.#derivedBlockIndex(h);
          if (!ix) continue;
          put.run(h, ix.run, ix.txHeads, ix.codeHeads, ix.txOffsets);
          n++;
        }
      })();
    }
    return n;
  }

  // The block index row of a stored block, from its bytes and stored codes; undefined for a
  // block whose bytes do not parse, are not canonical, or whose codes do not match it (a damaged
  // ledger: the node serves such a block the slower way, and `verify` says what is wrong).
  #derivedBlockIndex(height: number): BlockIndexRow | undefined {
    const row = this.#store.blockRow(height);
    if (!row) return undefined;
    const stored = row.data.toString('utf8');
    try {
      const block = JSON.parse(stored) as Block;
      const { codes } = JSON.parse(row.result.toString('utf8')) as { codes: string[] };
      const { text, txStarts } = blockCanonicalTextWithOffsets(block);
      if (text !== stored || !Array.isArray(codes)) return undefined;
      const ids = block.txs.map((t) => txIdOf(t.body));
      return blockIndexOf(text, row.data.length, txStarts, ids, codes);
    } catch {
      return undefined;
    }
  }

  /** A block's stored `block_index` row, or undefined (none, or a ledger without the table). */
  row(height: number): BlockIndexRow | undefined {
    const r = this.#q?.indexRow.get(height);
    return r && { run: r.run, txHeads: r.tx_heads, codeHeads: r.code_heads, txOffsets: r.tx_offsets };
  }

  #runOf<T>(all: readonly T[], index: number): T[] {
    const lo = index - (index % MERKLE_RUN);
    return all.slice(lo, lo + MERKLE_RUN);
  }
}

/** The statements of the `block_index` table (commitSql.ts), for a ledger that has it. */
function queriesOf(db: Database.Database) {
  return {
    indexRow: db.prepare<[number], { run: number; tx_heads: Buffer; code_heads: Buffer; tx_offsets: Buffer }>(
      'SELECT run, tx_heads, code_heads, tx_offsets FROM block_index WHERE height = ?',
    ),
    indexTx: db.prepare<[number], { run: number; tx_heads: Buffer; tx_offsets: Buffer }>(
      'SELECT run, tx_heads, tx_offsets FROM block_index WHERE height = ?',
    ),
    indexCodes: db.prepare<[number], { run: number; code_heads: Buffer; n: number }>(
      'SELECT run, code_heads, length(tx_offsets) / 4 - 1 AS n FROM block_index WHERE height = ?',
    ),
    runRows: db.prepare<[number, number, number], { id: string; code: string }>(
      'SELECT id, code FROM txs WHERE height = ? AND idx >= ? AND idx < ? ORDER BY idx',
    ),
    // The block's text before its first transaction, and one transaction's text (1-based substr).
    txBytes: db.prepare<[number, number, number, number], { head: Buffer; tx: Buffer }>(
      'SELECT substr(data, 1, ?) AS head, substr(data, ?, ?) AS tx FROM blocks WHERE height = ?',
    ),
  };
}
