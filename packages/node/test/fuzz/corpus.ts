/**
 * Seed payloads of the transaction fuzzer: for every contract type, up to three payloads that
 * committed OK in the repository's own tests (`corpus.json`; the smallest, a middle and the
 * largest one under 8 KB of each type). The fuzzer signs them again as its own members and
 * mutates them; `fuzz.slow.test.ts` fails if a registered type has no seed here or a seed no
 * longer parses, so a contract added or reshaped gets its seeds refreshed.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { JsonValue } from '@medledger/crypto';

/** Who signed the seed: a member, an organization's root (`org:`) or a node key (`node:`). */
export type SeedSigner = 'member' | 'org' | 'node';

export interface Seed {
  signer: SeedSigner;
  payload: { [k: string]: JsonValue };
}

/** Seeds by transaction type. */
export function loadCorpus(): Record<string, Seed[]> {
  // Compiled to dist/test/fuzz/corpus.js; the JSON stays in the source tree.
  const file = fileURLToPath(new URL('../../../test/fuzz/corpus.json', import.meta.url));
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, Seed[]>;
}
