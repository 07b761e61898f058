/**
 * `medledger generate`, `bench queries`, `bench sync` and `verify` at a small size (2,000 transactions, 50
 * patients), through the CLI as a user runs them: every generated transaction commits through
 * the node process, the ledger verifies from genesis with its rate, a new node syncs it to the
 * same head with its rate, and the queries answer
 * exactly what was generated (each patient's records and consents, summed over all patients,
 * are the generated record and grant transactions). Bad input changes nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { importP256PrivateKey } from '@medledger/crypto';
import { signRequest } from '@medledger/client';
import { getJson, HttpStatusError } from '../src/bench/http.js';
import { startNodeProcess } from '../src/bench/nodeProcess.js';
import { keyOf, nodeDirOf, readFixture } from '../src/bench/scaleSetup.js';
import { runCli, tempDir } from './helpers.js';

const lastJson = (stdout: string): Record<string, unknown> =>
  JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;

test(
  'generate: 2,000 signed record and access transactions for 50 patients all commit; the ledger verifies with its rate; the queries answer what was generated',
  { timeout: 240_000 },
  async () => {
    const dir = join(tempDir('medledger-generate-'), 'g');
    const g = await runCli(['generate', '--txs', '2000', '--patients', '50', '--dir', dir, '--json']);
    assert.equal(g.code, 0, g.stderr);
    assert.match(g.stderr, /generate: 2000\/2000 tx committed, \d+ tx\/s/, 'progress on stderr');
    const s = lastJson(g.stdout) as Record<string, number> & { byType: Record<string, number> };
    assert.equal(s.committed, 2000);
    assert.equal(s.failed, 0);
    assert.equal(s.patients, 50);
    const byType = s.byType;
    assert.equal(
      Object.values(byType).reduce((a, b) => a + b, 0),
      2000,
      `every transaction is one of the generated types: ${JSON.stringify(byType)}`,
    );
    for (const t of [
      'registry.enroll',
      'patient.careteam',
      'record.dss',
      'record.spv',
      'record.stt',
      'consent.grant',
      'access.request',
    ])
      assert.ok((byType[t] ?? 0) > 0, `${t} generated`);
    assert.equal(byType['patient.careteam'], 50);
    for (const k of [
      'txPerSec',
      'ledgerBytes',
      'nodeDirBytes',
      'ledgerBytesPerMillionTx',
      'peakRssMb',
      'height',
    ])
      assert.ok(Number.isFinite(s[k]) && s[k]! > 0, `${k} = ${s[k]}`);
    assert.equal(s.ledgerBytesPerMillionTx, Math.round((s.ledgerBytes! / 2000) * 1e6));
    const fixture = readFixture(dir);
    assert.equal(fixture.patients.length, 50);
    assert.ok(fixture.sampleTxIds.length > 100, 'transaction ids sampled over the run');

    // The ledger re-verifies from genesis, and verify reports its rate.
    const v = await runCli(['verify', nodeDirOf(dir), '--json']);
    assert.equal(v.code, 0, v.stderr);
    const vr = lastJson(v.stdout) as Record<string, number>;
    assert.equal(vr.ok as unknown, true);
    assert.ok(vr.txs! >= 2000, `${vr.txs} transactions verified (the generated ones and the node's own)`);
    assert.ok(vr.blocksPerSec! > 0 && vr.txPerSec! > 0 && vr.seconds! > 0, JSON.stringify(vr));
    assert.match(v.stderr, /verify: block \d+\/\d+, [\d.]+ blocks\/s, [\d.]+ tx\/s/, 'progress on stderr');

    // The queries, each patient's answer checked against what was generated.
    const q = await runCli(['bench', 'queries', '--dir', dir, '--samples', '50', '--json']);
    assert.equal(q.code, 0, q.stderr);
    const r = lastJson(q.stdout) as Record<string, number>;
    assert.equal(r.samples, 50, 'every patient queried');
    const records = byType['record.dss']! + byType['record.spv']! + byType['record.stt']!;
    assert.equal(r.recordsItems, records, "the patients' records are the generated ones");
    assert.equal(r.consentsItems, byType['consent.grant'], 'and their consents');
    assert.ok(
      r.accessLogItems! >= byType['access.request']! + byType['consent.grant']!,
      'every decision and grant is in a patient’s access log',
    );
    for (const k of [
      'recordsP99Ms',
      'accessLogP99Ms',
      'consentsP99Ms',
      'txProofP99Ms',
      'queryP99Ms',
      'peakRssMb',
    ])
      assert.ok(Number.isFinite(r[k]) && r[k]! > 0, `${k} = ${r[k]}`);
    assert.equal(r.queryP99Ms, Math.max(r.recordsP99Ms!, r.accessLogP99Ms!, r.consentsP99Ms!));
    assert.ok(r.txsRead! >= 50);

    // A new node syncs the whole ledger from the node, verifying every block, with its rate, and
    // ends at the source's head.
    const sy = await runCli(['bench', 'sync', '--dir', dir, '--json']);
    assert.equal(sy.code, 0, sy.stderr);
    const sr = lastJson(sy.stdout) as Record<string, number>;
    assert.equal(sr.sameHead as unknown, true);
    assert.equal(sr.blocks, sr.height, 'every block from 1');
    assert.ok(sr.txs! >= 2000 && sr.txPerSec! > 0 && sr.blocksPerSec! > 0, JSON.stringify(sr));
    assert.match(
      sy.stderr,
      /sync: caught up \d+ blocks \(1\.\.\d+\), \d+ transactions in [\d.]+ s: \d+ blocks\/s, \d+ tx\/s/,
    );

    // A patient lists only their own consents: another patient's are refused.
    const f = readFixture(dir);
    const node = await startNodeProcess(nodeDirOf(dir), { MEDLEDGER_PASSPHRASE: f.passphrase });
    const agent = new Agent({ keepAlive: false });
    try {
      const [a, b] = [f.patients[0]!, f.patients[1]!];
      const get = (path: string) =>
        getJson<{ grants: { patientId: string }[] }>(
          agent,
          new URL(path, node.url),
          signRequest({
            audience: { chainId: f.chainId!, node: f.org },
            signerId: a.id,
            privateKey: importP256PrivateKey(keyOf(a)),
            method: 'GET',
            path,
            ts: Date.now(),
          }),
        );
      const own = await get(`/v1/patients/${a.id}/consents`);
      assert.ok(own.grants.every((x) => x.patientId === a.id));
      await assert.rejects(get(`/v1/patients/${b.id}/consents`), (e: unknown) => {
        assert.ok(e instanceof HttpStatusError);
        assert.equal(e.status, 403);
        assert.match(e.body, /"code":"FORBIDDEN","message":"only the patient/);
        return true;
      });
    } finally {
      agent.destroy();
      const exited = new Promise((res) => node.child.once('exit', res));
      node.child.kill('SIGTERM');
      await exited;
    }
  },
);

test('generate: bad input is refused with a message and leaves nothing behind', async () => {
  const root = tempDir('medledger-generate-bad-');
  const few = await runCli([
    'generate',
    '--txs',
    '100',
    '--patients',
    '50',
    '--dir',
    join(root, 'few'),
    '--json',
  ]);
  assert.equal(few.code, 1);
  assert.match(few.stderr, /--txs must be more than the set-up's 104 transactions/);
  assert.equal(existsSync(join(root, 'few')), false, 'nothing created');
  const none = await runCli(['generate', '--txs', '1000', '--patients', '0', '--json']);
  assert.equal(none.code, 2, 'a usage error');
  assert.match(none.stderr, /--patients must be an integer >= 1/);
  const q = await runCli(['bench', 'queries', '--dir', root, '--json']);
  assert.equal(q.code, 1);
  assert.match(q.stderr, /holds no generated ledger \(no scale\.json\): run medledger generate/);
  const sy = await runCli(['bench', 'sync', '--dir', root, '--json']);
  assert.equal(sy.code, 1);
  assert.match(sy.stderr, /holds no generated ledger \(no scale\.json\): run medledger generate/);
});
