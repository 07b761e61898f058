/**
 * World state: a key-value map of canonical JSON values. The core reads it through a
 * synchronous `StateReader` (the node backs it with SQLite) and never writes to it directly:
 * a block's effects collect in a `StateOverlay` and the node persists them with the block.
 *
 * The state digest chains every block's writes and validity codes:
 *   digest_h = H_state(digest_{h-1} || H_writes(canonical {writes, codes}))
 * It is cheap to update and lets any two nodes compare their whole history with one hash.
 */
import {
  HashTag,
  canonicalize,
  fromHex,
  hashTagged,
  hashTaggedText,
  toHex,
  type JsonValue,
} from '@medledger/crypto';

export interface StateReader {
  get(key: string): JsonValue | undefined;
  /**
   * True if a transaction with this id has committed: with any code its signatures passed
   * (commitRule.ts `countsAsCommitted`). Backed by the node's
   * transaction index rather than state keys: the validity codes in the state digest and the
   * block contents already commit to it.
   */
  hasCommittedTx(txId: string): boolean;
}

/** A write: a value, or null for a deletion. */
export type StateWrite = readonly [key: string, value: JsonValue | null];

/**
 * Buffered writes over a reader; nested overlays give per-transaction rollback. Every
 * transaction of a block gets a child overlay, so its map and set are made on first use: most
 * transactions write a key or two and mark nothing committed in the child.
 */
export class StateOverlay implements StateReader {
  readonly #base: StateReader;
  #writes: Map<string, JsonValue | null> | undefined;
  #committed: Set<string> | undefined;

  constructor(base: StateReader) {
    this.#base = base;
  }

  hasCommittedTx(txId: string): boolean {
    return this.#committed?.has(txId) === true || this.#base.hasCommittedTx(txId);
  }

  /** Records that a transaction committed (whatever its code) in this overlay. */
  markCommitted(txId: string): void {
    (this.#committed ??= new Set()).add(txId);
  }

  get(key: string): JsonValue | undefined {
    const w = this.#writes;
    if (w !== undefined && w.has(key)) return w.get(key) ?? undefined;
    return this.#base.get(key);
  }

  /** Stores a value. Callers must not mutate `value` afterwards. */
  put(key: string, value: JsonValue): void {
    (this.#writes ??= new Map()).set(key, value);
  }

  delete(key: string): void {
    (this.#writes ??= new Map()).set(key, null);
  }

  /** An overlay on top of this one, for a transaction that may be rolled back. */
  child(): StateOverlay {
    return new StateOverlay(this);
  }

  /** Moves this overlay's writes into `parent` (the overlay it was made from). */
  mergeInto(parent: StateOverlay): void {
    if (this.#writes !== undefined) {
      const into = (parent.#writes ??= new Map());
      for (const [k, v] of this.#writes) into.set(k, v);
    }
    if (this.#committed !== undefined) {
      const into = (parent.#committed ??= new Set());
      for (const id of this.#committed) into.add(id);
    }
  }

  /** The writes, sorted by key. */
  writes(): StateWrite[] {
    if (this.#writes === undefined) return [];
    return [...this.#writes.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }
}

/** A reader over a plain map and a set of committed transaction ids (genesis, replay, tests). */
export function mapStateReader(
  m: ReadonlyMap<string, JsonValue>,
  committed: ReadonlySet<string> = new Set(),
): StateReader {
  return { get: (k) => m.get(k), hasCommittedTx: (id) => committed.has(id) };
}

/** Next state digest from the previous one, a block's sorted writes and its validity codes. */
export function nextStateDigest(
  prev: string,
  writes: readonly StateWrite[],
  codes: readonly string[],
): string {
  return digestBlockWrites(prev, writes, codes).stateDigest;
}

/**
 * {@link nextStateDigest}, also returning the canonical JSON text of each written value (null
 * for a deletion), so that whoever persists the writes stores exactly the hashed bytes and
 * serializes each value once.
 */
export function digestBlockWrites(
  prev: string,
  writes: readonly StateWrite[],
  codes: readonly string[],
): { stateDigest: string; texts: (string | null)[] } {
  const texts = writes.map(([, v]) => (v === null ? null : canonicalize(v)));
  // The canonical text of { codes, writes: [[key, value], ...] } ("codes" < "writes").
  const text = `{"codes":${canonicalize([...codes])},"writes":[${writes.map(([k], i) => `[${canonicalize(k)},${texts[i] ?? 'null'}]`).join(',')}]}`;
  const body = hashTaggedText(HashTag.stateWrites, text);
  return { stateDigest: toHex(hashTagged(HashTag.stateDigest, fromHex(prev), body)), texts };
}
