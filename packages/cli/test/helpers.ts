/** Test helpers for the CLI: a dev layout and a node process started from it. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { initDev } from '../src/commands/init.js';
import type { LayoutDirs } from '../src/dirs/layout.js';
import { passphraseFor } from '../src/passphrase.js';
import assert from 'node:assert/strict';
import type { Request } from 'playwright-core';
import { toB64u, toHex } from '@medledger/crypto';
import { RecordsClient } from '@medledger/client';
import { openWalletFile } from '../src/dirs/wallets.js';

export const BIN = fileURLToPath(new URL('../src/bin.js', import.meta.url));

// Temporary directories of this test file, removed when its process exits.
const made: string[] = [];
process.once('exit', () => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** A temporary directory, removed when the test file's process exits. */
export function tempDir(prefix = 'medledger-cli-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}

/** A dev layout (`init --dev`) with cheap key files (scrypt N=1024). */
export interface DevDir {
  /** The layout's directory (`start --dir`). */
  dir: string;
  dirs: LayoutDirs;
  /** Hospital A's node directory and its passphrase. */
  nodeDir: string;
  passphrase: string;
  /** The members' wallets directory and its passphrase. */
  wallets: string;
  walletPassphrase: string;
}

/** Creates a dev layout with cheap key files (scrypt N=1024); `nodes` organizations run a node. */
export async function makeDevDir(nodes = 1): Promise<DevDir> {
  const dir = join(tempDir(), 'data');
  const { dirs } = await initDev({ dir, nodes, port: 0, scryptN: 1024 });
  const nodeDir = dirs.node('hospitalA');
  return {
    dir,
    dirs,
    nodeDir,
    passphrase: passphraseFor(nodeDir),
    wallets: dirs.wallets,
    walletPassphrase: passphraseFor(dirs.wallets),
  };
}

/** Runs the CLI to completion. */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  cwd?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...env },
      ...(cwd === undefined ? {} : { cwd }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/**
 * A member's record SDK against a node, with the keys of their wallet in a dev layout (what a
 * clinician's or patient's own program would hold); transactions wait up to 15 s to commit.
 */
export function memberSdk(
  dev: Pick<DevDir, 'wallets' | 'walletPassphrase'>,
  url: string,
  label: string,
): RecordsClient {
  const m = openWalletFile(dev.wallets, label, dev.walletPassphrase);
  return new RecordsClient({
    baseUrl: url,
    signerId: m.memberId,
    privateKey: m.keys.signing.privateKey,
    encryptionKey: m.keys.encryption.privateKey,
    waitMs: 15_000,
  });
}

/**
 * What a page must never send of these members' wallets: the wallet passphrase, and each
 * member's signing and encryption keys in base64url and in hex.
 */
export function walletSecrets(
  dev: Pick<DevDir, 'wallets' | 'walletPassphrase'>,
  labels: readonly string[],
): string[] {
  const secrets = [dev.walletPassphrase];
  for (const label of labels) {
    const w = openWalletFile(dev.wallets, label, dev.walletPassphrase);
    for (const k of [w.keys.signing.privateKey, w.keys.encryption.privateKey])
      secrets.push(toB64u(k), toHex(k));
  }
  return secrets;
}

/**
 * Every request a page sent went to its node (`nodeUrl`'s origin), and none carries any of
 * `secrets` (nor matches `forbid`) in its URL, headers or body.
 */
export async function assertRequestsClean(
  sent: readonly Request[],
  nodeUrl: string,
  secrets: readonly string[],
  forbid?: RegExp,
): Promise<void> {
  const origin = new URL(nodeUrl).origin;
  for (const r of sent) {
    assert.equal(new URL(r.url()).origin, origin, `${r.url()} is the node`);
    const text = `${r.url()}\n${JSON.stringify(await r.allHeaders())}\n${r.postData() ?? ''}`;
    for (const x of secrets) assert.ok(!text.includes(x), `a secret in ${r.method()} ${r.url()}`);
    if (forbid) assert.doesNotMatch(text, forbid, `${r.method()} ${r.url()}`);
  }
}
