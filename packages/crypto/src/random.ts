/**
 * The default random source: the operating system's CSPRNG (node:crypto in Node,
 * `crypto.getRandomValues` in a browser build; see `primitives.ts`).
 */
import { assertInt } from './assert.js';
import type { RandomSource } from './bytes.js';
import { osRandomBytes } from './primitives.js';

/** `n` bytes from the OS CSPRNG. Functions that need randomness take a `RandomSource` instead. */
export const randomBytes: RandomSource = (n: number): Uint8Array => {
  assertInt(n, 'n', 0, 1 << 20);
  return osRandomBytes(n);
};
