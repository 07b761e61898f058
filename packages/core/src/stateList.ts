/**
 * An append-only list in the world state whose append costs the same at any length: the list
 * key holds its length (`{ n }`) and each item has a key of its own (`<key>#<i>`, 0-based).
 * Appending writes two small values; reading the whole list reads n + 1 keys. A list kept as
 * one JSON array under one key is rewritten whole on each append, so a patient's lifetime of
 * appends would cost O(n²) in hashing and storage (issue 14, "Queries at a million").
 *
 * A list an older version kept as one JSON array under the key is read as that array, and
 * moved to this layout by its first append (once, O(n)).
 *
 * The item keys end in `#<i>` after the list key, so a key's owner (the last `:` segment,
 * e.g. the patient of `grants:<patient>`) is still found by stripping the suffix
 * ({@link listKeyOf}).
 */
import type { JsonValue } from '@medledger/crypto';
import type { StateOverlay, StateReader } from './state.js';

/** The key of item `i` of the list under `key`. */
export const listItemKey = (key: string, i: number): string => `${key}#${i}`;

/** The list key an item key belongs to, or the key itself. */
export function listKeyOf(key: string): string {
  const m = /^(.*)#\d+$/.exec(key);
  return m ? m[1]! : key;
}

/** The number of items in the list under `key` (0 when there is none). */
export function listLength(state: StateReader, key: string): number {
  const v = state.get(key) as { n?: unknown } | undefined;
  return typeof v?.n === 'number' ? v.n : 0;
}

/** Appends `item` to the list under `key`: two writes, whatever the list's length. */
export function appendToList(state: StateOverlay, key: string, item: JsonValue): void {
  const legacy = state.get(key);
  if (Array.isArray(legacy)) legacy.forEach((x, i) => state.put(listItemKey(key, i), x));
  const n = Array.isArray(legacy) ? legacy.length : listLength(state, key);
  state.put(listItemKey(key, n), item);
  state.put(key, { n: n + 1 });
}

/** Every item of the list under `key`, in order. */
export function listItems<T extends JsonValue>(state: StateReader, key: string): T[] {
  const legacy = state.get(key);
  if (Array.isArray(legacy)) return legacy as T[];
  const n = listLength(state, key);
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(state.get(listItemKey(key, i)) as T);
  return out;
}
