/**
 * In-memory EHR store, for unit tests of the layers above. It encrypts exactly like the
 * durable stores (encryption.ts), so tests above see the same errors and costs; it keeps
 * nothing across restarts unless the caller passes the same `backing` map again.
 */
import { randomBytes } from '@medledger/crypto';
import { openRecord, sealRecord, assertMasterKey } from './encryption.js';
import type { SealedRecord } from './encryption.js';
import { EhrError, assertEhrId, assertEhrKind, assertEhrRecord } from './types.js';
import type { EhrRecord, EhrRecordMeta, EhrStore, EhrStoreOptions } from './types.js';

/** One stored row: a sealed record, or the tombstone of an erased one. */
export type MemoryEhrRow = { sealed: SealedRecord } | { erasedAt: number };

/** Options of {@link createMemoryEhrStore}. */
export interface MemoryEhrStoreOptions extends EhrStoreOptions {
  /** The rows; pass the same map to a second store to "reopen" it (tests do). */
  backing?: Map<string, MemoryEhrRow>;
}

/**
 * Creates an in-memory {@link EhrStore}.
 * @throws EhrError `BAD_INPUT` if `masterKey` is not 32 bytes.
 * @example
 * const store = createMemoryEhrStore({ masterKey: randomBytes(32) });
 * await store.put({ recordId: 'r1', patientRef: 'p-7f3a', resourceType: 'Observation',
 *   category: 'lab', body: utf8('{"resourceType":"Observation"}'), createdAt: 1700000000000 });
 */
export function createMemoryEhrStore(opts: MemoryEhrStoreOptions): EhrStore {
  assertMasterKey(opts.masterKey);
  const key = Uint8Array.from(opts.masterKey);
  const random = opts.random ?? randomBytes;
  const now = opts.now ?? Date.now;
  const rows = opts.backing ?? new Map<string, MemoryEhrRow>();
  let closed = false;
  const live = (): void => {
    if (closed) throw new Error('EHR store is closed');
  };

  return {
    async put(r: EhrRecord): Promise<void> {
      live();
      assertEhrRecord(r);
      const row = rows.get(r.recordId);
      if (row && 'erasedAt' in row) throw new EhrError('ERASED', 'recordId was erased and cannot be reused');
      if (row) throw new EhrError('DUPLICATE_RECORD', 'recordId is already stored');
      rows.set(r.recordId, { sealed: sealRecord(key, r, random) });
    },
    async get(recordId: string): Promise<EhrRecord | undefined> {
      live();
      assertEhrId(recordId, 'recordId');
      const row = rows.get(recordId);
      return row && 'sealed' in row ? openRecord(key, row.sealed) : undefined;
    },
    async listByPatient(patientRef: string): Promise<EhrRecordMeta[]> {
      live();
      assertEhrId(patientRef, 'patientRef');
      const out: EhrRecordMeta[] = [];
      for (const row of rows.values()) {
        if (!('sealed' in row) || row.sealed.patientRef !== patientRef) continue;
        const { recordId, resourceType, category, createdAt } = row.sealed;
        out.push({ recordId, patientRef, resourceType, category, createdAt });
      }
      return out.sort((a, b) => a.createdAt - b.createdAt || (a.recordId < b.recordId ? -1 : 1));
    },
    async listByType(resourceType: string, category?: string): Promise<EhrRecordMeta[]> {
      live();
      assertEhrKind(resourceType, category);
      const out: EhrRecordMeta[] = [];
      for (const row of rows.values()) {
        if (!('sealed' in row) || row.sealed.resourceType !== resourceType) continue;
        if (category !== undefined && row.sealed.category !== category) continue;
        const { recordId, patientRef, createdAt } = row.sealed;
        out.push({ recordId, patientRef, resourceType, category: row.sealed.category, createdAt });
      }
      return out.sort((a, b) => a.createdAt - b.createdAt || (a.recordId < b.recordId ? -1 : 1));
    },
    async erase(recordId: string): Promise<{ erased: boolean }> {
      live();
      assertEhrId(recordId, 'recordId');
      const row = rows.get(recordId);
      if (!row) throw new EhrError('NOT_FOUND', 'recordId is not stored');
      if ('erasedAt' in row) return { erased: false };
      row.sealed.wrappedKey.fill(0);
      row.sealed.ciphertext.fill(0);
      rows.set(recordId, { erasedAt: now() });
      return { erased: true };
    },
    async isErased(recordId: string): Promise<boolean> {
      live();
      assertEhrId(recordId, 'recordId');
      const row = rows.get(recordId);
      return row !== undefined && 'erasedAt' in row;
    },
    async close(): Promise<void> {
      closed = true;
      key.fill(0);
    },
  };
}
