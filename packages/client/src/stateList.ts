/**
 * Reads an append-only list of the world state (`core/src/stateList.ts`: the list key holds
 * `{ n }`, item i is under `<key>#<i>`) through any state getter, e.g. `RecordsClient.state`
 * or a `LedgerSource`. A list an older ledger kept as one array is returned as it is.
 */

/**
 * The items of the list under `key`, oldest first, or undefined when the key is absent.
 * Fetches the items in parallel (n + 1 state reads; each is logged like any state read).
 * @example const path = await readStateList<Transmission>((k) => client.state(k), `stt:${recordId}`);
 */
export async function readStateList<T>(
  get: (key: string) => Promise<unknown>,
  key: string,
): Promise<T[] | undefined> {
  const head = await get(key);
  if (head === undefined || head === null) return undefined;
  if (Array.isArray(head)) return head as T[];
  const n = (head as { n?: unknown }).n;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)
    throw new TypeError(`${key} is not a list (expected { n })`);
  return Promise.all(Array.from({ length: n }, async (_, i) => (await get(`${key}#${i}`)) as T));
}
