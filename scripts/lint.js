#!/usr/bin/env node
// Runs the three static checks: ESLint (types, purity of core/crypto), dependency-cruiser
// (import cycles, layering) and Prettier (formatting). Exits non-zero if any fails.
import { spawnSync } from 'node:child_process';

const steps = [
  ['eslint', ['--max-warnings=0', '.']],
  [
    'depcruise',
    ['--config', '.dependency-cruiser.cjs', '--output-type', 'err', 'packages/*/src', 'packages/*/test'],
  ],
  ['prettier', ['--check', '--log-level', 'warn', '.']],
];
let failed = false;
for (const [bin, args] of steps) {
  const r = spawnSync('npx', ['--no-install', bin, ...args], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`lint: ${bin} failed`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
