/** The default random source: the operating system's CSPRNG through node:crypto. */
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { assertInt } from './assert.js';
import type { RandomSource } from './bytes.js';

/** `n` bytes from the OS CSPRNG. Functions that need randomness take a `RandomSource` instead. */
export const randomBytes: RandomSource = (n: number): Uint8Array => {
  assertInt(n, 'n', 0, 1 << 20);
  return new Uint8Array(nodeRandomBytes(n));
};
