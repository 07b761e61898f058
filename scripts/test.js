#!/usr/bin/env node
// Runs every compiled test file with node's test runner. `*.slow.test.js` files (long
// soak and fault-injection suites) run too unless --fast is given; --slow runs only them;
// `--only <substr>` filters.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const fast = args.includes('--fast');
const slowOnly = args.includes('--slow');
const onlyIdx = args.indexOf('--only');
const only = onlyIdx >= 0 ? args[onlyIdx + 1] : undefined;

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}
const files = [];
for (const pkg of readdirSync('packages')) {
  const dir = join('packages', pkg, 'dist', 'test');
  try {
    walk(dir, files);
  } catch {
    /* package without tests */
  }
}
const selected = files
  .filter((f) => !(fast && f.endsWith('.slow.test.js')))
  .filter((f) => !slowOnly || f.endsWith('.slow.test.js'))
  .filter((f) => !only || f.includes(only))
  .sort();
if (selected.length === 0) {
  console.error('test: no test files found (did the build run?)');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...selected], { stdio: 'inherit' });
process.exit(r.status ?? 1);
