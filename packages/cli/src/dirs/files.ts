/** Small file helpers of the CLI's directories: JSON files, written whole or not at all. */
import { existsSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { UsageError } from '../args.js';

/** Reads a JSON file; a missing or unparsable file is a usage error naming it. */
export function readJson(path: string, what = 'file'): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new UsageError(`cannot read ${what} ${path}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new UsageError(`${what} ${path} is not JSON`);
  }
}

/**
 * Writes JSON through a temporary file and a rename, so a reader never sees half a file.
 * `exclusive`: refuse to replace an existing file.
 */
export function writeJson(
  path: string,
  value: unknown,
  o: { mode?: number; exclusive?: boolean } = {},
): void {
  if (o.exclusive && existsSync(path)) throw new UsageError(`${path} already exists`);
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n', { mode: o.mode ?? 0o644 });
  renameSync(tmp, path);
}

/** True if the path does not exist or is an empty directory. */
export function isEmptyDir(path: string): boolean {
  return !existsSync(path) || readdirSync(path).length === 0;
}
