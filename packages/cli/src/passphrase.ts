/**
 * Where the passphrase of a directory's sealed keys comes from. Every directory — a node's,
 * an organization's admin directory, a wallets directory — has its own:
 *   - a directory made with --dev keeps a random one in `<dir>/dev-passphrase` (mode 0600),
 *     which then wins: the dev file trades protection for a one-command start, and says so;
 *   - otherwise the environment variable (MEDLEDGER_PASSPHRASE; `org init --node-dir` reads
 *     the node directory's from MEDLEDGER_NODE_PASSPHRASE).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes, toB64u } from '@medledger/crypto';
import { UsageError } from './args.js';

export const devPassphrasePath = (dir: string): string => join(dir, 'dev-passphrase');

/** The passphrase of an existing directory. */
export function passphraseFor(dir: string, envName = 'MEDLEDGER_PASSPHRASE'): string {
  const f = devPassphrasePath(dir);
  if (existsSync(f)) return readFileSync(f, 'utf8').trim();
  const env = process.env[envName];
  if (env) return env;
  throw new UsageError(`set ${envName} to the passphrase of ${dir}`);
}

/**
 * Chooses the passphrase of a new directory (which must exist): with `dev`, a random one
 * written to `<dir>/dev-passphrase`; otherwise the environment variable's.
 */
export function newPassphrase(dir: string, dev: boolean, envName = 'MEDLEDGER_PASSPHRASE'): string {
  if (dev) {
    const p = toB64u(randomBytes(24));
    writeFileSync(devPassphrasePath(dir), p + '\n', { mode: 0o600, flag: 'wx' });
    return p;
  }
  const env = process.env[envName];
  if (env) return env;
  throw new UsageError(`set ${envName} (or use --dev for a development directory)`);
}
