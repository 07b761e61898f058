/**
 * `medledger study` against a running node (the in-process fl demo consortium, whose hospital
 * services wait to be told to join): the researcher opens a study, each hospital joins with its
 * node key file, the study runs, `status` shows it and `result` re-derives every round. Some
 * steps call the command functions in this process: each spawned CLI costs about two seconds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sealKey } from '@medledger/crypto';
import { getStudy } from '@medledger/core/contracts/fl';
import { loadWdbc, splitWdbc, startFlDemo } from '@medledger/node';
import { runCli } from './helpers.js';
import { readKeyFile, studyJoin, studyStatus } from '../src/commands/study.js';

const HOSPITALS = ['hospitalA', 'hospitalB', 'hospitalC'];

test(
  'study: open, join, status and result through the CLI; a wrong key is refused',
  { timeout: 120_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medledger-cli-study-'));
    const { byHospital } = splitWdbc({ rows: loadWdbc(), hospitals: HOSPITALS, seed: 'cli-study' });
    const demo = await startFlDemo({
      dir,
      rows: new Map([...byHospital].map(([h, r]) => [h, r.slice(0, 6)])),
      autoJoin: false,
    });
    const passphrase = 'cli-study-passphrase';
    const env = { MEDLEDGER_PASSPHRASE: passphrase };
    const keyFile = (label: string, privateKey: Uint8Array): string => {
      const f = join(dir, `${label}.key.json`);
      const sealed = sealKey({
        label,
        keyType: 'p256',
        publicKey: new Uint8Array(0),
        privateKey,
        passphrase,
        N: 1024,
      });
      writeFileSync(f, JSON.stringify(sealed));
      return f;
    };
    try {
      const researcherKey = keyFile('researcher', demo.researcher.keys.privateKey);
      const nodeKey = (org: string) => keyFile(`node-${org}`, demo.consortium.orgs.get(org)!.node.privateKey);
      const url = ['--url', demo.url];
      const as = [...url, '--key', researcherKey, '--signer', demo.researcher.memberId, '--study', 'cli-1'];
      const options = ['--participants', HOSPITALS.join(','), '--aggregator', 'institute', '--rounds', '2'];
      const open = await runCli(
        ['study', 'open', ...as, ...options, '--local-epochs', '2', '--title', 'CLI study'],
        env,
      );
      assert.equal(open.code, 0, open.stderr);
      assert.match(
        open.stdout,
        /opened study cli-1 at height \d+: hospitalA, hospitalB, hospitalC \(threshold 2\), aggregator institute, 2 rounds/,
      );
      const researcher = { signerId: demo.researcher.memberId, privateKey: demo.researcher.keys.privateKey };
      const status0 = await studyStatus({ url: demo.url, signer: researcher, studyId: 'cli-1' });
      assert.match(status0.lines[0]!, /study cli-1 "CLI study": joining/);
      assert.ok(
        status0.lines.includes(
          'no differential privacy: secure aggregation hides each update, not what the models reveal',
        ),
      );

      const keyA = readKeyFile(nodeKey('hospitalA'), passphrase);
      assert.throws(() => readKeyFile(nodeKey('hospitalA'), 'wrong'), 'a wrong passphrase opens nothing');
      await assert.rejects(
        studyJoin({ url: demo.url, org: 'hospitalB', nodeKey: keyA, studyId: 'cli-1' }),
        /the node refused it: BAD_SIGNATURE/,
        'hospitalA cannot join for hospitalB',
      );
      const joinedA = await studyJoin({ url: demo.url, org: 'hospitalA', nodeKey: keyA, studyId: 'cli-1' });
      assert.match(joinedA[0]!, /^hospitalA joined study cli-1 at height \d+$/);
      await assert.rejects(
        studyJoin({ url: demo.url, org: 'hospitalA', nodeKey: keyA, studyId: 'cli-1' }),
        /the ledger refused it: FL_ALREADY_POSTED/,
      );
      await studyJoin({
        url: demo.url,
        org: 'hospitalB',
        nodeKey: readKeyFile(nodeKey('hospitalB'), passphrase),
        studyId: 'cli-1',
      });
      const j = await runCli(
        ['study', 'join', ...url, '--key', nodeKey('hospitalC'), '--org', 'hospitalC', '--study', 'cli-1'],
        env,
      );
      assert.equal(j.code, 0, j.stderr);
      assert.match(j.stdout, /hospitalC joined study cli-1/);

      const state = { get: (k: string) => demo.node.stateValue(k), hasCommittedTx: () => false };
      await demo.until(() => getStudy(state, 'cli-1')?.status === 'done', 60_000, 'the study');
      const status = await runCli(['study', 'status', ...as, '--json'], env);
      assert.equal(status.code, 0, status.stderr);
      const view = JSON.parse(status.stdout.trim().split('\n').pop()!) as {
        study: { status: string };
        model: { round: number };
      };
      assert.equal(view.study.status, 'done');
      assert.equal(view.model.round, 2);

      const result = await runCli(['study', 'result', ...as], env);
      assert.equal(result.code, 0, result.stderr);
      assert.match(
        result.stdout,
        /round 0 \(moments\) done: 18 records; hospitalA included \(6\); hospitalB included \(6\); hospitalC included \(6\)/,
      );
      assert.match(result.stdout, /every round re-derived from the ledger: ok/);

      const usage = await runCli(['study', 'open', ...url, '--study', 'x'], env);
      assert.equal(usage.code, 2, 'a missing option is a usage error');
    } finally {
      await demo.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
