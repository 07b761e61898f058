/**
 * The node's side of the writer thread (see writerWorker.ts). Block commits are queued to it
 * in order; `commit` resolves once the block is durable. The B-tree inserts, WAL appends,
 * fsyncs and checkpoints of a block no longer hold up the main thread, which goes on admitting
 * transactions (`medledger bench ledger` reports this thread's share in `nodeThreadCores`).
 *
 * After a failure (a commit error, the thread dying) every later commit is refused: the node
 * halts rather than guess which blocks reached the disk.
 */
import { Worker } from 'node:worker_threads';
import type { CommitBatch } from './commitSql.js';

type Reply = { id: number; error?: string } | { ready: true };

export class LedgerWriter {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  #nextId = 1;
  #failed: Error | undefined;
  #closed = false;

  private constructor(worker: Worker) {
    this.#worker = worker;
    // The thread keeps the process alive only while a commit is in flight.
    worker.unref();
    worker.on('message', (m: Reply) => {
      if ('ready' in m) return;
      const p = this.#pending.get(m.id);
      if (!p) return;
      this.#pending.delete(m.id);
      if (this.#pending.size === 0) worker.unref();
      if (m.error === undefined) p.resolve();
      else p.reject(this.#fail(new Error(`ledger write failed: ${m.error}`)));
    });
    worker.on('error', (e) => this.#fail(new Error(`ledger writer thread failed: ${e.message}`)));
    worker.on('exit', (code) => {
      if (!this.#closed) this.#fail(new Error(`ledger writer thread exited with code ${code}`));
    });
  }

  /** Starts the writer thread on an existing ledger file; resolves once it has opened it. */
  static async open(path: string): Promise<LedgerWriter> {
    const worker = new Worker(new URL('./writerWorker.js', import.meta.url), { workerData: { path } });
    await new Promise<void>((resolve, reject) => {
      const onError = (e: Error): void => done(new Error(`ledger writer thread failed: ${e.message}`));
      const onExit = (code: number): void => done(new Error(`ledger writer thread exited with code ${code}`));
      const done = (e?: Error): void => {
        worker.off('error', onError);
        worker.off('exit', onExit);
        if (e) reject(e);
        else resolve();
      };
      worker.once('error', onError);
      worker.once('exit', onExit);
      worker.once('message', () => done());
    });
    return new LedgerWriter(worker);
  }

  #fail(e: Error): Error {
    this.#failed ??= e;
    for (const [id, p] of this.#pending) {
      this.#pending.delete(id);
      p.reject(this.#failed);
    }
    return this.#failed;
  }

  /** Writes one block commit atomically; resolves when it is durable. */
  commit(batch: CommitBatch): Promise<void> {
    if (this.#failed) return Promise.reject(this.#failed);
    if (this.#closed) return Promise.reject(new Error('ledger writer is closed'));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.ref();
      this.#worker.postMessage({ id, batch });
    });
  }

  /** Closes the connection once queued commits are done, and stops the thread. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const exited = new Promise((r) => this.#worker.once('exit', r));
    this.#worker.ref();
    this.#worker.postMessage({ close: true });
    await exited;
  }
}
