/**
 * The client's whole import graph is browser-safe: esbuild bundles the package's entry for
 * the browser (`platform: 'browser'`: no Node builtins, the `"browser"` fields of packages
 * honoured) without one Node builtin, and takes the browser build of @medledger/crypto's
 * primitives and signatures, never the node:crypto one. ESLint forbids `node:*` imports in
 * `client/src` (eslint.config.js); this test covers what the client imports from core, crypto
 * and npm. `packages/node/test/browser-client.int.test.ts` runs the bundle in Chromium.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { builtinModules } from 'node:module';
import { build, type Message } from 'esbuild';

const clientEntry = fileURLToPath(new URL('../src/index.js', import.meta.url));
const nodeBuiltins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** Bundles `entry` for the browser; returns the bundle's inputs and what could not resolve. */
async function browserBundle(
  entry: string | { contents: string },
): Promise<{ inputs: string[]; unresolved: string[]; bytes: number }> {
  try {
    const r = await build({
      ...(typeof entry === 'string'
        ? { entryPoints: [entry] }
        : { stdin: { contents: entry.contents, resolveDir: fileURLToPath(new URL('.', import.meta.url)) } }),
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
      outdir: 'out',
      // umbral-pre's browser build imports its .wasm as a module (for a bundler's WASM plugin).
      loader: { '.wasm': 'file' },
    });
    const js = r.outputFiles.find((f) => f.path.endsWith('.js'));
    return { inputs: Object.keys(r.metafile.inputs), unresolved: [], bytes: js?.contents.length ?? 0 };
  } catch (e) {
    const errors = (e as { errors?: Message[] }).errors ?? [];
    if (errors.length === 0) throw e;
    const unresolved = errors.map((m) => /Could not resolve "([^"]+)"/.exec(m.text)?.[1] ?? m.text);
    return { inputs: [], unresolved, bytes: 0 };
  }
}

let clientBundle: ReturnType<typeof browserBundle> | undefined;
const bundleOfClient = (): ReturnType<typeof browserBundle> => (clientBundle ??= browserBundle(clientEntry));

test('security: the client’s entry bundles for the browser with no Node builtin anywhere in its graph', async () => {
  const b = await bundleOfClient();
  assert.deepEqual(b.unresolved, [], `the browser bundle needs: ${b.unresolved.join(', ')}`);
  assert.deepEqual(
    b.inputs.filter((i) => nodeBuiltins.has(i)),
    [],
  );
  assert.ok(b.bytes > 0);
});

test('behavior: the browser bundle takes crypto’s browser primitives and signatures, not the node:crypto ones', async () => {
  const { inputs } = await bundleOfClient();
  const crypto = inputs.filter((i) => /crypto\/dist\/src\/(primitives|sig)(\.browser)?\.js$/.test(i));
  assert.deepEqual(crypto.map((i) => i.replace(/^.*dist\/src\//, '')).sort(), [
    'primitives.browser.js',
    'sig.browser.js',
  ]);
  assert.ok(
    !inputs.some((i) => /client\/dist\/src\/transport\//.test(i)),
    'the TLS fetch is not in the client',
  );
});

test('behavior: the check fails for code that needs Node, naming each builtin (node:crypto, https)', async () => {
  const b = await browserBundle({
    contents:
      "import { randomBytes } from 'node:crypto'; import { request } from 'https'; export const x = [randomBytes, request];",
  });
  assert.deepEqual(b.unresolved.sort(), ['https', 'node:crypto']);
});
