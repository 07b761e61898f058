/**
 * Where the passphrase for a data directory's key files comes from: MEDLEDGER_PASSPHRASE, or
 * for a dev consortium (`init --dev`) a random passphrase kept in `<dir>/dev-passphrase`,
 * mode 0600. The dev file trades protection for a one-command start and says so.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes, toB64u } from '@medledger/crypto';
import { UsageError } from './args.js';

export const devPassphrasePath = (dir: string): string => join(dir, 'dev-passphrase');

export function passphraseFor(dir: string): string {
  const env = process.env.MEDLEDGER_PASSPHRASE;
  if (env) return env;
  const f = devPassphrasePath(dir);
  if (existsSync(f)) return readFileSync(f, 'utf8').trim();
  throw new UsageError('set MEDLEDGER_PASSPHRASE to the passphrase of this data directory');
}

/** Chooses the passphrase for a new data directory. */
export function newPassphrase(dir: string, dev: boolean): string {
  const env = process.env.MEDLEDGER_PASSPHRASE;
  if (env) return env;
  if (!dev) throw new UsageError('set MEDLEDGER_PASSPHRASE (or use --dev for a development consortium)');
  const p = toB64u(randomBytes(24));
  writeFileSync(devPassphrasePath(dir), p + '\n', { mode: 0o600 });
  return p;
}
