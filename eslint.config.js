// ESLint: TypeScript rules everywhere, plus the purity rules of DESIGN.md for `core` and
// `crypto` (no I/O modules, no clock, no ambient randomness). Import cycles and imports that
// go up a layer are checked by dependency-cruiser (.dependency-cruiser.cjs).
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

const ioModules = [
  'fs',
  'fs/promises',
  'net',
  'http',
  'https',
  'http2',
  'dgram',
  'dns',
  'child_process',
  'worker_threads',
  'cluster',
  'readline',
  'tls',
  'os',
  'process',
].flatMap((m) => [m, `node:${m}`]);

// The client runs in browsers too (DESIGN.md "Layers"): no Node builtin, in either spelling.
// What it imports from core, crypto and npm is checked by bundling it for the browser
// (packages/client/test/browser-bundle.test.ts).
const nodeBuiltins = builtinModules.filter((m) => !m.startsWith('_'));

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['packages/core/src/**/*.ts', 'packages/crypto/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: ioModules.map((name) => ({ name, message: 'core and crypto do no I/O (DESIGN.md)' })) },
      ],
      'no-restricted-properties': [
        'error',
        {
          object: 'Date',
          property: 'now',
          message: 'core and crypto read no clock: time comes from the block',
        },
        { object: 'Math', property: 'random', message: 'use an injected random source' },
        { object: 'performance', property: 'now', message: 'core and crypto read no clock' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'core and crypto read no clock',
        },
        {
          selector: "MemberExpression[object.name='process']",
          message: 'core and crypto do not read the process environment',
        },
      ],
    },
  },
  {
    // crypto's Node-only code lives in primitives.ts and sig.ts, each with a browser twin that
    // the package's "browser" field hands to bundlers; everything else stays portable, or the
    // client (and the light client's proofs in the portal) would break in a browser.
    files: ['packages/crypto/src/**/*.ts'],
    ignores: ['packages/crypto/src/primitives.ts', 'packages/crypto/src/sig.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...ioModules.map((name) => ({ name, message: 'core and crypto do no I/O (DESIGN.md)' })),
            ...['crypto', 'node:crypto', 'buffer', 'node:buffer'].map((name) => ({
              name,
              message:
                'crypto runs in browsers too: use ./primitives.js or ./sig.js (each has a browser twin)',
            })),
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'Buffer', message: 'crypto runs in browsers too: use Uint8Array, or ./primitives.js' },
      ],
    },
  },
  {
    // The client and the portal run in browsers.
    files: ['packages/client/src/**/*.ts', 'packages/web/src/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({
            name,
            message: 'the client runs in browsers: no Node builtins',
          })),
          patterns: [
            { group: ['node:*'], message: 'the client runs in browsers: no node:* modules' },
            ...nodeBuiltins.map((m) => ({
              group: [`${m}/*`],
              message: 'the client runs in browsers: no Node builtins',
            })),
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        {
          name: 'Buffer',
          message: 'the client runs in browsers: use Uint8Array and @medledger/crypto bytes helpers',
        },
        { name: 'process', message: 'the client runs in browsers: no process' },
        { name: 'require', message: 'the client is ESM and runs in browsers' },
      ],
    },
  },
);
