/**
 * A Bloom filter over committed transaction ids, in front of the SQLite transaction index.
 * Almost every duplicate check is for a new transaction, and the filter answers "certainly
 * not committed" without touching SQLite; a possible hit falls through to the exact SQLite
 * lookup, so answers stay exact. Ids are SHA-256 outputs, so their own bits serve as the
 * filter's hash functions (double hashing of two 32-bit words, k = 7).
 */
const K = 7;

export class TxIdBloom {
  #bits: Uint32Array;
  #mBits: number;
  #count = 0;
  readonly #capacity: number;

  /** @param capacity ids before the false-positive rate passes ~1% (10 bits per id). */
  constructor(capacity = 1 << 20) {
    this.#capacity = capacity;
    this.#mBits = capacity * 10;
    this.#bits = new Uint32Array(Math.ceil(this.#mBits / 32));
  }

  get count(): number {
    return this.#count;
  }

  /** True when it holds more ids than it was sized for (the owner then rebuilds it larger). */
  get full(): boolean {
    return this.#count > this.#capacity;
  }

  // Double hashing (Kirsch–Mitzenmacher 2006) from two 32-bit words of the id, which is a
  // SHA-256 output: two parses instead of seven. Written out in both methods (no callback):
  // both run several times per transaction.
  add(hexId: string): void {
    const a = parseInt(hexId.slice(0, 8), 16);
    const b = parseInt(hexId.slice(8, 16), 16) | 1;
    for (let i = 0; i < K; i++) {
      const bit = ((a + Math.imul(i, b)) >>> 0) % this.#mBits;
      this.#bits[bit >>> 5]! |= 1 << (bit & 31);
    }
    this.#count++;
  }

  mightContain(hexId: string): boolean {
    const a = parseInt(hexId.slice(0, 8), 16);
    const b = parseInt(hexId.slice(8, 16), 16) | 1;
    for (let i = 0; i < K; i++) {
      const bit = ((a + Math.imul(i, b)) >>> 0) % this.#mBits;
      if ((this.#bits[bit >>> 5]! & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}
