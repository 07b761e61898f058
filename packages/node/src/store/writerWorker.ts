/**
 * Writer thread: owns the ledger's only writing SQLite connection after genesis and commits
 * one `CommitBatch` per message, each in one SQLite transaction (fsync included), off the
 * node's main thread. Replies `{ id }` once the batch is durable or `{ id, error }`; after an
 * error it writes nothing more.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { blockCommitter, configureWriter, type CommitBatch } from './commitSql.js';

const db = new Database((workerData as { path: string }).path, { fileMustExist: true });
configureWriter(db);
const commit = blockCommitter(db);

// The first failure stops all writing: the node posts block h+1 before it hears how block h
// went, and h+1 must not reach the disk without h.
let failed: string | undefined;

parentPort!.on('message', (m: { id: number; batch: CommitBatch } | { close: true }) => {
  if ('close' in m) {
    db.close();
    parentPort!.close();
    return;
  }
  if (failed !== undefined) {
    parentPort!.postMessage({ id: m.id, error: `not written: an earlier block failed (${failed})` });
    return;
  }
  try {
    commit(m.batch);
    parentPort!.postMessage({ id: m.id });
  } catch (e) {
    failed = e instanceof Error ? e.message : String(e);
    parentPort!.postMessage({ id: m.id, error: failed });
  }
});
parentPort!.postMessage({ ready: true });
