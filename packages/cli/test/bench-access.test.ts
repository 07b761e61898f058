/**
 * `medledger bench access` on small sizes: every consented SPV read succeeds, is verified
 * against its on-chain commitment, and has its allowed decision on the ledger.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benchAccess } from '../src/bench/access.js';

test(
  'bench access: every consented SPV read succeeds and is audited on the ledger',
  { timeout: 120_000 },
  async () => {
    const r = await benchAccess({ reads: 60, concurrency: 8, records: 5, log: () => {} });
    assert.equal(r.bench, 'access');
    assert.equal(r.reads, 60);
    assert.equal(r.failed, 0, JSON.stringify(r));
    assert.equal(r.succeeded, 60);
    assert.equal(r.auditedOnLedger, 60);
    assert.equal(r.allAudited, true);
    assert.ok(typeof r.readsPerSec === 'number' && r.readsPerSec > 0);
    assert.ok(typeof r.p99ReadMs === 'number' && r.p99ReadMs >= (r.p50ReadMs as number));
    assert.ok(typeof r.blocks === 'number' && r.blocks > 1);
  },
);
