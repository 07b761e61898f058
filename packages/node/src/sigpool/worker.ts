/**
 * Worker thread: verifies batches of P-256 signatures. Messages carry the signers' SPKI keys
 * (base64url), the 32-byte signed ids and 64-byte signatures back to back, so one
 * postMessage moves hundreds of verifications. Only low-S signatures verify, as in
 * `verifyP256`.
 */
import { parentPort } from 'node:worker_threads';
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { isLowSP256 } from '@medledger/crypto';

/**
 * Niceness of a verifier thread. Signature checks are batch work that is always queued under
 * load, while the main thread (HTTP, ordering, the state transition) is the pipeline's one
 * serial stage: at equal priority the kernel gives the two verifiers two thirds of a
 * two-core machine and the main thread waits for a core with its work half done. A lower
 * priority lets the main thread run whenever it has work and the verifiers use every cycle
 * it leaves. Linux only: `/proc/thread-self` names this thread's id, and setpriority(2)
 * applies to one thread; raising one's own niceness needs no privilege.
 */
const VERIFIER_NICE = 10;
try {
  const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  if (Number.isSafeInteger(tid) && tid > 0) setPriority(tid, VERIFIER_NICE);
} catch {
  // not Linux, or no /proc: the verifiers run at the process's priority
}

export interface VerifyJob {
  id: number;
  /** Distinct SPKI keys of the chunk, base64url ('' marks a malformed item). */
  keys: string[];
  /** For each item, the index of its key in `keys`. */
  idx: Uint32Array;
  /** n × 32 bytes */
  msgs: Uint8Array;
  /** n × 64 bytes */
  sigs: Uint8Array;
}

const keys = new Map<string, KeyObject | null>();
function key(spki: string): KeyObject | null {
  let k = keys.get(spki);
  if (k === undefined) {
    try {
      k = createPublicKey({ key: Buffer.from(spki, 'base64url'), format: 'der', type: 'spki' });
    } catch {
      k = null;
    }
    if (keys.size > 50_000) keys.clear();
    keys.set(spki, k);
  }
  return k;
}

parentPort!.on('message', (job: VerifyJob) => {
  const n = job.idx.length;
  const out = new Uint8Array(n);
  const msgs = Buffer.from(job.msgs.buffer, job.msgs.byteOffset, job.msgs.byteLength);
  const sigs = Buffer.from(job.sigs.buffer, job.sigs.byteOffset, job.sigs.byteLength);
  for (let i = 0; i < n; i++) {
    const k = key(job.keys[job.idx[i]!]!);
    if (!k) continue;
    const sig = sigs.subarray(i * 64, i * 64 + 64);
    if (!isLowSP256(sig)) continue; // the malleated twin of a signature: refused (crypto/sig.ts)
    try {
      out[i] = verify(
        'sha256',
        msgs.subarray(i * 32, i * 32 + 32),
        { key: k, dsaEncoding: 'ieee-p1363' },
        sig,
      )
        ? 1
        : 0;
    } catch {
      out[i] = 0;
    }
  }
  parentPort!.postMessage({ id: job.id, ok: out }, [out.buffer]);
});
