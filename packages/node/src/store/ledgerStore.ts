/**
 * The ledger store on SQLite (better-sqlite3, WAL, synchronous=FULL): blocks, the transaction
 * index and the world state. This connection creates the ledger (schema, genesis) and serves
 * every read, with a cache and Bloom filters in front; blocks are written by the writer
 * thread (writer.ts), each with its validity codes, transaction index rows, state writes and
 * new head in ONE SQLite transaction, so a crash at any moment leaves the ledger at the last
 * whole block. The block's contract events are stored in that same transaction (events.ts).
 *
 * Stored block bytes are the canonical JSON of the block; `verify` re-derives everything
 * from them.
 */
import Database from 'better-sqlite3';
import { canonicalize, type JsonValue } from '@medledger/crypto';
import { blockCanonicalTextWithOffsets, countsAsCommitted, txIdOf } from '@medledger/core';
import {
  COMMITTED_CODE_SQL,
  DEL_STATE,
  PUT_META,
  PUT_STATE,
  SCHEMA,
  configureWriter,
  type CommitBatch,
} from './commitSql.js';
import { TxIdBloom } from './txBloom.js';
import { BlockIndex } from './blockIndex.js';
import { KeyBloom } from './keyBloom.js';
import { eventsText, parseEventsText, type CommittedLedgerEvent } from './events.js';
import type { Block, BlockHeader, SignedTx, StateReader, StateWrite, TxOutcome } from '@medledger/core';

export interface Head {
  height: number;
  hash: string;
  /** State digest after this block. */
  stateDigest: string;
  time: number;
}

export interface StoredResult {
  codes: string[];
  messages: (string | null)[];
  stateDigest: string;
}

export interface TxLocation {
  height: number;
  index: number;
  code: string;
  message?: string;
  blockHash: string;
}

export class LedgerStore implements StateReader {
  readonly db: Database.Database;
  readonly #cache = new Map<string, JsonValue | undefined>();
  readonly #q;
  /** Single transactions with their proofs, and checkpoint inputs, without whole blocks. */
  readonly blockIndex: BlockIndex;
  #bloom: TxIdBloom;
  #keys: KeyBloom;

  constructor(path: string, opts: { readonly?: boolean } = {}) {
    this.db = new Database(path, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
    if (!opts.readonly) {
      configureWriter(this.db);
      this.db.exec(SCHEMA);
    }
    const hasEvents =
      this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'").get() !==
      undefined;
    this.#q = {
      getState: this.db.prepare<[string], { v: string }>('SELECT v FROM state WHERE k = ?'),
      putState: opts.readonly ? undefined : this.db.prepare(PUT_STATE),
      delState: opts.readonly ? undefined : this.db.prepare(DEL_STATE),
      getBlock: this.db.prepare<[number], { hash: string; data: Buffer; result: Buffer }>(
        'SELECT hash, data, result FROM blocks WHERE height = ?',
      ),
      getBlockHash: this.db.prepare<[number], string>('SELECT hash FROM blocks WHERE height = ?').pluck(),
      getTx: this.db.prepare<
        [string],
        { height: number; idx: number; code: string; msg: string | null; hash: string }
      >(
        'SELECT t.height, t.idx, t.code, t.msg, b.hash FROM txs t JOIN blocks b ON b.height = t.height WHERE t.id = ?',
      ),
      hasCommittedTx: this.db.prepare<[string], { c: number }>(
        `SELECT 1 AS c FROM txs WHERE id = ? AND ${COMMITTED_CODE_SQL}`,
      ),
      // A ledger opened read-only before the writer created the index scans instead (verify).
      blockTxIds: this.db.prepare<[number], { id: string; code: string }>(
        'SELECT id, code FROM txs WHERE height = ? ORDER BY idx',
      ),
      blockTxCount: this.db
        .prepare<[number], number>(
          "SELECT json_array_length(CAST(result AS TEXT), '$.codes') FROM blocks WHERE height = ?",
        )
        .pluck(),
      // One transaction of a stored block, its header and signature, cut out by SQLite's JSON
      // functions: JavaScript parses a few kB instead of the whole block.
      txOfBlock: this.db.prepare<[string, number], { tx: string; header: string; sig: string }>(
        `SELECT json_extract(t, ?) AS tx, json_extract(t, '$.header') AS header,
           json_extract(t, '$.proposerSig') AS sig FROM (SELECT CAST(data AS TEXT) AS t FROM blocks WHERE height = ?)`,
      ),
      getMeta: this.db.prepare<[string], { v: string }>('SELECT v FROM meta WHERE k = ?'),
      putMeta: opts.readonly ? undefined : this.db.prepare(PUT_META),
      getEvents: hasEvents
        ? this.db.prepare<[number], string>('SELECT data FROM events WHERE height = ?').pluck()
        : undefined,
    };
    // A ledger written before events were stored has none for its first blocks: record where
    // stored events begin (backfillEvents.ts re-derives the others when the node opens).
    if (!opts.readonly && this.getMeta('eventsFrom') === undefined)
      this.#q.putMeta!.run('eventsFrom', String((this.head()?.height ?? 0) + 1));
    this.#bloom = this.#loadBloom();
    this.blockIndex = new BlockIndex(this);
    this.#keys = this.#loadKeyBloom();
  }

  /** State value by key (parsed JSON), with a read cache kept coherent by `committed`. */
  get(key: string): JsonValue | undefined {
    if (this.#cache.has(key)) return this.#cache.get(key);
    if (!this.#keys.mightContain(key)) return undefined;
    const row = this.#q.getState.get(key);
    const v = row ? (JSON.parse(row.v) as JsonValue) : undefined;
    if (this.#cache.size > 200_000) this.#cache.clear();
    // Cache hits only: misses (e.g. new transaction ids) would fill the cache with noise.
    if (v !== undefined) this.#cache.set(key, v);
    return v;
  }

  /** True if the transaction committed, whatever its code (core `countsAsCommitted`). */
  hasCommittedTx(txId: string): boolean {
    return this.#bloom.mightContain(txId) && this.#q.hasCommittedTx.get(txId) !== undefined;
  }

  #loadKeyBloom(): KeyBloom {
    const n = (this.db.prepare('SELECT COUNT(*) AS n FROM state').get() as { n: number } | undefined)?.n ?? 0;
    const bloom = new KeyBloom(Math.max(1 << 20, n * 2));
    for (const k of this.db.prepare<[], string>('SELECT k FROM state').pluck().iterate()) bloom.add(k);
    return bloom;
  }

  #loadBloom(): TxIdBloom {
    const n =
      (
        this.db.prepare(`SELECT COUNT(*) AS n FROM txs WHERE ${COMMITTED_CODE_SQL}`).get() as
          { n: number } | undefined
      )?.n ?? 0;
    const bloom = new TxIdBloom(Math.max(1 << 20, n * 2));
    const ids = this.db.prepare<[], string>(`SELECT id FROM txs WHERE ${COMMITTED_CODE_SQL}`).pluck();
    for (const id of ids.iterate()) bloom.add(id);
    return bloom;
  }

  getMeta(k: string): string | undefined {
    return this.#q.getMeta.get(k)?.v;
  }

  /** The first height whose events are stored (1 once every block's are). */
  eventsFrom(): number {
    const v = this.getMeta('eventsFrom');
    return v === undefined ? Infinity : Number(v);
  }

  /**
   * The stored contract events of a committed block, in transaction order.
   * @throws Error if the block is older than the ledger's stored events (see `eventsFrom`)
   */
  blockEvents(height: number): CommittedLedgerEvent[] {
    if (height < this.eventsFrom() || !this.#q.getEvents)
      throw new Error(`the events of block ${height} are not stored in this ledger`);
    return parseEventsText(this.#q.getEvents.get(height));
  }

  /** The stored text of a block's events (undefined: none), for verification. */
  blockEventsText(height: number): string | undefined {
    return this.#q.getEvents?.get(height);
  }

  /**
   * Stores re-derived events of blocks below `eventsFrom` (backfillEvents.ts) and marks every
   * block's events as stored, in one transaction.
   */
  putBackfilledEvents(rows: readonly { height: number; text: string }[]): void {
    const put = this.db.prepare('INSERT OR REPLACE INTO events (height, data) VALUES (?, ?)');
    this.db.transaction(() => {
      for (const r of rows) put.run(r.height, r.text);
      this.#q.putMeta!.run('eventsFrom', '1');
    })();
  }

  head(): Head | undefined {
    const v = this.getMeta('head');
    return v ? (JSON.parse(v) as Head) : undefined;
  }

  /** Writes genesis: its document and state writes, as height 0. Once only. */
  initGenesis(genesisJson: string, writes: readonly StateWrite[], head: Head): void {
    this.db.transaction(() => {
      if (this.getMeta('genesis') !== undefined) throw new Error('ledger already has a genesis');
      this.#q.putMeta!.run('genesis', genesisJson);
      this.#applyWrites(writes);
      this.#q.putMeta!.run('head', JSON.stringify(head));
    })();
  }

  #applyWrites(writes: readonly StateWrite[]): void {
    for (const [k, v] of writes) {
      if (v === null) this.#q.delState!.run(k);
      else this.#q.putState!.run(k, JSON.stringify(v));
    }
    this.#cacheWrites(writes);
  }

  // Keeps cached entries coherent but does not cache new values: most writes (record entries,
  // anchors, access logs) are never read back by the node, so caching each one only grew the
  // heap the garbage collector traces; values that are read get cached by `get`.
  #cacheWrites(writes: readonly StateWrite[]): void {
    for (const [k, v] of writes) {
      if (v === null) {
        this.#cache.delete(k);
      } else {
        if (this.#cache.has(k)) this.#cache.set(k, v);
        this.#keys.add(k);
      }
    }
  }

  /**
   * What committing a block writes, as a batch for the writer thread (`LedgerWriter`), and
   * the head it leads to. Writes nothing: call {@link committed} once the batch is durable.
   */
  commitBatchOf(
    block: Block,
    hash: string,
    outcomes: readonly TxOutcome[],
    writes: readonly StateWrite[],
    stateDigest: string,
    writeTexts: readonly (string | null)[],
  ): { batch: CommitBatch; head: Head } {
    const h = block.header;
    const head: Head = { height: h.height, hash, stateDigest, time: h.time };
    const result: StoredResult = {
      codes: outcomes.map((o) => o.code),
      messages: outcomes.map((o) => o.message ?? null),
      stateDigest,
    };
    const { text, txStarts } = blockCanonicalTextWithOffsets(block);
    const batch: CommitBatch = {
      height: h.height,
      hash,
      data: text,
      txStarts,
      result: canonicalize(result),
      txIds: outcomes.map((o) => o.txId),
      codes: result.codes,
      msgs: result.messages,
      keys: writes.map((w) => w[0]),
      values: [...writeTexts],
      events: eventsText(h.height, outcomes),
      head: JSON.stringify(head),
    };
    return { batch, head };
  }

  /**
   * Brings this connection's read cache and Bloom filters up to a block that the writer
   * thread has made durable.
   */
  committed(outcomes: readonly TxOutcome[], writes: readonly StateWrite[]): void {
    for (const o of outcomes) if (countsAsCommitted(o.code)) this.#bloom.add(o.txId);
    this.#cacheWrites(writes);
    if (this.#bloom.full) this.#bloom = this.#loadBloom();
    if (this.#keys.full) this.#keys = this.#loadKeyBloom();
  }

  /** Raw stored bytes of a block and its result, or undefined. */
  blockRow(height: number): { hash: string; data: Buffer; result: Buffer } | undefined {
    return this.#q.getBlock.get(height);
  }

  getBlock(height: number): { block: Block; hash: string; result: StoredResult } | undefined {
    const row = this.blockRow(height);
    if (!row) return undefined;
    return {
      block: JSON.parse(row.data.toString('utf8')) as Block,
      hash: row.hash,
      result: JSON.parse(row.result.toString('utf8')) as StoredResult,
    };
  }

  /** The hash of a stored block, or undefined. */
  getBlockHash(height: number): string | undefined {
    return this.#q.getBlockHash.get(height);
  }

  /**
   * The ids and validity codes of a stored block's transactions, in order, from the tx index
   * (txs_in_block), without the block's bytes. A transaction refused as unauthenticated may
   * appear again in a later block, and its index row then moves there: a block whose rows are
   * fewer than its transactions is read from its bytes instead, so the list is always whole.
   */
  blockTxIds(height: number): { ids: string[]; codes: string[] } {
    const rows = this.#q.blockTxIds.all(height);
    const count = this.#q.blockTxCount.get(height);
    if (count === undefined || rows.length === count)
      return { ids: rows.map((r) => r.id), codes: rows.map((r) => r.code) };
    const b = this.getBlock(height)!;
    return { ids: b.block.txs.map((t) => txIdOf(t.body)), codes: b.result.codes };
  }

  /** Transaction `index` of a stored block with the block's header and proposer signature. */
  txOfBlock(
    height: number,
    index: number,
  ): { tx: SignedTx; header: BlockHeader; proposerSig: string } | undefined {
    if (!Number.isSafeInteger(index) || index < 0) return undefined;
    const r = this.#q.txOfBlock.get(`$.txs[${index}]`, height);
    if (!r || r.tx === null) return undefined;
    return {
      tx: JSON.parse(r.tx) as SignedTx,
      header: JSON.parse(r.header) as BlockHeader,
      proposerSig: r.sig,
    };
  }

  getTxLocation(id: string): TxLocation | undefined {
    const r = this.#q.getTx.get(id);
    if (!r) return undefined;
    const loc: TxLocation = { height: r.height, index: r.idx, code: r.code, blockHash: r.hash };
    if (r.msg !== null) loc.message = r.msg;
    return loc;
  }

  /** Every state row, sorted by key (for verification). */
  *stateRows(): IterableIterator<{ k: string; v: string }> {
    yield* this.db.prepare<[], { k: string; v: string }>('SELECT k, v FROM state ORDER BY k').iterate();
  }

  /** Every transaction index row (for verification). */
  *txRows(): IterableIterator<{ id: string; height: number; idx: number; code: string; msg: string | null }> {
    yield* this.db
      .prepare<[], { id: string; height: number; idx: number; code: string; msg: string | null }>(
        'SELECT id, height, idx, code, msg FROM txs',
      )
      .iterate();
  }

  /** Heights present, ascending (for verification). */
  *heights(): IterableIterator<number> {
    for (const r of this.db
      .prepare<[], { height: number }>('SELECT height FROM blocks ORDER BY height')
      .iterate())
      yield r.height;
  }

  close(): void {
    this.db.close();
  }
}
