/**
 * A pool of worker threads that verify P-256 signatures in parallel. On this machine
 * signature verification is what limits throughput, so the node checks every incoming
 * transaction's signatures here, off the main thread, before it enters the mempool.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';

export interface SigItem {
  /** SPKI DER of the signer's key, base64url. */
  publicKey: string;
  /** The 32-byte signed message (a transaction id) as 64 hex digits. */
  messageHex: string;
  /** The 64-byte r || s signature as canonical base64url (86 characters). */
  signatureB64u: string;
}

// 64 bytes of canonical base64url: 85 characters, then one whose low 4 bits are zero.
const SIG_B64U = /^[A-Za-z0-9_-]{85}[AQgw]$/;

interface Pending {
  resolve: (ok: Uint8Array) => void;
  reject: (e: Error) => void;
  worker: number;
}

export class SignaturePool {
  readonly size: number;
  readonly #workers: Worker[] = [];
  readonly #inflight: number[] = [];
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #closed = false;

  constructor(size = availableParallelism()) {
    this.size = Math.max(1, size);
    for (let i = 0; i < this.size; i++) {
      const w = new Worker(new URL('./worker.js', import.meta.url));
      w.unref();
      w.on('message', (m: { id: number; ok: Uint8Array }) => {
        const p = this.#pending.get(m.id);
        if (!p) return;
        this.#pending.delete(m.id);
        this.#inflight[p.worker]!--;
        p.resolve(m.ok);
      });
      w.on('error', (e) => this.#failAll(e));
      this.#workers.push(w);
      this.#inflight.push(0);
    }
  }

  #failAll(e: Error): void {
    for (const [id, p] of this.#pending) {
      this.#pending.delete(id);
      p.reject(e);
    }
  }

  /** Verifies items; resolves to one boolean per item. Chunks are spread over the workers. */
  async verify(items: readonly SigItem[], chunk = 256): Promise<boolean[]> {
    if (this.#closed) throw new Error('signature pool is closed');
    if (items.length === 0) return [];
    const parts: Promise<Uint8Array>[] = [];
    for (let off = 0; off < items.length; off += chunk) parts.push(this.#send(items.slice(off, off + chunk)));
    const res = await Promise.all(parts);
    const out: boolean[] = [];
    for (const r of res) for (const b of r) out.push(b === 1);
    return out;
  }

  #send(items: readonly SigItem[]): Promise<Uint8Array> {
    let w = 0;
    for (let i = 1; i < this.size; i++) if (this.#inflight[i]! < this.#inflight[w]!) w = i;
    const n = items.length;
    // Ids and signatures are decoded straight into the buffers that move to the worker.
    const msgs = Buffer.alloc(n * 32);
    const sigs = Buffer.alloc(n * 64);
    // Each distinct key is sent once per chunk; items refer to it by index (few signers sign
    // many transactions, and cloning a 124-character key per item showed in profiles).
    const keys: string[] = [];
    const keyIndex = new Map<string, number>();
    const idx = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const it = items[i]!;
      const wellFormed =
        it.messageHex.length === 64 &&
        msgs.write(it.messageHex, i * 32, 32, 'hex') === 32 &&
        SIG_B64U.test(it.signatureB64u) &&
        sigs.write(it.signatureB64u, i * 64, 64, 'base64url') === 64;
      const key = wellFormed ? it.publicKey : ''; // '' → invalid
      let k = keyIndex.get(key);
      if (k === undefined) {
        k = keys.push(key) - 1;
        keyIndex.set(key, k);
      }
      idx[i] = k;
    }
    const id = this.#nextId++;
    this.#inflight[w]!++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, worker: w });
      this.#workers[w]!.postMessage({ id, keys, idx, msgs, sigs }, [msgs.buffer, sigs.buffer, idx.buffer]);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#workers.map((w) => w.terminate()));
    this.#failAll(new Error('signature pool closed'));
  }
}
