/**
 * `medledger bench access` on small sizes: every consented SPV read succeeds, is verified
 * against its on-chain commitment, and has its allowed decision on the ledger — one read per
 * call (`readSpv`) and in batches (`readSpvMany`) — and the JSON carries the CPU per read and
 * the same run's write-only commit rate; warm-up reads are kept out of the figures and the audit
 * count, and their slowest call is reported.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benchAccess } from '../src/bench/access.js';

test(
  'bench access: batched reads all succeed, each audited on the ledger; CPU per read and the commit rate are reported',
  { timeout: 120_000 },
  async () => {
    const r = await benchAccess({
      reads: 60,
      concurrency: 16,
      records: 5,
      batch: 8,
      warmupReads: 16,
      commitTxs: 300,
      log: () => {},
    });
    assert.equal(r.bench, 'access');
    assert.equal(r.reads, 60);
    assert.equal(r.batch, 8);
    assert.equal(r.failed, 0, JSON.stringify(r));
    assert.equal(r.succeeded, 60);
    // The audit check covers the measured reads: the 16 warm-up reads are not counted in.
    assert.equal(r.auditedOnLedger, 60);
    assert.equal(r.allAudited, true);
    assert.equal(r.warmupReads, 16);
    assert.ok(typeof r.coldCallMs === 'number' && r.coldCallMs > 0, JSON.stringify(r));
    assert.ok(typeof r.readsPerSec === 'number' && r.readsPerSec > 0);
    assert.ok(typeof r.p99ReadMs === 'number' && r.p99ReadMs >= (r.p50ReadMs as number));
    assert.ok(typeof r.blocks === 'number' && r.blocks > 1);
    assert.ok(typeof r.nodeCpuMsPerRead === 'number' && r.nodeCpuMsPerRead > 0, JSON.stringify(r));
    assert.ok(typeof r.clientCpuMsPerRead === 'number' && r.clientCpuMsPerRead > 0);
    assert.equal(r.committedTxs, 300);
    assert.ok(typeof r.committedTxPerSec === 'number' && r.committedTxPerSec > 0);
    assert.ok(typeof r.readsPerCommittedTx === 'number' && r.readsPerCommittedTx > 0);
  },
);

test(
  'bench access: one read per call (readSpv) succeeds and is audited on the ledger',
  { timeout: 120_000 },
  async () => {
    const r = await benchAccess({
      reads: 30,
      concurrency: 6,
      records: 5,
      batch: 1,
      commitTxs: 0,
      log: () => {},
    });
    assert.equal(r.failed, 0, JSON.stringify(r));
    assert.equal(r.auditedOnLedger, 30);
    assert.equal(r.allAudited, true);
    assert.equal(r.committedTxPerSec, 0);
  },
);
