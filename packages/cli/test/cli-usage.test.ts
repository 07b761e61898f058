/** Usage errors of the identity commands exit 2 with a message that says what to do, and change nothing. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from './helpers.js';

test('usage: init without --dev, a ceremony command without its subcommand or a required flag, and an old single-directory layout exit 2 and write nothing', async () => {
  const w = tempDir();
  const [init, genesis, orgInit] = await Promise.all([
    runCli(['init', '--dir', join(w, 'x')]),
    runCli(['genesis']),
    runCli(['org', 'init', '--org', 'hospitalA', '--dir', join(w, 'a')], { MEDLEDGER_PASSPHRASE: 'p' }),
  ]);
  assert.equal(init.code, 2);
  assert.match(
    init.stderr,
    /init creates a dev consortium only \(--dev\); a real consortium is built party by party/,
  );
  assert.equal(genesis.code, 2);
  assert.match(genesis.stderr, /genesis assemble\|sign\|check/);
  assert.equal(orgInit.code, 2);
  assert.match(orgInit.stderr, /--name is required/);
  assert.deepEqual(readdirSync(w), [], 'nothing was created');

  const old = join(w, 'old');
  mkdirSync(old);
  writeFileSync(join(old, 'genesis.json'), '{}');
  writeFileSync(join(old, 'node.json'), '{}');
  writeFileSync(join(old, 'members.json'), '[]');
  const start = await runCli(['start', '--dir', old, '--dev']);
  assert.equal(start.code, 2);
  assert.match(start.stderr, /old layout, with every party's keys in one directory/);
});
