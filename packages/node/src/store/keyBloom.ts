/**
 * A Bloom filter over the keys of the world state, in front of SQLite: most reads of a key
 * that does not exist (a new record id, say) are answered without touching the database.
 * Exact, because a "maybe" still goes to SQLite. Double hashing (Kirsch–Mitzenmacher 2006)
 * of two 32-bit string hashes (FNV-1a and djb2) gives k = 7 positions.
 */
const K = 7;

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function djb2(s: string): number {
  let h = 5381;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 33) + s.charCodeAt(i)) | 0;
  return (h >>> 0) | 1;
}

export class KeyBloom {
  readonly #bits: Uint32Array;
  readonly #m: number;
  readonly #capacity: number;
  #count = 0;

  constructor(capacity = 1 << 20) {
    this.#capacity = capacity;
    this.#m = capacity * 10;
    this.#bits = new Uint32Array(Math.ceil(this.#m / 32));
  }

  get full(): boolean {
    return this.#count > this.#capacity;
  }

  add(key: string): void {
    const a = fnv1a(key);
    const b = djb2(key);
    for (let i = 0; i < K; i++) {
      const p = (a + Math.imul(i, b)) >>> 0;
      const bit = p % this.#m;
      this.#bits[bit >>> 5]! |= 1 << (bit & 31);
    }
    this.#count++;
  }

  mightContain(key: string): boolean {
    const a = fnv1a(key);
    const b = djb2(key);
    for (let i = 0; i < K; i++) {
      const p = (a + Math.imul(i, b)) >>> 0;
      const bit = p % this.#m;
      if ((this.#bits[bit >>> 5]! & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}
