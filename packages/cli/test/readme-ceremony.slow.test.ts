/**
 * The README's "Building a consortium" runs as written: its shell blocks (passphrases, the
 * genesis ceremony, the node's TLS certificate, the node start over TLS, the members through
 * https) are run by bash with `medledger` bound to this build, in an empty directory; only the
 * node's port is changed to a free one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { BIN, tempDir } from './helpers.js';

const README = fileURLToPath(new URL('../../../../README.md', import.meta.url));

/** The ```sh block that follows `<!-- ceremony:NAME -->`. */
function block(readme: string, name: string): string {
  const m = new RegExp(`<!-- ceremony:${name} -->\\n\`\`\`sh\\n([\\s\\S]*?)\`\`\``).exec(readme);
  if (!m) throw new Error(`README has no ceremony:${name} block`);
  return m[1]!;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

test(
  'readme: the ceremony of "Building a consortium" runs as written, from genesis to an enrolled doctor and patient',
  { timeout: 300_000 },
  async () => {
    const readme = readFileSync(README, 'utf8');
    const port = String(await freePort());
    const cwd = tempDir('medledger-readme-');
    const prelude = `set -euo pipefail\nmedledger() { "${process.execPath}" "${BIN}" "$@"; }\n${block(readme, 'passphrases')}\n`;
    const env = { ...process.env, MEDLEDGER_PASSPHRASE: '', MEDLEDGER_NODE_PASSPHRASE: '' };
    const bash = (script: string) =>
      spawnSync('bash', ['-c', prelude + script.replaceAll('7545', port)], { cwd, env, encoding: 'utf8' });

    const genesis = bash(block(readme, 'genesis'));
    assert.equal(genesis.status, 0, genesis.stderr);
    assert.match(
      genesis.stdout,
      /^ok: chain [0-9a-f]{64}, signed by every founder \(hospitalA, hospitalB, insurer\)$/m,
    );
    const tls = bash(block(readme, 'tls'));
    assert.equal(tls.status, 0, tls.stderr);

    // The start block runs in its own process group, stopped at the end like Ctrl-C.
    const node = spawn('bash', ['-c', prelude + block(readme, 'start').replaceAll('7545', port)], {
      cwd,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        let out = '';
        let err = '';
        node.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes(`listening on https://127.0.0.1:${port}`)) resolve();
        });
        node.stderr.on('data', (d: Buffer) => (err += d.toString()));
        node.once('exit', (code) => reject(new Error(`node exited with ${code}: ${err}`)));
      });
      const members = bash(block(readme, 'members'));
      assert.equal(members.status, 0, members.stderr);
      const ids = members.stdout.trim().split('\n');
      // Each of wallet new, org issue, import-cert and enroll prints one line; two members.
      assert.equal(ids.length, 8, members.stdout);
      assert.match(members.stderr, /enrolled member [0-9a-f]{64} at height \d+/);
    } finally {
      if (node.pid !== undefined && node.exitCode === null) {
        process.kill(-node.pid, 'SIGINT');
        await new Promise((r) => node.once('exit', r));
      }
    }
  },
);
