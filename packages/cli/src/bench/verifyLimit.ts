/**
 * This machine's parallel P-256 verification rate: one worker thread per core, each
 * verifying pre-made signatures for a fixed time. The ceiling a signature-bound ledger can
 * reach here, measured in the same run as the benchmark it normalizes.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const c = require('node:crypto');
const keys = [], msgs = [], sigs = [];
for (let i = 0; i < 64; i++) {
  const { privateKey, publicKey } = c.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const m = c.randomBytes(32);
  keys.push(publicKey); msgs.push(m);
  sigs.push(c.sign('sha256', m, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
}
parentPort.postMessage('ready');
parentPort.once('message', () => {
  const end = performance.now() + workerData.ms;
  let n = 0, bad = 0;
  while (performance.now() < end) {
    for (let k = 0; k < 64; k++) {
      if (!c.verify('sha256', msgs[k], { key: keys[k], dsaEncoding: 'ieee-p1363' }, sigs[k])) bad++;
    }
    n += 64;
  }
  parentPort.postMessage({ n, bad });
});
`;

export async function measureVerifyLimit(
  ms = 2000,
  workers = availableParallelism(),
): Promise<{ perSec: number; workers: number }> {
  const ws = Array.from({ length: workers }, () => new Worker(WORKER, { eval: true, workerData: { ms } }));
  await Promise.all(ws.map((w) => new Promise((r) => w.once('message', r))));
  const t0 = performance.now();
  const done = ws.map((w) => new Promise<{ n: number; bad: number }>((r) => w.once('message', r)));
  for (const w of ws) w.postMessage('go');
  const res = await Promise.all(done);
  const secs = (performance.now() - t0) / 1000;
  await Promise.all(ws.map((w) => w.terminate()));
  if (res.some((r) => r.bad > 0)) throw new Error('verify-limit worker: a valid signature failed to verify');
  return { perSec: res.reduce((a, r) => a + r.n, 0) / secs, workers };
}
