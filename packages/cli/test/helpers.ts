/** Test helpers for the CLI: a dev data directory and a node process started from it. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { init } from '../src/commands/init.js';

export const BIN = fileURLToPath(new URL('../src/bin.js', import.meta.url));

// Temporary directories of this test file, removed when its process exits.
const made: string[] = [];
process.once('exit', () => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** Creates a dev consortium directory with cheap key files (scrypt N=1024). */
export async function makeDevDir(): Promise<{ dir: string; passphrase: string }> {
  const root = mkdtempSync(join(tmpdir(), 'medledger-cli-'));
  made.push(root);
  const dir = join(root, 'data');
  await init({ dir, org: 'hospitalA', host: '127.0.0.1', port: 0, dev: true, scryptN: 1024 });
  return { dir, passphrase: readFileSync(join(dir, 'dev-passphrase'), 'utf8').trim() };
}

/** Runs the CLI to completion. */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
