/**
 * Writer thread: owns the ledger's only writing SQLite connection after genesis and commits
 * one `CommitBatch` per message, each in one SQLite transaction (fsync included), off the
 * node's main thread. Replies `{ id }` once the batch is durable or `{ id, error }`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { blockCommitter, configureWriter, type CommitBatch } from './commitSql.js';

const db = new Database((workerData as { path: string }).path, { fileMustExist: true });
configureWriter(db);
const commit = blockCommitter(db);

parentPort!.on('message', (m: { id: number; batch: CommitBatch } | { close: true }) => {
  if ('close' in m) {
    db.close();
    parentPort!.close();
    return;
  }
  try {
    commit(m.batch);
    parentPort!.postMessage({ id: m.id });
  } catch (e) {
    parentPort!.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) });
  }
});
parentPort!.postMessage({ ready: true });
