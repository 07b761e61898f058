/**
 * BFV (Brakerski 2012; Fan & Vercauteren, ePrint 2012/144) encrypted vector sums via
 * node-seal 6.0.3 (Microsoft SEAL in WASM; 7.x does not load on Node 20). Kept as the
 * measured alternative to Paillier (he.ts explains the choice) and for long vectors:
 * n = 4096 slots per ciphertext, 109-bit coefficient modulus (SEAL's 128-bit default),
 * batching plain modulus t of 40 bits.
 *
 * Overflow bounds: elements are integers in [0, 2^32 − 1]; t = 1,099,511,480,321 (just below
 * 2^40), so a sum of at most BFV_MAX_TERMS = 255 vectors stays below 255 × 2^32 < t and never
 * wraps; the term count travels with the ciphertext and `add` refuses to exceed it.
 *
 * Threat model: IND-CPA under RLWE for the aggregator; ciphertexts are ~88 KB. SEAL objects
 * live in the WASM heap and are deleted in `finally`; call `dispose()` on the context.
 * Randomness is SEAL's own and cannot be injected.
 */
import sealModule from 'node-seal';
import { assertInt } from './assert.js';

// node-seal is a UMD bundle whose module.exports IS the loader; its typings describe an ES
// default export, which NodeNext maps to `.default`. Same function, two views.
const loadSeal = sealModule as unknown as typeof sealModule.default;
type SEALLibrary = Awaited<ReturnType<typeof loadSeal>>;
type CipherText = ReturnType<SEALLibrary['CipherText']>;

export const BFV_SLOTS = 4096;
export const BFV_MAX_VALUE = 2n ** 32n - 1n;
export const BFV_MAX_TERMS = 255;

/** A BFV ciphertext with its public term count. Call `delete()` when done. */
export interface BfvCiphertext {
  readonly ct: CipherText;
  readonly count: number;
  readonly length: number;
}

/** A BFV key set and the operations on it. */
export interface Bfv {
  encryptVector(values: readonly bigint[]): BfvCiphertext;
  add(a: BfvCiphertext, b: BfvCiphertext): BfvCiphertext;
  decryptVector(c: BfvCiphertext): bigint[];
  toBytes(c: BfvCiphertext): Uint8Array;
  /** Frees every SEAL object of this context. */
  dispose(): void;
}

let sealPromise: Promise<SEALLibrary> | undefined;

/** Loads SEAL (once) and creates a fresh key set. */
export async function createBfv(): Promise<Bfv> {
  const seal = await (sealPromise ??= loadSeal());
  const parms = seal.EncryptionParameters(seal.SchemeType.bfv);
  parms.setPolyModulusDegree(BFV_SLOTS);
  parms.setCoeffModulus(seal.CoeffModulus.BFVDefault(BFV_SLOTS));
  parms.setPlainModulus(seal.PlainModulus.Batching(BFV_SLOTS, 40));
  const ctx = seal.Context(parms, true, seal.SecurityLevel.tc128);
  const kg = seal.KeyGenerator(ctx);
  const pk = kg.createPublicKey();
  const enc = seal.Encryptor(ctx, pk);
  const dec = seal.Decryptor(ctx, kg.secretKey());
  const ev = seal.Evaluator(ctx);
  const be = seal.BatchEncoder(ctx);
  const owned = [parms, ctx, kg, pk, enc, dec, ev, be];
  return {
    encryptVector(values) {
      assertInt(values.length, 'vector length', 1, BFV_SLOTS);
      const v = new BigUint64Array(BFV_SLOTS);
      values.forEach((x, i) => {
        if (x < 0n || x > BFV_MAX_VALUE) throw new RangeError('BFV element must be in [0, 2^32 - 1]');
        v[i] = x;
      });
      const pt = be.encode(v);
      if (!pt) throw new Error('BFV encode failed');
      try {
        return { ct: enc.encrypt(pt)!, count: 1, length: values.length };
      } finally {
        pt.delete();
      }
    },
    add(a, b) {
      if (a.length !== b.length) throw new RangeError('vector lengths differ');
      if (a.count + b.count > BFV_MAX_TERMS) throw new RangeError('too many terms: a slot could overflow');
      return { ct: ev.add(a.ct, b.ct)!, count: a.count + b.count, length: a.length };
    },
    decryptVector(c) {
      const pt = dec.decrypt(c.ct)!;
      try {
        return [...be.decodeBigInt(pt, false).subarray(0, c.length)].map((x) => BigInt(x));
      } finally {
        pt.delete();
      }
    },
    toBytes(c) {
      return c.ct.saveArray(seal.ComprModeType.zstd);
    },
    dispose() {
      for (const o of owned.reverse()) o.delete();
    },
  };
}
