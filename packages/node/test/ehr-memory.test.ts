/** Runs the EhrStore conformance suite on the in-memory backend. */
import { createMemoryEhrStore } from '../src/ehr/memory.js';
import type { MemoryEhrRow } from '../src/ehr/memory.js';
import type { EhrStore } from '../src/ehr/types.js';
import { ehrStoreConformance } from './ehr-conformance.js';
import type { EhrHarness, RawEhrRow } from './ehr-conformance.js';

const enc = new TextEncoder();

ehrStoreConformance('memory', async (): Promise<EhrHarness> => {
  const backing = new Map<string, MemoryEhrRow>();
  const opened: EhrStore[] = [];
  const raw = (id: string): RawEhrRow | undefined => {
    const row = backing.get(id);
    if (!row) return undefined;
    if ('erasedAt' in row) return { patientRef: null, category: null, wrappedKey: null, ciphertext: null };
    const { patientRef, category, wrappedKey, ciphertext } = row.sealed;
    return {
      patientRef,
      category,
      wrappedKey: Uint8Array.from(wrappedKey),
      ciphertext: Uint8Array.from(ciphertext),
    };
  };
  return {
    async open(masterKey) {
      const s = createMemoryEhrStore({ masterKey, backing });
      opened.push(s);
      return s;
    },
    async rawGet(id) {
      return raw(id);
    },
    async rawSet(id, cols) {
      const row = backing.get(id);
      if (!row || !('sealed' in row)) throw new Error('no live row');
      row.sealed = { ...row.sealed, ...cols } as typeof row.sealed;
    },
    async rawCount() {
      return backing.size;
    },
    async dump() {
      const parts: Uint8Array[] = [];
      for (const [id, row] of backing) {
        parts.push(enc.encode(id));
        if ('sealed' in row) {
          const { wrappedKey, ciphertext, ...meta } = row.sealed;
          parts.push(enc.encode(JSON.stringify(meta)), wrappedKey, ciphertext);
        } else parts.push(enc.encode(String(row.erasedAt)));
      }
      return Buffer.concat(parts);
    },
    async dispose() {
      for (const s of opened) await s.close();
    },
  };
});
